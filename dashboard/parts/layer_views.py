"""Pure shaping of analytic-layer results for people and for other systems.

A layer (:mod:`layers.registry`) returns a polars frame of its own columns. This module turns
it into what the map's hover text, the layer table and the JSON API show:

* (masking for the caller's scope is done before, by :meth:`data.access.CaseAccess.layer`);
* :func:`with_station` names the station of each cell; :func:`format_column` writes a
  column in words (codes translated, times local, numbers rounded);
* :func:`table_columns`, :func:`sort_frame` and :func:`table_rows` build the layer table
  (an AG Grid),
  :func:`hover_text` the map's hover lines;
* :func:`export_frame` gives the API's form: cells as hex strings with their centres,
  times in ISO 8601 UTC.

Nothing here reads the database or the request; callers pass the frames and names in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import polars as pl

from dashboard.parts.i18n import MISSING, column_label, label, t, yes_no
from dashboard.parts.tables import header_width, two_lines
from geo.h3cells import BASE_RESOLUTION, cell_to_latlng, cell_to_str, latlng_to_cells
from layers import hotspot
from layers.registry import REGISTRY

#: Columns of each layer's table, in display order (``station`` is added for cell layers).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "counts": ("place", "cell", "station", "count"),
    "hotspot": ("place", "cell", "station", "label", "count", "z", "p", "p_fdr"),
    "emerging_hotspot": (
        "place",
        "cell",
        "station",
        "category",
        "mk_z",
        "mk_p",
        "n_hot_steps",
        "n_cold_steps",
    ),
    "near_repeat": (
        "place",
        "cell",
        "station",
        "source_incidents",
        "until",
        "radius_m",
        "window_days",
    ),
    "patrol_plan": ("rank", "place", "cell", "station", "score"),
    "repeat_addresses": (
        "address_raw",
        "count",
        "first_at",
        "last_at",
        "median_gap_days",
        "escalating",
        "marac_flag",
        "categories",
        "incident_ids",
    ),
    "repeat_people": (
        "person_key",
        "role",
        "count",
        "address_count",
        "first_at",
        "last_at",
        "median_gap_days",
        "escalating",
        "marac_flag",
        "latest_station",
        "incident_ids",
    ),
    "early_warning": (
        "rank",
        "list",
        "list_rank",
        "kind",
        "reasons",
        "station_code",
        "community",
        "address_key",
        "last_at",
        "incident_ids",
    ),
    "patrol_accuracy": (
        "week_start",
        "week_end",
        "train_incidents",
        "test_incidents",
        "hits",
        "hit_rate",
        "pai",
        "area_share",
        "area_km2",
        "hit_rate_pooled",
        "pai_pooled",
    ),
    "service_levels": (
        "incident_no",
        "sla",
        "state",
        "due_at",
        "overdue_hours",
        "category",
        "risk_level",
        "status",
        "station_code",
    ),
}
#: Columns of the map's hover text per map layer, after the station's name.
HOVER_COLUMNS: dict[str, tuple[str, ...]] = {
    "counts": ("count",),
    "hotspot": ("label", "count", "z", "p_fdr"),
    "emerging_hotspot": ("category", "mk_z", "mk_p", "n_hot_steps"),
    "near_repeat": ("source_incidents", "until"),
    "patrol_plan": ("rank", "score"),
    # the address heads the hover text: it is not repeated as a line
    "repeat_addresses": ("count", "first_at", "last_at", "escalating", "marac_flag"),
}
#: The table's order before the user sorts: (column, descending) per layer.
DEFAULT_ORDER: dict[str, tuple[str, bool]] = {
    "counts": ("count", True),
    "hotspot": ("z", True),
    "emerging_hotspot": ("category", False),
    "near_repeat": ("source_incidents", True),
    "patrol_plan": ("rank", False),
    "repeat_addresses": ("count", True),
    "repeat_people": ("count", True),
    "early_warning": ("rank", False),
    "service_levels": ("overdue_hours", True),
    "patrol_accuracy": ("week_start", True),
}
#: A Boolean column put before the default order (false first) when the user sorts nothing.
DEFAULT_FIRST: dict[str, str] = {"hotspot": "halo"}
#: Columns the table draws as markdown: reason chips and links to cases.
MARKDOWN_COLUMNS: frozenset[str] = frozenset({"reasons", "incident_ids", "incident_no"})
#: How many case links a cell shows before "+n more".
MAX_LINKS = 4
#: Vocabulary of the code columns (see :func:`dashboard.parts.i18n.label`), and per-layer overrides.
VOCABULARY_OF_COLUMN: dict[str, str] = {
    "label": "gi_class",
    "category": "category",
    "kind": "ew_kind",
    "list": "ew_list",
    "sla": "sla",
    "state": "sla_state",
    "role": "role",
    "risk_level": "risk",
    "status": "status",
}
_VOCABULARY_OVERRIDES: dict[tuple[str, str], str] = {("emerging_hotspot", "category"): "emerging"}
STATION_COLUMNS: frozenset[str] = frozenset({"station", "station_code", "latest_station"})
#: Decimals of the numeric columns shown (others: whole numbers).
DECIMALS: dict[str, int] = {
    "z": 2,
    "mk_z": 2,
    "score": 2,
    "median_gap_days": 1,
    "overdue_hours": 1,
    "radius_m": 0,
    "pai": 2,
    "pai_pooled": 2,
    "area_km2": 2,
}
P_VALUE_COLUMNS: frozenset[str] = frozenset({"p", "p_fdr", "mk_p"})
#: Shares (0–1) shown as percentages (a hit rate of 0.42 read "0" as a whole number).
SHARE_COLUMNS: frozenset[str] = frozenset({"hit_rate", "hit_rate_pooled", "area_share"})
TIME_FORMAT = "%Y-%m-%d %H:%M"


# -- what a scope may read ---------------------------------------------------------------------
def _base_cells(lat: pl.Series, lng: pl.Series) -> list[int]:
    """Resolution-9 cell (int64) of each point; -1 where a coordinate is missing."""
    return latlng_to_cells(
        lat.cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        lng.cast(pl.Float64).fill_null(float("nan")).to_numpy(),
        BASE_RESOLUTION,
    ).tolist()


def point_cells(frame: pl.DataFrame) -> list[str | None]:
    """Hex id of the resolution-9 cell of each row's ``lat``/``lng`` (None if missing)."""
    if frame.is_empty():
        return []
    return [cell_to_str(c) if c >= 0 else None for c in _base_cells(frame["lat"], frame["lng"])]


