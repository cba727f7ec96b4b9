"""The overview page (``/``): filters, KPI numbers, the hexagon map, the trend and the case list.

Callbacks are thin: they parse their inputs into an
:class:`~dashboard.filters.OverviewState`, ask :class:`~data.access.CaseAccess` (through
:func:`dashboard.services.services`, with the scope of :func:`dashboard.scope.current_scope`)
and hand the frames to the pure functions of :mod:`dashboard.figures` and
:mod:`dashboard.tables`. They are plain module functions so tests can call them directly
inside ``app.server.test_request_context()``.
"""

from __future__ import annotations

import math
from datetime import date

import plotly.graph_objects as go
from dash import Dash, Input, NoUpdate, Output, State, ctx, dash_table, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from dashboard import ids
from dashboard.figures import empty_figure, map_figure, trend_figure
from dashboard.filters import (
    MAP_RESOLUTIONS,
    OverviewState,
    Selection,
    default_range,
    from_controls,
    from_query,
    parse_selection,
    to_query,
)
from dashboard.i18n import dropdown_labels, label, options, t
from dashboard.scope import current_scope
from dashboard.services import Services, services
from dashboard.shell import page_frame
from dashboard.tables import PAGE_SIZE, case_columns, case_rows, kpis
from data.access import SORTABLE_COLUMNS, IncidentFilter, Scope
from data.vocab import CATEGORIES, RISK_LEVELS, SOURCES
from geo.h3cells import cell_resolution, str_to_cell

#: What callbacks receive from the controls: a date picker's ``YYYY-MM-DD``, a multi-select
#: dropdown's codes, the selection store's ``{"kind", "id"}``.
DateValue = str | None
Codes = list[str] | None
SelectionData = dict[str, str] | None

#: The case list's initial order: newest first.
DEFAULT_SORT = [{"column_id": "reported_at", "direction": "desc"}]

#: Inputs shared by every view of the filtered incidents, in :func:`from_controls` order.
FILTER_INPUTS = [
    Input(ids.DATE_RANGE, "start_date"),
    Input(ids.DATE_RANGE, "end_date"),
    Input(ids.CATEGORY, "value"),
    Input(ids.SOURCE, "value"),
    Input(ids.RISK, "value"),
    Input(ids.STATION, "value"),
]


# -- layout ---------------------------------------------------------------------------------
def layout(lang: str, search: str, **_: str) -> html.Div:
    """The overview for the state in ``search`` (defaults: the last 90 days, all stations)."""
    svc = services()
    scope = current_scope()
    extent = svc.access.date_extent(scope)
    names = svc.station_names(scope, lang)
    state = from_query(search, extent, list(names))
    return build(lang, state, extent, names)


def validation_layout() -> html.Div:
    """Every component of the page, for Dash's callback validation (no database needed)."""
    return build("zh", OverviewState(), None, {})


def _dropdown(
    component_id: str, opts: list[dict], value: tuple[str, ...], lang: str
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=component_id,
        options=opts,
        value=list(value),
        multi=True,
        placeholder=t("filter.all", lang),
        labels=dropdown_labels(lang),
        className="filter-dropdown",
    )


def _field(label_key: str, control: Component, lang: str, html_for: str | None = None) -> html.Div:
    return html.Div(
        [html.Label(t(label_key, lang), htmlFor=html_for, className="field-label"), control],
        className="field",
    )


def _kpi(component_id: str, label_key: str, lang: str, tone: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(t(label_key, lang), className="kpi-label"),
            html.Div("–", id=component_id, className="kpi-value"),
        ],
        className=f"kpi card {tone}".strip(),
    )


