"""The station's case list: state in the URL, the AG Grid's columns, and its rows.

The grid uses AG Grid's infinite row model: the grid asks for a block of rows
(``getRowsRequest``: ``startRow``, ``endRow``, ``sortModel``, ``filterModel``) and the
callback answers it (``getRowsResponse``) from :meth:`data.access.CaseAccess.case_page`.
The controls above the grid (address search, status, risk, category) are written into the
grid's ``filterModel``, so that a change of them makes the grid ask again from the first row;
:func:`state_from_request` reads them back from the request.

Everything a reader sets (search, filters, sort, page) lives in the URL query
(:func:`from_query`, :func:`to_query`), so a link reproduces the view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

import polars as pl

from dashboard.parts.i18n import t
from dashboard.parts.tables import GridRequest, case_rows, grid_request
from data.access import MAX_ADDRESS_QUERY, SORTABLE_COLUMNS
from data.vocab import CATEGORIES, RISK_LEVELS, STATUSES

#: Columns of the grid, in display order (the station column is left out: one station).
GRID_COLUMNS: tuple[str, ...] = (
    "incident_no",
    "reported_at",
    "category",
    "risk_level",
    "status",
    "source_channel",
    "address_raw",
)
#: Columns of an export: the grid's and the instruments issued.
EXPORT_COLUMNS: tuple[str, ...] = (*GRID_COLUMNS, "warning_letter", "protection_order")
#: Rows per grid page (and per block the grid asks for).
PAGE_SIZE = 20
DEFAULT_SORT = "reported_at"
#: Query keys of the grid's state.
QUERY_KEYS: tuple[str, ...] = ("q", "status", "risk", "cat", "sort", "page")
#: Largest page number accepted from a URL (a typo, not a page, beyond it).
MAX_PAGE = 100_000
#: Largest row index a grid request may name.
MAX_ROW = MAX_PAGE * PAGE_SIZE
#: filterModel entries the controls write: column → (state field, allowed codes).
_CODE_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("statuses", STATUSES),
    "risk_level": ("risks", RISK_LEVELS),
    "category": ("categories", CATEGORIES),
}
_QUERY_OF_FIELD = {"statuses": "status", "risks": "risk", "categories": "cat"}


@dataclass(frozen=True)
class GridState:
    """What the reader chose: address search, code filters, sort and page (1-based)."""

    address: str = ""
    statuses: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sort: str = DEFAULT_SORT
    descending: bool = True
    page: int = 1


def _codes(raw: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The known codes of a comma-separated value, in vocabulary order (unknown ones dropped)."""
    given = {c.strip() for c in (raw or "").split(",")}
    return tuple(c for c in allowed if c in given)


def _sort(raw: str | None) -> tuple[str, bool]:
    """``'-reported_at'`` → (column, descending); an unknown column gives the default."""
    text = (raw or "").strip()
    descending = text.startswith("-")
    column = text.lstrip("-")
    if column not in SORTABLE_COLUMNS:
        return DEFAULT_SORT, True
    return column, descending


def from_query(search: str | None) -> GridState:
    """The grid state in a URL query string; anything unreadable falls back to its default."""
    query = parse_qs(search.lstrip("?") if isinstance(search, str) else "")

    def first(key: str) -> str | None:
        values = query.get(key)
        return values[0] if values else None

    sort, descending = _sort(first("sort")) if first("sort") else (DEFAULT_SORT, True)
    try:
        page = int(first("page") or 1)
    except ValueError:
        page = 1
    return GridState(
        address=(first("q") or "").strip()[:MAX_ADDRESS_QUERY],
        statuses=_codes(first("status"), STATUSES),
        risks=_codes(first("risk"), RISK_LEVELS),
        categories=_codes(first("cat"), CATEGORIES),
        sort=sort,
        descending=descending,
        page=page if 1 <= page <= MAX_PAGE else 1,
    )


def to_query(state: GridState, lang: str | None = None) -> str:
    """The query string (with ``?``) for ``state``; defaults are left out. ``lang`` first."""
    pairs: list[tuple[str, str]] = []
    if lang:
        pairs.append(("lang", lang))
    if state.address:
        pairs.append(("q", state.address))
    for name, key in _QUERY_OF_FIELD.items():
        codes = getattr(state, name)
        if codes:
            pairs.append((key, ",".join(codes)))
    if (state.sort, state.descending) != (DEFAULT_SORT, True):
        pairs.append(("sort", ("-" if state.descending else "") + state.sort))
    if state.page != 1:
        pairs.append(("page", str(state.page)))
    return "?" + urlencode(pairs, safe=",") if pairs else ""