def with_station(frame: pl.DataFrame, owner: Mapping[int, str]) -> pl.DataFrame:
    """``frame`` with a ``station`` column: the code of the station of each ``cell``."""
    if "cell" not in frame.columns or "station" in frame.columns:
        return frame
    return frame.with_columns(
        pl.col("cell")
        .replace_strict(dict(owner), default=None, return_dtype=pl.String)
        .alias("station")
    )


# -- words -------------------------------------------------------------------------------------
def _number(value: float | None, column: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if column in P_VALUE_COLUMNS:
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    if column in SHARE_COLUMNS:
        return f"{value * 100:.1f}%"
    decimals = DECIMALS.get(column)
    if decimals is None:
        return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"
    return f"{value:,.{decimals}f}"


def _categories(value: list[dict] | None, lang: str) -> str:
    if not value:
        return MISSING
    sep = "、" if lang == "zh" else ", "
    return sep.join(f"{label('category', c['category'], lang)} {c['count']}" for c in value)


def _escape_markdown(text: str) -> str:
    """``text`` safe inside a markdown cell: no markup, links or HTML of its own."""
    out = str(text)
    for ch in "\\`*_[]()<>#|!":
        out = out.replace(ch, "\\" + ch)
    return out


def reason_chips(codes: Sequence[str] | None, lang: str) -> str:
    """Early-warning reason codes as markdown chips (inline code, styled as chips)."""
    if not codes:
        return MISSING
    return " ".join(f"`{label('reason', c, lang).replace('`', '')}`" for c in codes)


def case_links(refs: Sequence[tuple[int | None, str]], lang: str, search: str) -> str:
    """Markdown links to cases: ``refs`` are (incident id or None, text); ids without a case
    the scope may open stay plain text. After :data:`MAX_LINKS`, "+n more"."""
    if not refs:
        return MISSING
    parts = [
        f"[{_escape_markdown(text)}](/case/{int(ident)}{search})"
        if ident is not None
        else _escape_markdown(text)
        for ident, text in refs[:MAX_LINKS]
    ]
    if len(refs) > MAX_LINKS:
        parts.append(t("layer_table.more", lang, n=len(refs) - MAX_LINKS))
    return " ".join(parts)


def vocabulary_of(layer_id: str, column: str) -> str | None:
    """The vocabulary kind of a code column of ``layer_id`` (None for other columns)."""
    return _VOCABULARY_OVERRIDES.get((layer_id, column), VOCABULARY_OF_COLUMN.get(column))


def format_column(
    frame: pl.DataFrame,
    layer_id: str,
    column: str,
    lang: str,
    station_names: Mapping[str, str],
    tz: str,
) -> list[str]:
    """The values of ``column`` as words in ``lang`` (plain text; see :func:`table_rows` for
    the markdown columns)."""
    series = frame[column]
    dtype = series.dtype
    if column == "cell":
        return [MISSING if c is None else cell_to_str(c) for c in series.to_list()]
    if column in STATION_COLUMNS:
        return [MISSING if c is None else station_names.get(c, c) for c in series.cast(pl.String)]
    if column == "gi_class":
        return [label("gi_class", hotspot.CLASS_LABELS.get(v), lang) for v in series.to_list()]
    kind = vocabulary_of(layer_id, column)
    if kind is not None:
        return [label(kind, v, lang) for v in series.cast(pl.String).to_list()]
    if column == "reasons":
        return [
            " · ".join(label("reason", c, lang) for c in v) if v else MISSING
            for v in series.to_list()
        ]
    if column == "categories":
        return [_categories(v, lang) for v in series.to_list()]
    if isinstance(dtype, pl.Datetime):
        local = series.dt.replace_time_zone("UTC") if dtype.time_zone is None else series
        text = local.dt.convert_time_zone(tz).dt.strftime(TIME_FORMAT)
        return [MISSING if v is None else v for v in text.to_list()]
    if dtype == pl.Boolean:
        return [yes_no(v, lang) for v in series.to_list()]
    if isinstance(dtype, pl.List):
        return [
            MISSING
            if not v
            else ", ".join(_number(x, column) if isinstance(x, float) else str(x) for x in v)
            for v in series.to_list()
        ]
    if dtype.is_numeric():
        return [_number(v, column) for v in series.to_list()]
    return [MISSING if v is None or v == "" else str(v) for v in series.to_list()]


# -- the layer table ---------------------------------------------------------------------------
#: Widths of the layer table's columns (minimum pixels and flex shares), by groups of
#: columns; others get :data:`DEFAULT_WIDTH`. No column is narrower than a word of its header
#: (:func:`~dashboard.parts.tables.header_width`). Cells and person keys are monospace.
COLUMN_WIDTHS: tuple[tuple[frozenset[str], dict[str, object]], ...] = (
    (frozenset({"reasons"}), {"minWidth": 170, "flex": 2.4}),
    (
        frozenset({"address_raw", "address_key", "place", "categories"}),
        {"minWidth": 140, "flex": 2},
    ),
    (frozenset({"incident_ids", "incident_no"}), {"minWidth": 130, "flex": 1.8}),
    (
        frozenset({"first_at", "last_at", "due_at", "until", "week_start", "week_end"}),
        {"minWidth": 124, "flex": 1},
    ),
    (STATION_COLUMNS, {"minWidth": 90, "flex": 1}),
    (frozenset({"kind"}), {"minWidth": 90, "flex": 1}),
    (frozenset({"category"}), {"minWidth": 104, "flex": 1}),
    (frozenset({"status", "sla"}), {"minWidth": 96, "flex": 1}),
    (frozenset({"community", "role", "state", "list", "label"}), {"minWidth": 72, "flex": 1}),
    (frozenset({"cell", "person_key"}), {"minWidth": 110, "flex": 1.2, "cellClass": "grid-mono"}),
)
DEFAULT_WIDTH: dict[str, object] = {"minWidth": 48, "flex": 0.7}
#: Columns kept on one line (identifiers: an ellipsis rather than a break inside them);
#: the others take up to two lines of the row.
ONE_LINE_COLUMNS: frozenset[str] = frozenset({"cell", "person_key"})


def column_width(column: str, header: str = "") -> dict[str, object]:
    """The width options of a layer-table column (see :data:`COLUMN_WIDTHS`), at least as wide
    as each word of its ``header``."""
    width = dict(DEFAULT_WIDTH)
    for columns, group in COLUMN_WIDTHS:
        if column in columns:
            width = dict(group)
            break
    width["minWidth"] = max(int(width["minWidth"]), header_width(header))  # type: ignore[call-overload]
    return width


def table_columns(layer_id: str, lang: str) -> list[dict[str, object]]:
    """AG Grid column definitions of ``layer_id``'s table, headers in ``lang``.

    Every column sorts (on the server: :func:`sort_frame`). The markdown columns
    (:data:`MARKDOWN_COLUMNS`) are drawn by dash-ag-grid's markdown renderer, which draws no
    HTML of its own (``dangerously_allow_code`` stays off) and opens links in the same tab;
    the others take up to two lines (but :data:`ONE_LINE_COLUMNS`) and show their whole text
    on hover.
    """
    defs: list[dict[str, object]] = []
    for column in TABLE_COLUMNS[layer_id]:
        header = column_label(column, lang, layer_id)
        spec: dict[str, object] = {
            "field": column,
            "colId": column,
            "headerName": header,
            "sortable": True,
        }
        if column in MARKDOWN_COLUMNS:
            spec.update(cellRenderer="markdown", linkTarget="_self", wrapText=True)
        elif column in ONE_LINE_COLUMNS:
            spec["tooltipField"] = column
        else:
            spec.update(two_lines(column))
        spec.update(column_width(column, header))
        defs.append(spec)
    return defs


def sort_frame(
    frame: pl.DataFrame, layer_id: str, sort: str | None = None, descending: bool = True
) -> pl.DataFrame:
    """``frame`` in the table's order: by the column ``sort`` the user chose (lists by
    length), else in the layer's default order. An unknown column is ignored; missing values
    (NaN too: a z-score without variance) come last either way."""
    chosen = sort in TABLE_COLUMNS[layer_id]
    column, descending = (sort, descending) if chosen else DEFAULT_ORDER[layer_id]
    if column not in frame.columns or frame.is_empty():
        return frame
    key = pl.col(column)
    if isinstance(frame.schema[column], pl.List):
        key = key.list.len()
    elif isinstance(frame.schema[column], pl.Struct):
        return frame
    elif frame.schema[column].is_float():
        key = key.fill_nan(None)  # polars puts NaN above every number: with the nulls instead
    keys, order = [key, pl.col("_order")], [descending, False]
    lead = DEFAULT_FIRST.get(layer_id)
    if not chosen and lead is not None and lead in frame.columns:
        # e.g. Gi* halo cells (hot only through their neighbours) after every core cell
        keys, order = [pl.col(lead), *keys], [False, *order]
    return (
        frame.with_row_index("_order").sort(keys, descending=order, nulls_last=True).drop("_order")
    )


def row_target(
    layer_id: str,
    row: Mapping[str, object],
    point_cell: str | None,
    numbers: Mapping[str, int] | None = None,
) -> str | None:
    """What a click on a table row selects: ``cell:<hex>``, ``case:<id>`` or None.

    ``numbers`` maps incident numbers (what ``incident_ids`` hold in every layer) to the
    ids of the cases the scope may open.
    """
    if layer_id == "service_levels" and row.get("incident_id") is not None:
        return f"case:{int(row['incident_id'])}"
    if layer_id == "early_warning" and row.get("kind") == "case":
        refs = row.get("incident_ids") or []
        case_id = (numbers or {}).get(str(refs[0])) if len(refs) == 1 else None
        if case_id is not None:
            return f"case:{int(case_id)}"
    cell = row.get("cell")
    if isinstance(cell, int):
        return f"cell:{cell_to_str(cell)}"
    if point_cell is not None:
        return f"cell:{point_cell}"
    return None


def incident_refs(
    layer_id: str, row: Mapping[str, object], numbers: Mapping[str, int]
) -> list[tuple[int | None, str]]:
    """The cases a row refers to, as (incident id or None, incident number) pairs.

    Every layer's ``incident_ids`` are incident numbers; ``numbers`` maps them to the ids of
    the cases the scope may open (a number it may not open gets no link).
    """
    if layer_id == "service_levels":
        return [(row.get("incident_id"), str(row.get("incident_no") or MISSING))]
    values = row.get("incident_ids") or []
    return [(numbers.get(str(v)), str(v)) for v in values]


def referenced_incidents(frame: pl.DataFrame) -> list[str]:
    """Incident numbers that rows of ``frame`` refer to (to look them up at once)."""
    if "incident_ids" not in frame.columns:
        return []
    return [str(v) for v in frame["incident_ids"].explode().drop_nulls().to_list()]


def table_rows(
    page: pl.DataFrame,
    layer_id: str,
    lang: str,
    station_names: Mapping[str, str],
    tz: str,
    *,
    numbers: Mapping[str, int] | None = None,
    search: str = "",
    cell_names: Mapping[int, str] | None = None,
    first: int = 0,
) -> list[dict]:
    """Rows of one page of a layer table, values in ``lang``.

    Each row carries ``_target`` (see :func:`row_target`) for a click to act on, and
    ``_key``, the grid's id of the row: its place in the table (the page starts at row
    ``first``) and its target, so that a click on it names what it selects.
    ``numbers`` resolves the case links (see :func:`incident_refs`); ``search`` is
    the query string the case page's back link returns to; ``cell_names`` names each
    ``cell`` by its place (``place`` column; :meth:`Services.cell_names`).
    """
    columns = [c for c in TABLE_COLUMNS[layer_id] if c in page.columns]
    if "cell" in page.columns and "place" in TABLE_COLUMNS[layer_id]:
        names = cell_names or {}
        places = [names.get(c, MISSING) if c is not None else MISSING for c in page["cell"]]
    else:
        places = None
    text = {
        c: format_column(page, layer_id, c, lang, station_names, tz)
        for c in columns
        if c not in MARKDOWN_COLUMNS
    }
    cells = point_cells(page) if {"lat", "lng"} <= set(page.columns) else [None] * page.height
    rows = []
    for i, raw in enumerate(page.iter_rows(named=True)):
        row: dict[str, object] = {c: values[i] for c, values in text.items()}
        if places is not None:
            row["place"] = places[i]
        if "reasons" in columns:
            row["reasons"] = reason_chips(raw.get("reasons"), lang)
        if "incident_ids" in columns or "incident_no" in columns:
            refs = incident_refs(layer_id, raw, numbers or {})
            key = "incident_no" if layer_id == "service_levels" else "incident_ids"
            row[key] = case_links(refs, lang, search)
        row["_target"] = row_target(layer_id, raw, cells[i], numbers)
        row["_key"] = f"{first + i}|{row['_target'] or ''}"
        rows.append(row)
    return rows


def hover_text(
    frame: pl.DataFrame,
    layer_id: str,
    lang: str,
    station_names: Mapping[str, str],
    tz: str,
) -> tuple[list[str], list[list[str]]]:
    """Labels and per-row values of the layer's hover columns (:data:`HOVER_COLUMNS`)."""
    columns = [c for c in HOVER_COLUMNS.get(layer_id, ()) if c in frame.columns]
    labels = [column_label(c, lang, layer_id) for c in columns]
    values = [format_column(frame, layer_id, c, lang, station_names, tz) for c in columns]
    return labels, [list(row) for row in zip(*values, strict=True)] if values else [
        [] for _ in range(frame.height)
    ]


# -- the API's form ----------------------------------------------------------------------------
def export_frame(frame: pl.DataFrame, layer_id: str) -> pl.DataFrame:
    """``frame`` as the API returns it: ``cell`` as a hex string (with ``lat``/``lng`` of its
    centre after it, for cell layers) and times as ISO 8601 UTC strings."""
    spec = REGISTRY[layer_id]
    out = frame
    if "cell" in out.columns:
        cells = out["cell"].to_list()
        hexes = pl.Series("cell", [None if c is None else cell_to_str(c) for c in cells], pl.String)
        exprs = [hexes]
        if spec.geometry == "cells" and not {"lat", "lng"} & set(out.columns):
            centres = [cell_to_latlng(c) if c is not None else (None, None) for c in cells]
            exprs += [
                pl.Series(
                    "lat",
                    [round(c[0], 6) if c[0] is not None else None for c in centres],
                    pl.Float64,
                ),
                pl.Series(
                    "lng",
                    [round(c[1], 6) if c[1] is not None else None for c in centres],
                    pl.Float64,
                ),
            ]
        out = out.with_columns(exprs)
        if len(exprs) == 3:
            order = list(frame.columns)
            at = order.index("cell") + 1
            out = out.select([*order[:at], "lat", "lng", *order[at:]])
    times = [c for c, dtype in out.schema.items() if isinstance(dtype, pl.Datetime)]
    if times:
        out = out.with_columns(
            (
                pl.col(c).dt.replace_time_zone("UTC")
                if out.schema[c].time_zone is None
                else pl.col(c).dt.convert_time_zone("UTC")
            )
            .dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
            .alias(c)
            for c in times
        )
    enums = [c for c, dtype in out.schema.items() if isinstance(dtype, pl.Enum | pl.Categorical)]
    if enums:
        out = out.with_columns(pl.col(c).cast(pl.String) for c in enums)
    return out


def json_value(value: object) -> object:
    """A value JSON can hold: non-finite floats become None; lists and dicts recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def json_rows(frame: pl.DataFrame) -> list[list[object]]:
    """Rows of an :func:`export_frame` result as JSON-ready lists."""
    return [[json_value(v) for v in row] for row in frame.iter_rows()]
