"""Pure shaping of frames into what the pages show: KPI numbers, case-list rows, case fields.

Codes become words here (through :mod:`dashboard.parts.i18n`); masking already happened in the
data-access layer, which is the only place that decides what a scope may read.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from dashboard.parts.i18n import MISSING, label, t, yes_no

#: Columns of the case list, in display order. All but the address can be sorted.
CASE_COLUMNS: tuple[str, ...] = (
    "incident_no",
    "reported_at",
    "category",
    "risk_level",
    "status",
    "source_channel",
    "station_code",
    "address_raw",
    "warning_letter",
    "protection_order",
)
#: Case-list rows per page.
PAGE_SIZE = 15

#: Fields of the case page, in display order, and how each value is shown.
DETAIL_FIELDS: tuple[tuple[str, str], ...] = (
    ("incident_no", "text"),
    ("reported_at", "text"),
    ("category", "category"),
    ("source_channel", "source"),
    ("risk_level", "risk"),
    ("status", "status"),
    ("station_code", "station"),
    ("community", "text"),
    ("address_raw", "text"),
    ("lat", "coordinate"),
    ("lng", "coordinate"),
    # where the source put a case that is not located (far away, (0, 0)): for review only
    ("source_lat", "coordinate"),
    ("source_lng", "coordinate"),
    ("handled_at", "text"),
    ("closed_at", "text"),
    ("warning_letter", "bool"),
    ("protection_order", "bool"),
    ("minor_involved", "bool"),
    ("summary", "text"),
)
_VOCAB_OF_COLUMN = {
    "category": "category",
    "source_channel": "source",
    "risk_level": "risk",
    "status": "status",
}


def station_label(code: str | None, names: Mapping[str, str], lang: str) -> str:
    """A station's name for ``code`` (the code if unknown; "no station" for None)."""
    if code is None:
        return t("station.none", lang)
    return names.get(code, code)


def case_columns(lang: str) -> list[dict[str, str]]:
    """DataTable column definitions with headers in ``lang``."""
    return [{"id": c, "name": t(f"field.{c}", lang)} for c in CASE_COLUMNS]


def case_rows(page: pl.DataFrame, lang: str, station_names: Mapping[str, str]) -> list[dict]:
    """Rows of a case-list page (from :meth:`CaseAccess.case_page`) with values in ``lang``.

    Each row keeps the database ``id`` so a click can open the case.
    """
    rows = []
    for rec in page.iter_rows(named=True):
        row: dict[str, object] = {"id": rec["id"]}
        for column in CASE_COLUMNS:
            value = rec.get(column)
            if column in _VOCAB_OF_COLUMN:
                row[column] = label(_VOCAB_OF_COLUMN[column], value, lang)
            elif column == "station_code":
                row[column] = station_label(value, station_names, lang)
            elif column in ("warning_letter", "protection_order"):
                row[column] = yes_no(value, lang)
            else:
                row[column] = MISSING if value is None else str(value)
        rows.append(row)
    return rows


def detail_value(kind: str, value: object, lang: str, station_names: Mapping[str, str]) -> str:
    """One case field shown in ``lang`` (``kind`` from :data:`DETAIL_FIELDS`)."""
    if kind == "bool":
        return yes_no(value, lang)
    if kind == "station":
        return station_label(value if isinstance(value, str) else None, station_names, lang)
    if value is None or value == "":
        return MISSING
    if kind == "coordinate":
        return f"{float(value):.5f}"
    if kind in ("category", "source", "risk", "status"):
        return label(kind, str(value), lang)
    return str(value)


def detail_rows(
    fields: Mapping[str, object], lang: str, station_names: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """``(field, label, value)`` for the case page, in display order.

    Coordinates are left out when the access layer withheld them (None): a blank latitude
    tells the reader nothing.
    """
    rows = []
    for name, kind in DETAIL_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if kind == "coordinate" and value is None:
            continue
        rows.append(
            (name, t(f"field.{name}", lang), detail_value(kind, value, lang, station_names))
        )
    return rows


def grid_locale(lang: str) -> dict[str, str]:
    """AG Grid's own texts (pager, loading) in ``lang``."""
    keys = {
        "page": "page",
        "of": "of",
        "to": "to",
        "more": "more",
        "nextPage": "next",
        "previousPage": "previous",
        "firstPage": "first",
        "lastPage": "last",
        "loadingOoo": "loading",
        "noRowsToShow": "no_rows",
    }
    return {grid_key: t(f"station.grid.{ours}", lang) for grid_key, ours in keys.items()}


#: First characters that make a spreadsheet run a cell as a formula (CSV/Excel injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defused(value: object) -> object:
    """A cell value a spreadsheet shows as text and never runs as a formula: text starting
    with one of :data:`FORMULA_START` gets a leading ``'``; other values are kept."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