def build(
    lang: str,
    state: OverviewState,
    extent: tuple[date, date] | None,
    station_names: dict[str, str],
) -> html.Div:
    """The page's components for ``state`` in ``lang`` (pure: no database, no request)."""
    default_start, default_end = default_range(extent)
    month_format = "MMMM YYYY" if lang == "en" else "YYYY年M月"
    filters = html.Aside(
        [
            html.H2(t("filters.title", lang), className="panel-title"),
            _field(
                "filter.dates",
                dcc.DatePickerRange(
                    id=ids.DATE_RANGE,
                    start_date=state.start,
                    end_date=state.end,
                    min_date_allowed=extent[0] if extent else None,
                    max_date_allowed=extent[1] if extent else None,
                    display_format="YYYY-MM-DD",
                    month_format=month_format,
                    first_day_of_week=1,
                    number_of_months_shown=1,
                    start_date_placeholder_text=t("filter.date_start", lang),
                    end_date_placeholder_text=t("filter.date_end", lang),
                    updatemode="bothdates",
                    className="date-range",
                ),
                lang,
            ),
            _field(
                "filter.category",
                _dropdown(
                    ids.CATEGORY, options("category", CATEGORIES, lang), state.categories, lang
                ),
                lang,
            ),
            _field(
                "filter.source",
                _dropdown(ids.SOURCE, options("source", SOURCES, lang), state.sources, lang),
                lang,
            ),
            _field(
                "filter.risk",
                _dropdown(ids.RISK, options("risk", RISK_LEVELS, lang), state.risk_levels, lang),
                lang,
            ),
            _field(
                "filter.station",
                _dropdown(
                    ids.STATION,
                    [{"label": name, "value": code} for code, name in station_names.items()],
                    state.stations,
                    lang,
                ),
                lang,
            ),
            _field(
                "filter.resolution",
                dcc.RadioItems(
                    id=ids.RESOLUTION,
                    options=[{"label": t(f"res.{r}", lang), "value": r} for r in MAP_RESOLUTIONS],
                    value=state.res,
                    className="radio-list",
                    labelClassName="radio-option",
                ),
                lang,
            ),
            html.Button(
                t("filter.reset", lang), id=ids.RESET_FILTERS, className="button", n_clicks=0
            ),
            dcc.Store(
                id=ids.DEFAULTS,
                data={
                    "start": default_start.isoformat() if default_start else None,
                    "end": default_end.isoformat() if default_end else None,
                },
            ),
        ],
        className="filters card",
    )
    kpi_row = html.Section(
        [
            _kpi(ids.KPI_INCIDENTS, "kpi.incidents", lang),
            _kpi(ids.KPI_HIGH_RISK, "kpi.high_risk", lang, "tone-alert"),
            _kpi(ids.KPI_OPEN, "kpi.open", lang),
            _kpi(ids.KPI_WARNING_LETTERS, "kpi.warning_letters", lang),
            _kpi(ids.KPI_PROTECTION_ORDERS, "kpi.protection_orders", lang),
        ],
        id=ids.KPIS,
        className="kpis",
    )
    map_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("map.title", lang), className="card-title"),
                    html.Span(t("map.hint", lang), className="card-hint"),
                ],
                className="card-head",
            ),
            dcc.Graph(
                id=ids.MAP,
                config={"displayModeBar": False, "scrollZoom": True, "doubleClick": "reset"},
                className="map-graph",
            ),
        ],
        className="card map-card",
    )
    trend_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("trend.title", lang), className="card-title"),
                    dcc.RadioItems(
                        id=ids.TREND_EVERY,
                        options=[
                            {"label": t(f"every.{e}", lang), "value": e} for e in ("1d", "1w")
                        ],
                        value=state.every,
                        inline=True,
                        className="segmented",
                        labelClassName="segment",
                    ),
                ],
                className="card-head",
            ),
            dcc.Graph(id=ids.TREND, config={"displayModeBar": False}, className="trend-graph"),
        ],
        className="card trend-card",
    )
    cases_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("cases.title_all", lang), id=ids.CASE_TITLE, className="card-title"),
                    html.Span(
                        [
                            html.Span(t("selection.label", lang), className="chip-label"),
                            html.Span(id=ids.SELECTION_CHIP, className="chip-value"),
                            html.Button(
                                "×",
                                id=ids.SELECTION_CLEAR,
                                n_clicks=0,
                                className="chip-clear",
                                title=t("selection.clear", lang),
                                **{"aria-label": t("selection.clear", lang)},
                            ),
                        ],
                        className="chip",
                        hidden=state.selection is None,
                        id=ids.SELECTION_CHIP_WRAP,
                    ),
                    html.Span(id=ids.CASE_TOTAL, className="case-total"),
                    html.Span(t("cases.hint", lang), className="card-hint"),
                ],
                className="card-head",
            ),
            dash_table.DataTable(
                id=ids.CASE_TABLE,
                columns=case_columns(lang),
                data=[],
                page_action="custom",
                page_current=0,
                page_size=PAGE_SIZE,
                page_count=1,
                sort_action="custom",
                sort_mode="single",
                sort_by=DEFAULT_SORT,
                cell_selectable=True,
                style_as_list_view=True,
                style_table={"overflowX": "auto"},
                style_cell={
                    "fontFamily": "var(--font)",
                    "fontSize": "13px",
                    "padding": "6px 10px",
                    "textAlign": "left",
                    "whiteSpace": "nowrap",
                    "cursor": "pointer",
                },
                style_header={"fontWeight": "600", "backgroundColor": "#f5f7fa"},
                style_data={"fontFamily": "var(--font)"},
                style_cell_conditional=[
                    {"if": {"column_id": "incident_no"}, "color": "#1450c8", "fontWeight": "600"},
                    {
                        "if": {"column_id": ["category", "source_channel", "station_code"]},
                        "whiteSpace": "normal",
                        "maxWidth": "150px",
                    },
                    {
                        "if": {"column_id": "address_raw"},
                        "maxWidth": "220px",
                        "overflow": "hidden",
                        "textOverflow": "ellipsis",
                    },
                ],
                style_data_conditional=[
                    {
                        "if": {
                            "filter_query": f"{{risk_level}} = '{label('risk', 'high', lang)}'",
                            "column_id": "risk_level",
                        },
                        "color": "#b10026",
                        "fontWeight": "600",
                    },
                ],
                css=[{"selector": ".dash-spreadsheet-menu", "rule": "display: none"}],
            ),
        ],
        className="card cases-card",
    )
    body = [
        filters,
        html.Div(
            [
                kpi_row,
                html.Div([map_card, trend_card], className="views"),
                cases_card,
                dcc.Store(
                    id=ids.SELECTION, data=state.selection.to_data() if state.selection else None
                ),
            ],
            className="main-column",
        ),
    ]
    return page_frame(lang, body, "overview")


