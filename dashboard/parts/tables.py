"""Pure shaping of frames into what the pages show: KPI numbers, case-list rows, case fields,
and the parts of the AG Grids that ask the server for each page (the infinite row model).

Codes become words here (through :mod:`dashboard.parts.i18n`); masking already happened in the
data-access layer, which is the only place that decides what a scope may read.

A grid on AG Grid's infinite row model asks for a block of rows (``getRowsRequest``:
``startRow``, ``endRow``, ``sortModel``, ``filterModel``) and a callback answers it
(``getRowsResponse``); :func:`grid_request` reads such a request. The grid asks again from the
first row when its ``filterModel`` changes: a page whose filters live outside the grid writes
them into a hidden column's filter (:func:`reload_column`, :func:`reload_model`) to make it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dash_ag_grid as dag
import polars as pl

from dashboard.parts.i18n import MISSING, label, t, yes_no
from data.access import SORTABLE_COLUMNS

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


#: The cell renderer of ``assets/grids.js`` that shows a cell's text on up to two lines.
CLAMP_RENDERER = "AnningClamp"
#: Height of a grid row holding two lines of text.
TWO_LINE_ROW_HEIGHT = 42


def two_lines(column: str) -> dict[str, object]:
    """Column options of ``column`` whose words wrap onto a second line of the row (then an
    ellipsis: :data:`CLAMP_RENDERER`), with the whole text on hover."""
    return {"wrapText": True, "cellRenderer": CLAMP_RENDERER, "tooltipField": column}


#: Widths (pixels) of a grid header's bold 13-pixel letters, roughly: wide and narrow
#: letters, capitals, digits, others; CJK (and wide signs) are square.
_WIDE, _NARROW = frozenset("mwMW@%"), frozenset("iljftrI.,:;'()[]|!")
#: Latin estimates run up to 8 % short of what Chromium draws: a margin for them.
_LATIN_MARGIN = 1.08


def _letter_width(ch: str) -> float:
    if ord(ch) > 0x2E7F or ch in "≥≤":
        return 13
    if ch in _WIDE:
        return 11.5
    if ch in _NARROW:
        return 5
    if ch.isdigit():
        return 7.7
    return 9 if ch.isupper() else 7.6


def header_width(header: str) -> int:
    """The narrowest width (pixels) that shows every word of ``header`` whole on a grid's
    wrapped header (13-pixel bold text, 8-pixel padding each side, a little to spare).

    Chinese wraps between any two characters: a run of them needs room for four a line.
    """

    def width(word: str) -> float:
        square = sum(13 for ch in word if _letter_width(ch) == 13)
        latin = sum(_letter_width(ch) for ch in word) - square
        return min(square, 4 * 13) + latin * _LATIN_MARGIN

    return math.ceil(max(width(word) for word in header.split() or [""])) + 20


#: Widths (pixels) of the case list's columns, fitted to 1440-pixel screens in English: the
#: wordy columns take two lines; the address takes what is left.
_CASE_WIDTHS: dict[str, dict[str, object]] = {
    "incident_no": {"width": 136, "cellClass": "grid-case-no"},
    "reported_at": {"width": 124},
    "category": {"width": 104, **two_lines("category")},
    "risk_level": {"width": 72},
    "status": {"width": 96, **two_lines("status")},
    "source_channel": {"width": 112, **two_lines("source_channel")},
    "station_code": {"width": 92, **two_lines("station_code")},
    "address_raw": {"flex": 1, "minWidth": 160, **two_lines("address_raw")},
    "warning_letter": {"width": 80},
    "protection_order": {"width": 94},
}


def case_columns(lang: str) -> list[dict[str, object]]:
    """AG Grid column definitions of the case list, headers in ``lang``: the columns
    :data:`~data.access.SORTABLE_COLUMNS` sort (newest first to begin with), the case
    number is drawn as a link and a high risk in red (CSS classes of ``assets/style.css``)."""
    defs: list[dict[str, object]] = []
    for column in CASE_COLUMNS:
        spec: dict[str, object] = {
            "field": column,
            "colId": column,
            "headerName": t(f"field.{column}", lang),
            "sortable": column in SORTABLE_COLUMNS,
        }
        if column == "reported_at":
            spec["sort"] = "desc"
        if column == "risk_level":
            spec["cellClassRules"] = {
                "grid-risk-high": "params.data && params.data.risk_code == 'high'"
            }
        spec.update(_CASE_WIDTHS.get(column, {"width": 96}))
        defs.append(spec)
    return defs


def case_rows(page: pl.DataFrame, lang: str, station_names: Mapping[str, str]) -> list[dict]:
    """Rows of a case-list page (from :meth:`CaseAccess.case_page`) with values in ``lang``.

    Each row keeps the database ``id`` so a click can open the case, and its risk code
    (``risk_code``: the colour of a high risk follows the code, not the words).
    """
    rows = []
    for rec in page.iter_rows(named=True):
        row: dict[str, object] = {"id": rec["id"], "risk_code": rec.get("risk_level")}
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


def grid_locale(lang: str, **overrides: str) -> dict[str, str]:
    """AG Grid's own texts (pager, loading) in ``lang``; ``overrides`` replace some of them
    (``noRowsToShow=…`` for a grid of something other than cases)."""
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
    texts = {grid_key: t(f"station.grid.{ours}", lang) for grid_key, ours in keys.items()}
    return {**texts, **overrides}


# -- grids on the infinite row model ---------------------------------------------------------
#: The hidden column whose filter carries a page's own filters to its grid (see
#: :func:`reload_model`); its value reaches the server in every request and is ignored there.
RELOAD_COLUMN = "_reload"
#: Height of a grid row and of a one-line header, in pixels.
GRID_ROW_HEIGHT = 34
#: Largest row index a grid request may name, and most rows it may ask for at once.
MAX_GRID_ROW = 10_000_000
MAX_GRID_BLOCK = 500


def reload_column() -> dict[str, object]:
    """The hidden column holding the page's filters (see :func:`reload_model`)."""
    return {
        "field": RELOAD_COLUMN,
        "colId": RELOAD_COLUMN,
        "hide": True,
        "lockVisible": True,
        "suppressColumnsToolPanel": True,
        "filter": "agTextColumnFilter",
        "sortable": False,
    }