def filter_model(state: GridState) -> dict[str, dict[str, str]]:
    """The grid's ``filterModel`` for the controls' part of ``state``."""
    model: dict[str, dict[str, str]] = {}
    if state.address:
        model["address_raw"] = {"filterType": "text", "type": "contains", "filter": state.address}
    for column, (name, _) in _CODE_FILTERS.items():
        codes = getattr(state, name)
        if codes:
            model[column] = {"filterType": "text", "type": "equals", "filter": ",".join(codes)}
    return model


def state_from_request(request: Mapping[str, object] | None) -> tuple[GridState, int, int]:
    """The grid state, first row and row count a ``getRowsRequest`` asks for.

    The page is derived from the first row; unknown sort columns and codes are ignored.
    """
    request = request or {}
    asked = grid_request(request, PAGE_SIZE, SORTABLE_COLUMNS) or GridRequest(0, PAGE_SIZE)
    start = min(asked.start, MAX_ROW)
    count = max(1, min(asked.count, MAX_ROW - start))
    sort, descending = (asked.sort, asked.descending) if asked.sort else (DEFAULT_SORT, True)
    filters = request.get("filterModel")
    filters = filters if isinstance(filters, dict) else {}

    def text_of(column: str) -> str:
        entry = filters.get(column)
        value = entry.get("filter") if isinstance(entry, dict) else None
        return value if isinstance(value, str) else ""

    state = GridState(
        address=text_of("address_raw").strip()[:MAX_ADDRESS_QUERY],
        sort=sort,
        descending=descending,
        page=start // PAGE_SIZE + 1,
        **{name: _codes(text_of(col), codes) for col, (name, codes) in _CODE_FILTERS.items()},
    )
    return state, max(0, start), count


def with_controls(
    state: GridState,
    address: str | None,
    statuses: list[str] | None,
    risks: list[str] | None,
    categories: list[str] | None,
) -> GridState:
    """``state`` with the controls' values; a change of filter goes back to page 1."""
    new = replace(
        state,
        address=address.strip()[:MAX_ADDRESS_QUERY] if isinstance(address, str) else "",
        statuses=_codes(_joined(statuses), STATUSES),
        risks=_codes(_joined(risks), RISK_LEVELS),
        categories=_codes(_joined(categories), CATEGORIES),
    )
    return new if filter_model(new) == filter_model(state) else replace(new, page=1)


#: Column widths in pixels: the address takes what is left.
_WIDTHS: dict[str, dict[str, object]] = {
    "incident_no": {"width": 166, "cellClass": "station-grid-no"},
    "reported_at": {"width": 148},
    "category": {"width": 116, "tooltipField": "category"},
    "risk_level": {"width": 90},
    "status": {"width": 90},
    "source_channel": {"width": 112, "tooltipField": "source_channel"},
    "address_raw": {"flex": 1, "minWidth": 220, "tooltipField": "address_raw"},
}


def _joined(values: object) -> str:
    """A dropdown's codes as one comma-separated text (anything but strings ignored)."""
    if not isinstance(values, list):
        return ""
    return ",".join(v for v in values if isinstance(v, str))


def column_defs(lang: str, state: GridState) -> list[dict[str, object]]:
    """AG Grid column definitions with headers in ``lang`` and the sort of ``state``.

    Columns the controls filter carry a text filter that the reader never sees (no menu):
    it only carries the controls' values to the server.
    """
    defs: list[dict[str, object]] = []
    for column in GRID_COLUMNS:
        spec: dict[str, object] = {
            "field": column,
            "colId": column,
            "headerName": t(f"field.{column}", lang),
            "sortable": column in SORTABLE_COLUMNS,
            "suppressHeaderMenuButton": True,
            "suppressHeaderFilterButton": True,
        }
        if column in ("address_raw", *_CODE_FILTERS):
            spec["filter"] = "agTextColumnFilter"
        if column == state.sort:
            spec["sort"] = "desc" if state.descending else "asc"
        spec.update(_WIDTHS.get(column, {"width": 96}))
        defs.append(spec)
    return defs


def grid_rows(page: pl.DataFrame, lang: str, names: Mapping[str, str]) -> list[dict[str, object]]:
    """Rows of a case page with codes in words (see :func:`dashboard.parts.tables.case_rows`)."""
    rows = case_rows(page, lang, names)
    for row, risk in zip(rows, page["risk_level"].to_list(), strict=True):
        row["risk_code"] = risk  # the row's colour follows the code, not the words
    return rows