# -- callbacks ------------------------------------------------------------------------------
def _triggered_props() -> set[str]:
    """``component.prop`` of the inputs that fired this callback (empty outside a callback)."""
    try:
        return {item["prop_id"] for item in ctx.triggered or ()}
    except MissingCallbackContextException:
        return set()


def _empty_reason(svc: Services, scope: Scope, flt: IncidentFilter) -> str:
    """Why a view of ``flt`` has nothing to draw."""
    if svc.access.incidents(scope, flt).height:
        return "no_located"
    if svc.access.date_extent(scope) is None:
        return "no_data"
    return "no_match"


def geo_urls(svc: Services, scope: Scope, res: int) -> tuple[str, str]:
    """URLs of the station and cell GeoJSON, versioned by content so caches stay correct."""
    stations = svc.geometry.stations_document(scope.stations)
    cells = svc.geometry.cells_document(scope.stations, res)
    return (
        f"/geo/stations.geojson?v={stations.etag[:12]}",
        f"/geo/cells/{res}.geojson?v={cells.etag[:12]}",
    )


def update_map(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    res: int | None,
    selection: SelectionData,
    lang: str,
) -> go.Figure:
    """Callback: the hexagon map of the filtered incidents."""
    state = from_controls(
        start, end, categories, sources, risks, stations, res, selection=selection
    )
    svc, scope = services(), current_scope()
    flt = state.incident_filter()
    counts = svc.access.cell_counts(scope, flt, state.res)
    stations_url, cells_url = geo_urls(svc, scope, state.res)
    shown = state.selection
    if (
        shown is not None
        and shown.kind == "cell"
        and cell_resolution(str_to_cell(shown.id)) != state.res
    ):
        shown = None
    return map_figure(
        counts,
        state.res,
        lang,
        stations_url,
        cells_url,
        stations=svc.geometry.stations(scope.stations),
        cell_station=svc.geometry.cell_owner(scope.stations, state.res),
        selection=shown.to_data() if shown else None,
        empty_reason=None if counts.height else _empty_reason(svc, scope, flt),
    )