def grid_columns(column_defs: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """``column_defs`` and the hidden :func:`reload_column`: the columns of a paged grid."""
    return [*column_defs, reload_column()]


def reload_model(*values: object) -> dict[str, dict[str, str]]:
    """A ``filterModel`` that differs whenever ``values`` differ: written into a grid when the
    page's filters change, it makes the grid drop its rows and ask again from the first page."""
    key = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return {RELOAD_COLUMN: {"filterType": "text", "type": "equals", "filter": key}}


@dataclass(frozen=True)
class GridRequest:
    """What a ``getRowsRequest`` asks for: rows ``start`` to ``start + count`` in the order of
    ``sort`` (a column id, or None for the default order), descending or not."""

    start: int = 0
    count: int = 15
    sort: str | None = None
    descending: bool = True


def grid_request(
    request: object, page_size: int, sortable: Sequence[str] | None = None
) -> GridRequest | None:
    """The rows and order a grid asks for; None for anything but a request (a dict).

    Row indices are clamped to ``0..MAX_GRID_ROW`` and at most :data:`MAX_GRID_BLOCK` rows;
    a sort on a column outside ``sortable`` (when given) is ignored.
    """
    if not isinstance(request, dict) or not request:
        return None
    start = _row_index(request.get("startRow"), 0)
    end = _row_index(request.get("endRow"), start + page_size)
    count = max(1, min(end - start, MAX_GRID_BLOCK))
    sort, descending = None, True
    model = request.get("sortModel")
    if isinstance(model, list) and model and isinstance(model[0], dict):
        column = model[0].get("colId")
        if isinstance(column, str) and (sortable is None or column in sortable):
            sort, descending = column, model[0].get("sort") != "asc"
    return GridRequest(start, count, sort, descending)


def _row_index(value: object, default: int) -> int:
    """A row index from a request: finite, within ``0..MAX_GRID_ROW``; else ``default``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    if isinstance(value, float) and not math.isfinite(value):
        return default
    return max(0, min(int(value), MAX_GRID_ROW))


def paged_grid(
    component_id: str,
    column_defs: list[dict[str, object]],
    lang: str,
    page_size: int,
    class_name: str,
    **options: object,
) -> dag.AgGrid:
    """An AG Grid that asks the server for each page of ``page_size`` rows (the infinite row
    model), with a pager in ``lang``, headers that wrap rather than cut their words, and
    the hidden :func:`reload_column`. ``options`` are more AG Grid options
    (``rowSelection``, ``localeText`` …); ``getRowId`` names each row's id."""
    row_id = options.pop("getRowId", None)
    grid_options: dict[str, object] = {
        "pagination": True,
        "paginationPageSize": page_size,
        "paginationPageSizeSelector": False,
        "cacheBlockSize": page_size,
        "maxBlocksInCache": 20,
        "localeText": grid_locale(lang),
        "tooltipShowDelay": 400,
        "rowHeight": GRID_ROW_HEIGHT,
        "domLayout": "autoHeight",
        "suppressMultiSort": True,
        **options,
    }
    extra = {"getRowId": row_id} if row_id else {}
    return dag.AgGrid(
        id=component_id,
        rowModelType="infinite",
        columnDefs=grid_columns(column_defs),
        defaultColDef={
            "resizable": True,
            "suppressMovable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            "suppressHeaderMenuButton": True,
            "suppressHeaderFilterButton": True,
            "minWidth": 64,
        },
        dashGridOptions=grid_options,
        className=f"{class_name} ag-theme-quartz",
        style={"width": "100%"},
        **extra,
    )


#: First characters that make a spreadsheet run a cell as a formula (CSV/Excel injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defused(value: object) -> object:
    """A cell value a spreadsheet shows as text and never runs as a formula: text starting
    with one of :data:`FORMULA_START` gets a leading ``'``; other values are kept."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