def update_trend(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    every: str | None,
    lang: str,
) -> go.Figure:
    """Callback: the daily or weekly trend of the filtered incidents."""
    state = from_controls(start, end, categories, sources, risks, stations, every=every)
    svc, scope = services(), current_scope()
    flt = state.incident_filter()
    trend = svc.access.trend(scope, flt, state.every)
    if trend.is_empty() or int(trend["count"].sum()) == 0:
        return empty_figure(_empty_reason(svc, scope, flt), lang)
    return trend_figure(trend, state.every, lang)


def update_kpis(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
) -> tuple[str, ...]:
    """Callback: the five headline numbers, formatted with thousands separators."""
    state = from_controls(start, end, categories, sources, risks, stations)
    frame = services().access.incidents(current_scope(), state.incident_filter())
    k = kpis(frame)
    values = (k.incidents, k.high_risk, k.open_cases, k.warning_letters, k.protection_orders)
    return tuple(f"{v:,}" for v in values)


def update_cases(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    selection: SelectionData,
    page_current: int | None,
    sort_by: list[dict[str, str]] | None,
    lang: str,
) -> tuple[list[dict], int, int, str]:
    """Callback: one page of the case list, its page count and total.

    A change of filters or selection goes back to the first page.
    """
    state = from_controls(start, end, categories, sources, risks, stations, selection=selection)
    svc, scope = services(), current_scope()
    triggered = _triggered_props()
    paging_only = bool(triggered) and triggered <= {
        f"{ids.CASE_TABLE}.page_current",
        f"{ids.CASE_TABLE}.sort_by",
    }
    page = int(page_current or 0) if paging_only else 0
    column, descending = "reported_at", True
    if sort_by:
        first = sort_by[0]
        if first.get("column_id") in SORTABLE_COLUMNS:
            column = first["column_id"]
            descending = first.get("direction") != "asc"
    frame, total = svc.access.case_page(
        scope, state.case_filter(), column, descending, page * PAGE_SIZE, PAGE_SIZE
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page >= pages:
        page = pages - 1
        frame, total = svc.access.case_page(
            scope, state.case_filter(), column, descending, page * PAGE_SIZE, PAGE_SIZE
        )
    rows = case_rows(frame, lang, svc.station_names(scope, lang))
    summary = t("cases.total", lang, n=f"{total:,}") if total else t("cases.empty", lang)
    return rows, pages, page, summary


def show_selection(selection: SelectionData, lang: str) -> tuple[str, bool, str]:
    """Callback: the chip naming the selection, whether it is hidden, the list's title."""
    chosen = parse_selection(selection)
    if chosen is None:
        return "", True, t("cases.title_all", lang)
    return selection_label(chosen, lang), False, t("cases.title", lang)


def selection_label(selection: Selection, lang: str) -> str:
    """What the chip says for ``selection``: the station's name or the cell and its station."""
    svc, scope = services(), current_scope()
    names = svc.station_names(scope, lang)
    if selection.kind == "station":
        return names.get(selection.id, selection.id)
    res = cell_resolution(str_to_cell(selection.id))
    owner = svc.geometry.cell_owner(scope.stations, res).get(str_to_cell(selection.id))
    if owner in names:
        return t("selection.cell_in", lang, cell=selection.id, station=names[owner])
    return t("selection.cell", lang, cell=selection.id)


def select(click_data: dict | None, clear_clicks: int | None) -> SelectionData | NoUpdate:
    """Callback: a click on a station or a cell selects it; the chip's × clears it."""
    if f"{ids.SELECTION_CLEAR}.n_clicks" in _triggered_props():
        return None
    points = (click_data or {}).get("points") or []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, list | tuple) and len(custom) >= 2:
            chosen = parse_selection({"kind": custom[0], "id": custom[1]})
            if chosen is not None:
                return chosen.to_data()
    return no_update


def sync_url(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    res: int | None,
    every: str | None,
    selection: SelectionData,
    lang: str,
    search: str | None,
) -> str:
    """Callback: write the page's state into the URL's query string (if it changed)."""
    state = from_controls(start, end, categories, sources, risks, stations, res, every, selection)
    query = to_query(state, lang)
    if query == (search or ""):
        raise PreventUpdate
    return query


def reset_filters(
    n_clicks: int | None, defaults: dict[str, str | None] | None
) -> tuple[str | None, str | None, list, list, list, list]:
    """Callback: back to the default date range and no other filter."""
    defaults = defaults or {}
    return defaults.get("start"), defaults.get("end"), [], [], [], []


def open_case(active_cell: dict | None) -> str | NoUpdate:
    """Callback: a click on a case-list row opens the case (the query string is kept)."""
    if not active_cell or active_cell.get("row_id") is None:
        return no_update
    return f"/case/{int(active_cell['row_id'])}"


def register_callbacks(app: Dash) -> None:
    """Register the page's callbacks on ``app``."""
    lang = State(ids.PAGE_LANG, "data")
    app.callback(
        Output(ids.MAP, "figure"),
        *FILTER_INPUTS,
        Input(ids.RESOLUTION, "value"),
        Input(ids.SELECTION, "data"),
        lang,
    )(update_map)
    app.callback(
        Output(ids.TREND, "figure"), *FILTER_INPUTS, Input(ids.TREND_EVERY, "value"), lang
    )(update_trend)
    app.callback(
        Output(ids.KPI_INCIDENTS, "children"),
        Output(ids.KPI_HIGH_RISK, "children"),
        Output(ids.KPI_OPEN, "children"),
        Output(ids.KPI_WARNING_LETTERS, "children"),
        Output(ids.KPI_PROTECTION_ORDERS, "children"),
        *FILTER_INPUTS,
    )(update_kpis)
    app.callback(
        Output(ids.CASE_TABLE, "data"),
        Output(ids.CASE_TABLE, "page_count"),
        Output(ids.CASE_TABLE, "page_current"),
        Output(ids.CASE_TOTAL, "children"),
        *FILTER_INPUTS,
        Input(ids.SELECTION, "data"),
        Input(ids.CASE_TABLE, "page_current"),
        Input(ids.CASE_TABLE, "sort_by"),
        lang,
    )(update_cases)
    app.callback(
        Output(ids.SELECTION_CHIP, "children"),
        Output(ids.SELECTION_CHIP_WRAP, "hidden"),
        Output(ids.CASE_TITLE, "children"),
        Input(ids.SELECTION, "data"),
        lang,
    )(show_selection)
    app.callback(
        Output(ids.SELECTION, "data"),
        Input(ids.MAP, "clickData"),
        Input(ids.SELECTION_CLEAR, "n_clicks"),
        prevent_initial_call=True,
    )(select)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        *FILTER_INPUTS,
        Input(ids.RESOLUTION, "value"),
        Input(ids.TREND_EVERY, "value"),
        Input(ids.SELECTION, "data"),
        lang,
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(sync_url)
    app.callback(
        Output(ids.DATE_RANGE, "start_date"),
        Output(ids.DATE_RANGE, "end_date"),
        Output(ids.CATEGORY, "value"),
        Output(ids.SOURCE, "value"),
        Output(ids.RISK, "value"),
        Output(ids.STATION, "value"),
        Input(ids.RESET_FILTERS, "n_clicks"),
        State(ids.DEFAULTS, "data"),
        prevent_initial_call=True,
    )(reset_filters)
    app.callback(
        Output(ids.URL, "pathname"),
        Input(ids.CASE_TABLE, "active_cell"),
        prevent_initial_call=True,
    )(open_case)
