"""The overview page (``/``): filters, KPI numbers, the map, the trend, the case list and the
layer table.

The map draws one analytic layer at a time (:mod:`layers.registry`): the switcher, the
parameter controls and the legend are generated from the registry
(:mod:`dashboard.parts.layer_controls`, :mod:`dashboard.parts.legends`). Beside the case list,
the layer
table lists the map layer's rows, or those of a table-only layer (early warning, repeat
victims and offenders, service levels).

Both lists are AG Grids that ask the server for each page (the infinite row model,
:func:`dashboard.parts.tables.paged_grid`): the grid sends ``getRowsRequest`` (rows, sort)
and :func:`get_cases` or :func:`get_layer_rows` answers it from the page's controls. A change
of the controls writes a new ``filterModel`` into the grid (:func:`reload_cases`,
:func:`setup_layer_table`), which makes it ask again from the first page; new data
(``DATA_CHANGED``) reloads the case list's page in view (``assets/grids.js``).

Callbacks are thin: they parse their inputs into an
:class:`~dashboard.parts.filters.OverviewState`, ask :class:`~data.access.CaseAccess` (through
:func:`dashboard.parts.services.services`, with the scope of
:func:`dashboard.web.scope.current_scope`)
and hand the frames to the pure functions of :mod:`dashboard.parts.figures` and
:mod:`dashboard.parts.tables`. They are plain module functions so tests can call them directly
inside ``app.server.test_request_context()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import astuple, replace
from datetime import date
from urllib.parse import urlencode

import dash_ag_grid as dag
import plotly.graph_objects as go
from dash import (
    ALL,
    ClientsideFunction,
    Dash,
    Input,
    NoUpdate,
    Output,
    State,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.development.base_component import Component
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from dashboard.parts import case_links, ids
from dashboard.parts.figures import empty_figure, trend_figure
from dashboard.parts.filters import (
    MAP_LAYERS,
    MAP_RESOLUTIONS,
    NO_OVERLAY,
    OPACITY_RANGE,
    OVERLAY_LAYERS,
    RES_AUTO,
    TABLE_LAYERS,
    OverviewState,
    Selection,
    control_values,
    default_range,
    from_controls,
    from_query,
    parse_date,
    parse_selection,
    period_of,
    selection_filter,
    to_query,
)
from dashboard.parts.form import field
from dashboard.parts.i18n import dropdown_labels, label, normalise_language, options, t
from dashboard.parts.layer_controls import (
    FOLLOW_MAP,
    group_class,
    hidden_groups,
    layer_options,
    param_groups,
    table_source_options,
)
from dashboard.parts.layer_views import (
    MARKDOWN_COLUMNS,
    referenced_incidents,
    sort_frame,
    table_columns,
    table_rows,
)
from dashboard.parts.leaflet_map import initial_view, map_ids, register_map, station_bounds
from dashboard.parts.search import search
from dashboard.parts.services import layer_now, services
from dashboard.parts.tables import (
    PAGE_SIZE,
    TWO_LINE_ROW_HEIGHT,
    case_columns,
    case_rows,
    grid_columns,
    grid_locale,
    grid_request,
    paged_grid,
    reload_model,
)
from dashboard.screens.overview import history as overview_history
from dashboard.screens.overview import time_slider, zoom_resolution
from dashboard.screens.overview.map import (
    DRAW,
    MAP_KEY,
    MAP_SIZE,
    bare_map,
    draw_map,
    drawn_areas,
    empty_reason,
    named_cells,
    overview_map_part,
    refusal_reason,
)
from dashboard.web.api import export_url
from dashboard.web.scope import current_scope
from dashboard.web.shell import page_frame, triggered_props
from data.access import SORTABLE_COLUMNS, IncidentFilter
from data.vocab import CATEGORIES, RISK_LEVELS, SOURCES
from geo.h3cells import cell_resolution, str_to_cell
from geo.jurisdictions import Jurisdiction
from layers.refusal import LayerRefusedError
from layers.registry import REGISTRY
from measures import cases
from measures.overview import KPI_COLUMNS, kpi_specs, kpis

#: What callbacks receive from the controls: a date picker's ``YYYY-MM-DD``, a multi-select
#: dropdown's codes, the selection store's ``{"kind", "id"}``.
DateValue = str | None
Codes = list[str] | None
SelectionData = dict[str, str] | None

#: The case list's order when the reader sorts nothing: newest first.
DEFAULT_SORT = ("reported_at", True)
#: Where the case list notes the data version it last reloaded its page for
#: (``assets/grids.js``).
CASE_REFRESH = "case-table-refresh"
#: How far the page scrolled to bring the case list into view after a selection (px).
CASE_REVEAL = "case-list-reveal"

#: Seconds between two looks at the store's data version: an incident pushed through the
#: API (or imported) appears within this time, without a reload. The look is one cheap query.
REFRESH_SECONDS = 5
#: Fires the views of the filtered incidents again when the data changed (the last input).
DATA_CHANGED = Input(ids.DATA_VERSION, "data")

#: Inputs shared by every view of the filtered incidents, in :func:`from_controls` order.
FILTER_INPUTS = [
    Input(ids.DATE_RANGE, "start_date"),
    Input(ids.DATE_RANGE, "end_date"),
    Input(ids.CATEGORY, "value"),
    Input(ids.SOURCE, "value"),
    Input(ids.RISK, "value"),
    Input(ids.STATION, "value"),
]
#: The same controls read when a grid asks for rows (not an input: the grid's request is).
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]
#: Every layer parameter control: their values (an input) and their ids (to tell them apart).
PARAM_VALUES = Input({"type": ids.LAYER_PARAM, "layer": ALL, "param": ALL}, "value")
PARAM_IDS = State({"type": ids.LAYER_PARAM, "layer": ALL, "param": ALL}, "id")
PARAM_STATES = State({"type": ids.LAYER_PARAM, "layer": ALL, "param": ALL}, "value")
#: What the controls send: the parameter controls' values and ids, in matching order.
ParamValues = list[object] | None
ParamIds = list[dict[str, str]] | None
#: The time slider's week (a day ordinal) and window length: every view of the window.
WINDOW_INPUTS = [Input(time_slider.SLIDER, "value"), Input(time_slider.WINDOW, "value")]
WINDOW_STATES = [State(time_slider.SLIDER, "value"), State(time_slider.WINDOW, "value")]
#: The second layer and the two layers' opacity (percent): only the map and the URL read them.
OVERLAY_INPUTS = [
    Input(ids.OVERLAY, "value"),
    Input(ids.OPACITY, "value"),
    Input(ids.OVERLAY_OPACITY, "value"),
]
#: The resolution of the map's current zoom (the hexagon size when it is automatic).
ZOOM_RES = "map-zoom-res"
#: The map's parts (:mod:`dashboard.parts.leaflet_map`) and the note over an empty map.
MAP = map_ids(MAP_KEY)
MAP_EMPTY = "map-empty"
#: The map's search box, its answers and where each answer lies.
MAP_SEARCH = "map-search"
MAP_SEARCH_RESULTS = "map-search-results"
MAP_SEARCH_BOUNDS = "map-search-bounds"
MAP_SEARCH_HIT = "map-search-hit"
#: Under the map: the report of the area drawn on it.
AREA_REPORT = "map-area-report"
AREA_LINK = "map-area-link"
#: The link comparing the last two drawn areas in the review.
AREA_COMPARE = "map-area-compare"
#: Under the resolution control: the size the zoom chose.
RES_NOW = "map-res-now"
#: Wrappers that show a spinner while their views are recomputed (after a short delay, so
#: that playback and the live refresh do not flicker).
LOADING_DELAY_MS = 400


# -- layout ---------------------------------------------------------------------------------
def layout(lang: str, search: str, **_: str) -> html.Div:
    """The overview for the state in ``search`` (defaults: the last 90 days, all stations)."""
    svc = services()
    scope = current_scope()
    extent = svc.access.date_extent(scope)
    names = svc.station_names(scope, lang)
    stations = svc.geometry.stations(scope.stations)
    centre, zoom = initial_view(station_bounds(stations), MAP_SIZE)
    fitted = zoom_resolution.resolution_for_zoom(zoom - 1, centre[0])
    state = from_query(search, extent, list(names), auto_res=fitted)
    labels = station_labels(stations, names)
    part = overview_map_part(svc, scope, state.filters.res, lang)
    return build(
        lang, state, extent, labels, version=svc.access.data_version(), search=search,
        zoom_res=fitted, map_part=part,
    )  # fmt: skip


#: Indent of a leaf under its area in the station dropdown.
LEAF_INDENT = "\u00a0" * 4


def station_labels(stations: Sequence[Jurisdiction], names: Mapping[str, str]) -> dict[str, str]:
    """Station code → dropdown label, in dropdown order.

    Flat stations keep their order and names. When stations nest, each area comes first with
    its leaves indented under it (``'8'``, ``'    0811'`` …); selecting an area selects its leaves.
    """
    children: dict[str, list[str]] = {}
    for s in stations:
        if s.parent_code is not None:
            children.setdefault(s.parent_code, []).append(s.code)
    if not children:
        return dict(names)
    labels: dict[str, str] = {}

    def add(code: str, depth: int) -> None:
        labels[code] = LEAF_INDENT * depth + names.get(code, code)
        for child in sorted(children.get(code, ()), key=_code_key):
            add(child, depth + 1)

    visible = {s.code for s in stations}
    tops = [s.code for s in stations if s.parent_code is None or s.parent_code not in visible]
    for code in sorted(tops, key=lambda c: (c not in children, _code_key(c))):
        add(code, 0)
    return labels


def _code_key(code: str) -> tuple[int, str]:
    """Numeric codes in number order ('2' before '10'), then the others."""
    return (int(code), code) if code.isdigit() else (1 << 62, code)


def validation_layout() -> html.Div:
    """Every component of the page, for Dash's callback validation (no database needed)."""
    return build("zh", OverviewState(), None, {})


def _loading(child: Component, lang: str) -> dcc.Loading:
    """``child`` with a spinner while a callback recomputes it (after :data:`LOADING_DELAY_MS`)."""
    return dcc.Loading(
        child,
        type="circle",
        color="#1450c8",
        delay_show=LOADING_DELAY_MS,
        overlay_style={"visibility": "visible", "opacity": 0.55},
        parent_className="loading-wrap",
        custom_spinner=html.Div(t("map.loading", lang), className="loading-note", role="status"),
    )


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


def _layer_switch(caption: str, component_id: str, choices: list[dict], value: str) -> html.Div:
    """A captioned dropdown that picks a layer (the map's, or the layer table's)."""
    return field(
        caption,
        dcc.Dropdown(
            id=component_id,
            options=choices,
            value=value,
            clearable=False,
            searchable=False,
            className="layer-dropdown",
        ),
        html_for=component_id,
        small=True,
        class_name="layer-switch",
    )


def overlay_options(layer_id: str | None, lang: str) -> list[dict]:
    """The overlay selector's choices: none, then every layer that can go with the map
    layer (the map layer itself is offered but disabled)."""
    return [
        {"label": t("map.overlay_none", lang), "value": NO_OVERLAY},
        *(
            {**choice, "disabled": choice["value"] == layer_id}
            for choice in layer_options(OVERLAY_LAYERS, lang)
        ),
    ]


def _opacity_slider(caption: str, component_id: str, value: int) -> html.Div:
    """A captioned slider of a layer's opacity in percent."""
    low, high = OPACITY_RANGE
    return field(
        caption,
        dcc.Slider(
            id=component_id,
            min=low,
            max=high,
            step=10,
            value=value,
            marks=None,
            tooltip={"placement": "bottom", "template": "{value} %"},
            className="opacity-slider",
        ),
        small=True,
        class_name="opacity-field",
    )


def _kpi(component_id: str, label_key: str, lang: str, tone: str = "") -> dcc.Link:
    """A headline number: a card that opens its cases (``update_kpis`` writes its link)."""
    return dcc.Link(
        [
            html.Div(t(label_key, lang), className="kpi-label"),
            html.Div("–", id=component_id, className="kpi-value"),
        ],
        id=kpi_link_id(component_id),
        href=case_links.CASES_PATH,
        title=t("caselist.open_list", lang),
        className=f"kpi card {tone}".strip(),
    )


def kpi_link_id(component_id: str) -> str:
    """The id of the link around the KPI ``component_id``."""
    return f"{component_id}-link"


#: The KPIs' value ids, in :data:`measures.overview.KPIS` order.
KPI_IDS = (
    ids.KPI_INCIDENTS,
    ids.KPI_HIGH_RISK,
    ids.KPI_OPEN,
    ids.KPI_WARNING_LETTERS,
    ids.KPI_PROTECTION_ORDERS,
)


def build(
    lang: str,
    state: OverviewState,
    extent: tuple[date, date] | None,
    station_names: dict[str, str],
    version: int | None = None,
    search: str = "",
    zoom_res: int | None = None,
    map_part: Component | None = None,
) -> html.Div:
    """The page's components for ``state`` in ``lang`` (pure: no database, no request).

    ``version`` is the store's data version the page is drawn from; the poll timer compares
    it with the store's every :data:`REFRESH_SECONDS` and refreshes the views on a change.
    ``search`` is the query string the page was opened with (the back button compares the
    URL with it), ``zoom_res`` the resolution of the map's first view and ``map_part`` the
    map (:func:`~dashboard.screens.overview.map.overview_map_part`; a map without stations
    when not given).
    """
    default_start, default_end = default_range(extent)
    month_format = "MMMM YYYY" if lang == "en" else "YYYY年M月"
    filters = html.Aside(
        [
            html.H2(t("filters.title", lang), className="panel-title"),
            field(
                t("filter.dates", lang),
                dcc.DatePickerRange(
                    id=ids.DATE_RANGE,
                    start_date=state.filters.start,
                    end_date=state.filters.end,
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
            ),
            field(
                t("filter.category", lang),
                _dropdown(
                    ids.CATEGORY,
                    options("category", CATEGORIES, lang),
                    state.filters.categories,
                    lang,
                ),
            ),
            field(
                t("filter.source", lang),
                _dropdown(
                    ids.SOURCE, options("source", SOURCES, lang), state.filters.sources, lang
                ),
            ),
            field(
                t("filter.risk", lang),
                _dropdown(
                    ids.RISK, options("risk", RISK_LEVELS, lang), state.filters.risk_levels, lang
                ),
            ),
            field(
                t("filter.station", lang),
                _dropdown(
                    ids.STATION,
                    [{"label": name, "value": code} for code, name in station_names.items()],
                    state.filters.stations,
                    lang,
                ),
            ),
            field(
                t("filter.resolution", lang),
                html.Div(
                    [
                        dcc.RadioItems(
                            id=ids.RESOLUTION,
                            options=[{"label": t("map.res_auto", lang), "value": RES_AUTO}]
                            + [{"label": t(f"res.{r}", lang), "value": r} for r in MAP_RESOLUTIONS],
                            value=RES_AUTO if state.auto_res else state.filters.res,
                            className="radio-list",
                            labelClassName="radio-option",
                        ),
                        html.Div(
                            resolution_note(RES_AUTO, zoom_res, lang) if state.auto_res else "",
                            id=RES_NOW,
                            className="res-now",
                        ),
                    ]
                ),
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
                    html.Div(
                        [
                            dcc.Input(
                                id=MAP_SEARCH,
                                type="search",
                                debounce=True,
                                maxLength=60,
                                placeholder=t("map.search", lang),
                                className="text-input map-search-input",
                            ),
                            html.Div(id=MAP_SEARCH_RESULTS, className="map-search-results"),
                            dcc.Store(id=MAP_SEARCH_BOUNDS, data=[]),
                        ],
                        className="map-search",
                    ),
                ],
                className="card-head",
            ),
            html.Div(
                [
                    _layer_switch(
                        t("layers.label", lang),
                        ids.LAYER,
                        layer_options(MAP_LAYERS, lang),
                        state.layer.id,
                    ),
                    _opacity_slider(t("map.opacity", lang), ids.OPACITY, state.opacity[0]),
                    _layer_switch(
                        t("map.overlay", lang),
                        ids.OVERLAY,
                        overlay_options(state.layer.id, lang),
                        state.overlay.id if state.overlay else NO_OVERLAY,
                    ),
                    _opacity_slider(
                        t("map.overlay_opacity", lang), ids.OVERLAY_OPACITY, state.opacity[1]
                    ),
                ],
                className="layer-bar",
            ),
            html.Div(
                param_groups(
                    MAP_LAYERS,
                    {c.id: c.values() for c in (state.layer, state.overlay) if c is not None},
                    lang,
                    overlay=state.overlay.id if state.overlay else None,
                ),
                className="layer-bar param-bar",
            ),
            html.P(
                t(f"layer_hint.{state.layer.id}", lang), id=ids.LAYER_HINT, className="layer-hint"
            ),
            html.Div(id=ids.MAP_LEGEND, className="map-legend-wrap"),
            html.Div(
                [
                    _loading(map_part or bare_map(lang), lang),
                    html.Div(id=MAP_EMPTY, className="map-empty", hidden=True),
                ],
                className="map-wrap",
            ),
            html.Div(
                html.Span(t("map.draw_hint", lang), className="muted"),
                id=AREA_REPORT,
                className="map-area-report",
            ),
            time_slider.time_bar(lang, state.window, state.filters.start, state.filters.end),
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
            html.P(t("map.trend_hint", lang), className="card-hint trend-hint"),
            _loading(
                dcc.Graph(id=ids.TREND, config={"displayModeBar": False}, className="trend-graph"),
                lang,
            ),
        ],
        className="card trend-card",
    )
    table_source = state.table.id if state.table else FOLLOW_MAP
    cases_panel = html.Div(
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
            case_grid(lang),
            dcc.Store(id=CASE_REFRESH, data=version),
        ],
        id=ids.CASES_PANEL,
        hidden=state.tab != "cases",
    )
    layer_panel = html.Div(
        [
            html.Div(
                [
                    _layer_switch(
                        t("layer_table.source", lang),
                        ids.LAYER_TABLE_SOURCE,
                        table_source_options(state.layer.id, TABLE_LAYERS, lang),
                        table_source,
                    ),
                    *param_groups(
                        TABLE_LAYERS,
                        {state.table.id: state.table.values()} if state.table else {},
                        lang,
                    ),
                    html.Span(id=ids.LAYER_TABLE_TOTAL, className="case-total"),
                    html.A(
                        t("layer_table.export", lang),
                        id=ids.LAYER_TABLE_EXPORT,
                        href=export_url(state.table_layer, state.window_filters()),
                        className="button export-link",
                        download="",
                    ),
                ],
                className="layer-bar",
            ),
            html.P(t("layer_table.hint", lang), className="card-hint layer-table-hint"),
            layer_grid(state.table_layer.id, lang),
        ],
        id=ids.LAYER_PANEL,
        hidden=state.tab != "layer",
    )
    cases_card = html.Section(
        [
            dcc.RadioItems(
                id=ids.LIST_TABS,
                options=[
                    {"label": t(f"tabs.{tab}", lang), "value": tab} for tab in ("cases", "layer")
                ],
                value=state.tab,
                inline=True,
                className="segmented list-tabs",
                labelClassName="segment",
            ),
            cases_panel,
            layer_panel,
            dcc.Store(id=CASE_REVEAL),
        ],
        className="card cases-card",
        id=ids.CASES_CARD,
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
                dcc.Store(id=ids.DATA_VERSION, data=version),
                dcc.Store(id=ZOOM_RES, data=zoom_res),
                dcc.Store(id=overview_history.WRITTEN, data=search or ""),
                dcc.Interval(id=ids.REFRESH_TICK, interval=REFRESH_SECONDS * 1000),
            ],
            className="main-column",
        ),
    ]
    return page_frame(lang, body, "overview")


def case_grid(lang: str) -> dag.AgGrid:
    """The case list: :data:`PAGE_SIZE` cases a page, asked of the server page by page
    (:func:`get_cases`); a click on a row opens its case (:func:`open_case`)."""
    return paged_grid(
        ids.CASE_TABLE,
        case_columns(lang),
        lang,
        PAGE_SIZE,
        "overview-grid overview-case-grid",
        rowSelection={"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
        localeText=grid_locale(lang, noRowsToShow=t("cases.empty", lang)),
        rowHeight=TWO_LINE_ROW_HEIGHT,
    )


def layer_grid(layer_id: str, lang: str) -> dag.AgGrid:
    """The layer table of ``layer_id`` (its columns change with the layer shown:
    :func:`setup_layer_table`), asked of the server page by page (:func:`get_layer_rows`);
    a click on a row selects its hexagon or opens its case (:func:`open_layer_row`)."""
    return paged_grid(
        ids.LAYER_TABLE,
        table_columns(layer_id, lang),
        lang,
        PAGE_SIZE,
        "overview-grid overview-layer-grid",
        getRowId="params.data._key",
        localeText=grid_locale(lang, noRowsToShow=t("layer_table.empty", lang)),
        rowHeight=TWO_LINE_ROW_HEIGHT,
    )


# -- callbacks ------------------------------------------------------------------------------
def update_map(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    res: int | str | None,
    selection: SelectionData,
    layer: str | None,
    param_values: ParamValues,
    param_ids: ParamIds,
    lang: str,
    version: int | None = None,
    week: int | None = None,
    weeks: int | None = None,
    zoom_res: int | None = None,
    overlay: str | None = None,
    opacity: int | None = None,
    overlay_opacity: int | None = None,
) -> tuple[dict, str, dict, Component, list, bool]:
    """Callback: the map's paint of the chosen layer over the filtered incidents, the cell
    geometry it refers to, the point layer, the legend and the note over an empty map.

    ``week``/``weeks`` are the time slider's (the map shows that window), ``zoom_res`` the
    resolution of the map's zoom (used when the resolution control is automatic);
    ``overlay`` the second layer and ``opacity``/``overlay_opacity`` the layers' opacity in
    percent. The map itself keeps the reader's view: only its colours change.
    """
    state = from_controls(
        start,
        end,
        categories,
        sources,
        risks,
        stations,
        res,
        selection=selection,
        layer=layer,
        layer_params=control_values(param_ids, param_values),
        zoom_res=zoom_res,
        window=time_slider.window_of(week, weeks, start, end),
        overlay=overlay,
        opacity=opacity,
        overlay_opacity=overlay_opacity,
    )
    answer = draw_map(services(), current_scope(), state, lang)
    empty = answer.paint.get("empty")
    note = [html.B(empty["title"]), html.Br(), empty["hint"]] if empty else []
    return answer.paint, answer.cells_url, answer.points, answer.legend, note, not empty


def follow_zoom(zoom: float | None, centre: object, known: int | None) -> int | NoUpdate:
    """Callback: the resolution of the map's new zoom, when it differs from ``known``.

    Pans leave it alone, so the map is redrawn only when the hexagon size must change.
    Leaflet counts 256-pixel tiles, one zoom more than the 512-pixel tiles
    :func:`zoom_resolution.resolution_for_zoom` counts.
    """
    if not isinstance(zoom, int | float) or not math.isfinite(zoom):
        raise PreventUpdate
    lat = zoom_resolution.DEFAULT_LATITUDE
    if isinstance(centre, list | tuple) and centre and isinstance(centre[0], int | float):
        lat = float(centre[0])
    elif isinstance(centre, dict) and isinstance(centre.get("lat"), int | float):
        lat = float(centre["lat"])
    res = zoom_resolution.resolution_for_zoom(float(zoom) - 1, lat)
    if res == known:
        raise PreventUpdate
    return res


def resolution_note(choice: int | str | None, zoom_res: int | None, lang: str) -> str:
    """Under the resolution control: the size the zoom chose (nothing for a hand choice)."""
    if choice not in (RES_AUTO, None):
        return ""
    res = zoom_res if zoom_res in (6, *MAP_RESOLUTIONS) else MAP_RESOLUTIONS[1]
    size = t(f"map.res.{res}" if res == 6 else f"res.{res}", lang)
    return t("map.res_auto_now", lang, size=size)


def show_layer_controls(
    layer: str | None, table_source: str | None, lang: str, overlay: str | None = None
) -> tuple[list[bool], list[str], str, list[dict[str, str]], list[dict]]:
    """Callback: show the chosen layers' parameters (the overlay's marked as such), the map
    layer's hint, name the map layer in the layer table's selector, and offer the overlays
    that can go with it."""
    state = from_controls(
        None, None, None, None, None, None, layer=layer, table=table_source, overlay=overlay
    )
    try:
        group_ids = [o["id"] for o in ctx.outputs_list[0]]
    except (MissingCallbackContextException, IndexError, KeyError, TypeError):
        group_ids = []
    over = state.overlay.id if state.overlay else None
    shown = [state.layer.id] + ([state.table.id] if state.table else []) + ([over] if over else [])
    return (
        hidden_groups(group_ids, shown),
        [group_class(g.get("layer") == over) for g in group_ids],
        t(f"layer_hint.{state.layer.id}", lang),
        table_source_options(state.layer.id, TABLE_LAYERS, lang),
        overlay_options(state.layer.id, lang),
    )


def drop_overlay(layer: str | None, overlay: str | None) -> str:
    """Callback: no overlay once the map layer is the layer the overlay showed."""
    if overlay is None or overlay != layer:
        raise PreventUpdate
    return NO_OVERLAY


def _layer_state(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    res: int | str | None,
    layer: str | None,
    table_source: str | None,
    param_values: ParamValues,
    param_ids: ParamIds,
    week: int | None,
    weeks: int | None,
    zoom_res: int | None,
) -> OverviewState:
    """The state the layer table shows, from the page's controls."""
    return from_controls(
        start,
        end,
        categories,
        sources,
        risks,
        stations,
        res,
        layer=layer,
        layer_params=control_values(param_ids, param_values),
        table=table_source,
        zoom_res=zoom_res,
        window=time_slider.window_of(week, weeks, start, end),
    )


def setup_layer_table(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    res: int | str | None,
    layer: str | None,
    table_source: str | None,
    param_values: ParamValues,
    param_ids: ParamIds,
    lang: str,
    week: int | None = None,
    weeks: int | None = None,
    zoom_res: int | None = None,
    shown: list[dict] | None = None,
    model: dict | None = None,
) -> tuple[list[dict] | NoUpdate, dict | NoUpdate, str]:
    """Callback: the layer table's columns (when the layer shown changes), the filterModel
    that makes it ask again from the first page (when anything it shows changes) and the
    CSV export link of what it shows.

    ``shown`` and ``model`` are the grid's current columns and filterModel.
    """
    state = _layer_state(
        start, end, categories, sources, risks, stations, res, layer, table_source,
        param_values, param_ids, week, weeks, zoom_res,
    )  # fmt: skip
    choice = state.table_layer
    lang = normalise_language(lang)
    columns = grid_columns(table_columns(choice.id, lang))
    same_columns = isinstance(shown, list) and [
        c.get("colId") for c in shown if isinstance(c, dict)
    ] == [c["colId"] for c in columns]
    reload = reload_model(choice.id, choice.values(), state.window_filters().to_data())
    return (
        no_update if same_columns else columns,
        no_update if reload == model else reload,
        export_url(choice, state.window_filters()),
    )


def get_layer_rows(
    request: dict | None,
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    res: int | str | None,
    layer: str | None,
    table_source: str | None,
    param_values: ParamValues,
    param_ids: ParamIds,
    lang: str,
    week: int | None = None,
    weeks: int | None = None,
    zoom_res: int | None = None,
) -> tuple[dict, str]:
    """Callback: the rows of the layer table the grid asks for (the map layer's rows, or a
    table-only layer's), in the order of its sort, and the total.

    Every row links its cases (the case page's back link returns to the table) and carries
    what a click on it selects (``_target``, and ``_key``, the grid's id of the row).
    """
    asked = grid_request(request, PAGE_SIZE)
    if asked is None:
        raise PreventUpdate
    state = _layer_state(
        start, end, categories, sources, risks, stations, res, layer, table_source,
        param_values, param_ids, week, weeks, zoom_res,
    )  # fmt: skip
    lang = normalise_language(lang)
    svc, scope = services(), current_scope()
    choice = state.table_layer
    flt = state.incident_filter()
    try:
        frame = svc.layer(scope, flt, choice.id, choice.values(), state.filters.res)
    except LayerRefusedError as err:  # e.g. a range too short for the layer: say why
        return {"rowData": [], "rowCount": 0}, refusal_reason(err, lang)
    if REGISTRY[choice.id].geometry == "cells":
        frame, _ = named_cells(svc, scope, frame, state.filters.res)
    ordered = sort_frame(frame, choice.id, asked.sort, asked.descending)
    page_frame_ = ordered.slice(asked.start, asked.count)
    by_number, _ = svc.case_refs(scope, referenced_incidents(page_frame_))
    rows = table_rows(
        page_frame_,
        choice.id,
        lang,
        svc.station_names(scope, lang),
        svc.access.tz,
        numbers=by_number,
        # links live in the layer table: the case page's back link returns to it
        search=to_query(replace(state, tab="layer"), lang),
        cell_names=svc.cell_names(_cells_of(page_frame_), lang),
        first=asked.start,
    )
    total = (
        t("layer_table.total", lang, n=f"{frame.height:,}")
        if frame.height
        else t("layer_table.empty", lang)
    )
    return {"rowData": rows, "rowCount": frame.height}, total


def _cells_of(frame) -> list[int]:
    """The cells of a layer page (none for a layer without cells)."""
    return [c for c in frame["cell"].to_list() if c is not None] if "cell" in frame.columns else []


def open_layer_row(clicked: dict | None) -> tuple[str | NoUpdate, SelectionData | NoUpdate]:
    """Callback: a click on a layer-table row (the grid's ``cellClicked``) selects its cell
    (the case list then shows its cases) or opens its case. Clicks on links are left to
    the link.

    The grid names the clicked row by its id, ``<place>|<target>`` (:func:`table_rows`).
    """
    if not isinstance(clicked, dict):
        raise PreventUpdate
    column, row_id = clicked.get("colId"), clicked.get("rowId")
    if not isinstance(row_id, str) or "|" not in row_id:
        raise PreventUpdate
    if column in MARKDOWN_COLUMNS and column != "reasons":
        raise PreventUpdate
    target = row_id.split("|", 1)[1]
    if target.startswith("case:") and target[5:].isdigit():
        return f"/case/{int(target[5:])}", no_update
    chosen = parse_selection(target) if target else None
    if chosen is None:
        raise PreventUpdate
    return no_update, chosen.to_data()


def show_cases_of_selection(selection: SelectionData) -> str | NoUpdate:
    """Callback: selecting a place (on the map or in the layer table) shows its cases."""
    return "cases" if parse_selection(selection) is not None else no_update


def switch_list(tab: str | None) -> tuple[bool, bool]:
    """Callback: show the case list or the layer table."""
    return tab == "layer", tab != "layer"


def update_trend(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    every: str | None,
    lang: str,
    version: int | None = None,
    week: int | None = None,
    weeks: int | None = None,
    selection: SelectionData = None,
) -> go.Figure:
    """Callback: the daily or weekly trend of the filtered incidents over their whole range,
    with the time slider's window shaded and a selected bar outlined (``version``: the data
    version, an input only so that new data redraws it). A bar click selects its cases; a
    selected hexagon or station narrows the trend to its incidents."""
    state = from_controls(
        start,
        end,
        categories,
        sources,
        risks,
        stations,
        every=every,
        selection=selection,
        window=time_slider.window_of(week, weeks, start, end),
    )
    svc, scope = services(), current_scope()
    flt = state.range_filter()
    if state.selection is not None and state.selection.kind in ("cell", "station"):
        flt = selection_filter(flt, state.selection)
    trend = svc.access.trend(scope, flt, state.every)
    if trend.is_empty() or int(trend["count"].sum()) == 0:
        return empty_figure(empty_reason(svc, scope, flt), lang)
    window = (state.window.first_day, state.window.last_day) if state.window else None
    chosen = None
    if state.selection is not None and state.selection.kind == "period":
        first, _, category = period_of(state.selection)
        chosen = (first, category)
    return trend_figure(trend, state.every, lang, window=window, clickable=True, chosen=chosen)


def update_kpis(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    version: int | None = None,
    week: int | None = None,
    weeks: int | None = None,
    selection: SelectionData = None,
    lang: str | None = "zh",
) -> tuple[str, ...]:
    """Callback: the five headline numbers of the time slider's window and the selection (a
    hexagon, station or bar: what the case list shows), formatted with thousands
    separators, then the link of each to its cases (``version``: the data version, an input
    only so that new data recounts them)."""
    state = from_controls(
        start, end, categories, sources, risks, stations, selection=selection,
        window=time_slider.window_of(week, weeks, start, end),
    )  # fmt: skip
    access = services().access
    flt = state.case_filter()
    now = layer_now(None, access.tz)  # open now: what the "open" list shows too
    values = astuple(kpis(access.incidents(current_scope(), flt, KPI_COLUMNS), now))  # KPIS order
    links = kpi_specs(flt, access.expand_stations)
    hrefs = tuple(case_links.href(link.spec, normalise_language(lang)) for link in links)
    return (*(f"{v:,}" for v in values), *hrefs)


def reload_cases(
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    selection: SelectionData,
    week: int | None = None,
    weeks: int | None = None,
    model: dict | None = None,
) -> dict:
    """Callback: a new filterModel for the case list when the filters, the time slider's
    window or the selection change: the grid then asks again from the first page
    (``model``: the grid's current one; the same filters ask nothing again)."""
    reload = reload_model(start, end, categories, sources, risks, stations, selection, week, weeks)
    if reload == model:
        raise PreventUpdate
    return reload


def get_cases(
    request: dict | None,
    start: DateValue,
    end: DateValue,
    categories: Codes,
    sources: Codes,
    risks: Codes,
    stations: Codes,
    selection: SelectionData,
    lang: str,
    week: int | None = None,
    weeks: int | None = None,
) -> tuple[dict, str]:
    """Callback: the case-list rows the grid asks for (of the time slider's window and the
    selection) in the order of its sort (newest first unless the reader sorts a column of
    :data:`~data.access.SORTABLE_COLUMNS`), and the total; an empty list says whether the
    window or the filters left nothing."""
    asked = grid_request(request, PAGE_SIZE, SORTABLE_COLUMNS)
    if asked is None:
        raise PreventUpdate
    lang = normalise_language(lang)
    state = from_controls(
        start, end, categories, sources, risks, stations, selection=selection,
        window=time_slider.window_of(week, weeks, start, end),
    )  # fmt: skip
    svc, scope = services(), current_scope()
    column, descending = (asked.sort, asked.descending) if asked.sort else DEFAULT_SORT
    frame, total = svc.access.case_page(
        scope, state.case_filter(), column, descending, asked.start, asked.count
    )
    rows = case_rows(frame, lang, svc.station_names(scope, lang))
    if total:
        summary = t("cases.total", lang, n=f"{total:,}")
    else:
        summary = t("map.cases_empty_window" if state.window else "cases.empty", lang)
    return {"rowData": rows, "rowCount": total}, summary


def show_selection(selection: SelectionData, lang: str) -> tuple[str, bool, str]:
    """Callback: the chip naming the selection, whether it is hidden, the list's title."""
    chosen = parse_selection(selection)
    if chosen is None:
        return "", True, t("cases.title_all", lang)
    return selection_label(chosen, lang), False, t("cases.title", lang)


def selection_label(selection: Selection, lang: str) -> str:
    """What the chip says for ``selection``: the station's name or the cell and its station."""
    if selection.kind == "period":
        return period_label(selection, lang)
    svc, scope = services(), current_scope()
    names = svc.station_names(scope, lang)
    if selection.kind == "station":
        return names.get(selection.id, selection.id)
    res = cell_resolution(str_to_cell(selection.id))
    owner = svc.geometry.cell_owner(scope.stations, res).get(str_to_cell(selection.id))
    if owner in names:
        return t("selection.cell_in", lang, cell=selection.id, station=names[owner])
    return t("selection.cell", lang, cell=selection.id)


def period_label(selection: Selection, lang: str) -> str:
    """What the chip says for a trend bar: its day or week, and its category."""
    first, last, category = period_of(selection)
    day = time_slider.day_label(first, lang, with_year=True)
    period = t("map.selection_week" if last > first else "map.selection_day", lang, day=day)
    if category is None:
        return period
    return t(
        "map.selection_period", lang, period=period, category=label("category", category, lang)
    )


def select(
    cell_click: dict | None,
    station_click: dict | None,
    point_click: dict | None,
    clear_clicks: int | None,
    trend_click: dict | None = None,
    every: str | None = None,
) -> SelectionData | NoUpdate:
    """Callback: a click on a station, a cell, a point or a trend bar selects it; the chip's ×
    clears it."""
    triggered = triggered_props()
    if f"{ids.SELECTION_CLEAR}.n_clicks" in triggered:
        return None
    if f"{ids.TREND}.clickData" in triggered:
        return bar_selection(trend_click, every)
    clicked = {
        f"{MAP.cells}.clickData": ("cell", cell_click),
        f"{MAP.stations}.clickData": ("station", station_click),
        f"{MAP.points}.clickData": (None, point_click),
    }
    for prop, (kind, feature) in clicked.items():
        if (prop in triggered or not triggered) and isinstance(feature, dict):
            chosen = parse_selection(feature_selection(kind, feature))
            if chosen is not None:
                return chosen.to_data()
    return no_update


def feature_selection(kind: str | None, feature: dict) -> dict | None:
    """What a clicked map feature selects: a cell or station by its id, a point by the
    ``kind``/``id`` in its properties."""
    if kind is not None:
        return {"kind": kind, "id": feature.get("id")}
    props = feature.get("properties") or {}
    return {"kind": props.get("kind"), "id": props.get("id")} if props.get("kind") else None


def bar_selection(click: dict | None, every: str | None) -> SelectionData | NoUpdate:
    """The selection of a clicked trend bar: its day or week and its category."""
    for point in (click or {}).get("points") or []:
        custom = point.get("customdata")
        category = custom[0] if isinstance(custom, list | tuple) and custom else custom
        day = str(point.get("x") or "")[:10]
        period = every if every in ("1d", "1w") else "1d"
        chosen = parse_selection(f"period:{day}.{period}.{category}")
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
    layer: str | None,
    param_values: ParamValues,
    tab: str | None,
    table_source: str | None,
    param_ids: ParamIds,
    lang: str,
    search: str | None,
    week: int | None = None,
    weeks: int | None = None,
    stopped: bool | None = True,
    overlay: str | None = None,
    opacity: int | None = None,
    overlay_opacity: int | None = None,
) -> str:
    """Callback: write the page's state into the URL's query string (if it changed).

    While the time slider plays (``stopped`` false) the URL waits: one history entry per
    week would bury the back button. Pausing writes the week.
    """
    if stopped is False:
        raise PreventUpdate
    state = from_controls(
        start,
        end,
        categories,
        sources,
        risks,
        stations,
        res,
        every,
        selection,
        layer=layer,
        layer_params=control_values(param_ids, param_values),
        table=table_source,
        tab=tab,
        window=time_slider.window_of(week, weeks, start, end),
        overlay=overlay,
        opacity=opacity,
        overlay_opacity=overlay_opacity,
    )
    query = to_query(state, lang)
    if query == (search or ""):
        raise PreventUpdate
    return query


def write_url(*args: object) -> tuple[str, str]:
    """Callback: :func:`sync_url`, also noting the query as the page's own (so that the
    back-button restore tells it from a ``popstate``)."""
    query = sync_url(*args)  # type: ignore[arg-type]
    return query, query


def reset_filters(
    n_clicks: int | None, defaults: dict[str, str | None] | None
) -> tuple[str | None, str | None, list, list, list, list]:
    """Callback: back to the default date range and no other filter."""
    defaults = defaults or {}
    return defaults.get("start"), defaults.get("end"), [], [], [], []


def open_case(selected: list | None) -> str:
    """Callback: a click on a case-list row (the grid selects it) opens the case (the query
    string is kept, for the case page's way back)."""
    if not isinstance(selected, list) or not selected or not isinstance(selected[0], dict):
        raise PreventUpdate
    number = selected[0].get("id")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise PreventUpdate
    return f"/case/{number}"


def poll_data_version(_ticks: int | None, known: int | None) -> int | NoUpdate:
    """Callback: the store's data version when it differs from the page's, else no update.

    One cheap query every :data:`REFRESH_SECONDS`; the views redraw only on a change.
    """
    current = services().access.data_version()
    return current if current != known else no_update


def area_report(geojson: object, start: object, end: object, lang: str | None) -> Component:
    """Callback: the area just drawn on the map, its number of cases in the date range, and
    the link to its report (the case list of the area, with its summary and CSV export;
    the area is in the link, so the link reproduces the report)."""
    lang = normalise_language(lang)
    drawn = drawn_areas(geojson)
    area = drawn[-1] if drawn else None
    if area is None:
        return html.Span(t("map.draw_hint", lang), className="muted")
    try:
        spec = cases.CaseSpec(
            measure="incidents",
            start=parse_date(start),
            end=parse_date(end),
            area=area,
        )
    except (cases.SpecError, ValueError):
        return html.Span(t("map.draw_hint", lang), className="muted")
    svc, scope = services(), current_scope()
    incidents = svc.access.incidents(scope, IncidentFilter())
    tz = svc.access.tz
    total = cases.select(incidents, None, spec, layer_now(None, tz), tz).height
    compare: list = []
    if len(drawn) >= 2:  # the last two drawn, side by side in the review
        query = urlencode({"lang": lang, "area_a": drawn[-2], "area_b": drawn[-1]}, safe=",:;")
        compare = [
            " · ",
            dcc.Link(t("map.drawn_compare", lang), href=f"/review?{query}", id=AREA_COMPARE),
        ]
    return html.Span(
        [
            t("map.drawn", lang, n=f"{total:,}"),
            " ",
            dcc.Link(t("map.drawn_open", lang), href=case_links.href(spec, lang), id=AREA_LINK),
            *compare,
        ]
    )


def search_map(text: object, lang: str | None) -> tuple[list, list]:
    """Callback: the places and addresses matching the search box, as buttons, and the
    bounds each one zooms the map to (:mod:`dashboard.parts.search`)."""
    lang = normalise_language(lang)
    if not isinstance(text, str) or not text.strip():
        return [], []
    found = search(services(), current_scope(), text, lang)
    if not found:
        return [html.P(t("map.search_none", lang), className="muted")], []
    buttons = [
        html.Button(
            [
                html.Span(hit.label, className="map-search-name"),
                html.Span(
                    label("place_kind", hit.kind, lang)
                    + (f" · {hit.incidents:,}" if hit.incidents else ""),
                    className="map-search-kind",
                ),
            ],
            id={"type": MAP_SEARCH_HIT, "index": i},
            n_clicks=0,
            type="button",
            className="map-search-hit",
        )
        for i, hit in enumerate(found)
    ]
    return buttons, [[[b[1], b[0]], [b[3], b[2]]] for b in (hit.bounds for hit in found)]


def register_callbacks(app: Dash) -> None:
    """Register the page's callbacks on ``app``."""
    lang = State(ids.PAGE_LANG, "data")
    zoom_res = Input(ZOOM_RES, "data")
    register_map(app, MAP_KEY)
    app.callback(
        Output(AREA_REPORT, "children"),
        Input(DRAW, "geojson"),
        State(ids.DATE_RANGE, "start_date"),
        State(ids.DATE_RANGE, "end_date"),
        lang,
        prevent_initial_call=True,
    )(area_report)
    app.callback(
        Output(MAP_SEARCH_RESULTS, "children"),
        Output(MAP_SEARCH_BOUNDS, "data"),
        Input(MAP_SEARCH, "value"),
        lang,
        prevent_initial_call=True,
    )(search_map)
    app.clientside_callback(
        ClientsideFunction("anning_leaflet", "goTo"),
        Output(MAP.map, "viewport", allow_duplicate=True),
        Input({"type": MAP_SEARCH_HIT, "index": ALL}, "n_clicks"),
        State(MAP_SEARCH_BOUNDS, "data"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(MAP.paint, "data"),
        Output(MAP.cells, "url"),
        Output(MAP.points, "data"),
        Output(ids.MAP_LEGEND, "children"),
        Output(MAP_EMPTY, "children"),
        Output(MAP_EMPTY, "hidden"),
        *FILTER_INPUTS,
        Input(ids.RESOLUTION, "value"),
        Input(ids.SELECTION, "data"),
        Input(ids.LAYER, "value"),
        PARAM_VALUES,
        PARAM_IDS,
        lang,
        DATA_CHANGED,
        *WINDOW_INPUTS,
        zoom_res,
        *OVERLAY_INPUTS,
    )(update_map)
    app.callback(
        Output(ZOOM_RES, "data"),
        Input(MAP.map, "zoom"),
        State(MAP.map, "center"),
        State(ZOOM_RES, "data"),
        prevent_initial_call=True,
    )(follow_zoom)
    app.callback(
        Output(RES_NOW, "children"),
        Input(ids.RESOLUTION, "value"),
        zoom_res,
        lang,
    )(resolution_note)
    app.callback(
        Output({"type": ids.LAYER_PARAMS, "layer": ALL}, "hidden"),
        Output({"type": ids.LAYER_PARAMS, "layer": ALL}, "className"),
        Output(ids.LAYER_HINT, "children"),
        Output(ids.LAYER_TABLE_SOURCE, "options"),
        Output(ids.OVERLAY, "options"),
        Input(ids.LAYER, "value"),
        Input(ids.LAYER_TABLE_SOURCE, "value"),
        lang,
        Input(ids.OVERLAY, "value"),
    )(show_layer_controls)
    app.callback(
        Output(ids.OVERLAY, "value", allow_duplicate=True),
        Input(ids.LAYER, "value"),
        State(ids.OVERLAY, "value"),
        prevent_initial_call=True,
    )(drop_overlay)
    app.callback(
        Output(ids.LAYER_TABLE, "columnDefs"),
        Output(ids.LAYER_TABLE, "filterModel"),
        Output(ids.LAYER_TABLE_EXPORT, "href"),
        *FILTER_INPUTS,
        Input(ids.RESOLUTION, "value"),
        Input(ids.LAYER, "value"),
        Input(ids.LAYER_TABLE_SOURCE, "value"),
        PARAM_VALUES,
        PARAM_IDS,
        lang,
        *WINDOW_INPUTS,
        zoom_res,
        State(ids.LAYER_TABLE, "columnDefs"),
        State(ids.LAYER_TABLE, "filterModel"),
        prevent_initial_call=True,
    )(setup_layer_table)
    app.callback(
        Output(ids.LAYER_TABLE, "getRowsResponse"),
        Output(ids.LAYER_TABLE_TOTAL, "children"),
        Input(ids.LAYER_TABLE, "getRowsRequest"),
        *FILTER_STATES,
        State(ids.RESOLUTION, "value"),
        State(ids.LAYER, "value"),
        State(ids.LAYER_TABLE_SOURCE, "value"),
        PARAM_STATES,
        PARAM_IDS,
        lang,
        *WINDOW_STATES,
        State(ZOOM_RES, "data"),
        prevent_initial_call=True,
    )(get_layer_rows)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.SELECTION, "data", allow_duplicate=True),
        Input(ids.LAYER_TABLE, "cellClicked"),
        prevent_initial_call=True,
    )(open_layer_row)
    app.callback(
        Output(ids.LIST_TABS, "value"),
        Input(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )(show_cases_of_selection)
    app.clientside_callback(
        ClientsideFunction("anning_grid", "reveal"),
        Output(CASE_REVEAL, "data"),
        Input(ids.SELECTION, "data"),
        State(ids.CASES_CARD, "id"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.CASES_PANEL, "hidden"),
        Output(ids.LAYER_PANEL, "hidden"),
        Input(ids.LIST_TABS, "value"),
    )(switch_list)
    app.callback(
        Output(ids.TREND, "figure"),
        *FILTER_INPUTS,
        Input(ids.TREND_EVERY, "value"),
        lang,
        DATA_CHANGED,
        *WINDOW_INPUTS,
        Input(ids.SELECTION, "data"),
    )(update_trend)
    app.callback(
        *(Output(kpi, "children") for kpi in KPI_IDS),
        *(Output(kpi_link_id(kpi), "href") for kpi in KPI_IDS),
        *FILTER_INPUTS,
        DATA_CHANGED,
        *WINDOW_INPUTS,
        Input(ids.SELECTION, "data"),
        lang,
    )(update_kpis)
    app.callback(
        Output(ids.CASE_TABLE, "filterModel"),
        *FILTER_INPUTS,
        Input(ids.SELECTION, "data"),
        *WINDOW_INPUTS,
        State(ids.CASE_TABLE, "filterModel"),
        prevent_initial_call=True,
    )(reload_cases)
    app.callback(
        Output(ids.CASE_TABLE, "getRowsResponse"),
        Output(ids.CASE_TOTAL, "children"),
        Input(ids.CASE_TABLE, "getRowsRequest"),
        *FILTER_STATES,
        State(ids.SELECTION, "data"),
        lang,
        *WINDOW_STATES,
        prevent_initial_call=True,
    )(get_cases)
    app.clientside_callback(
        ClientsideFunction("anning_grid", "refresh"),
        Output(CASE_REFRESH, "data"),
        DATA_CHANGED,
        State(ids.CASE_TABLE, "id"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.DATA_VERSION, "data"),
        Input(ids.REFRESH_TICK, "n_intervals"),
        State(ids.DATA_VERSION, "data"),
        prevent_initial_call=True,
    )(poll_data_version)
    app.callback(
        Output(ids.SELECTION_CHIP, "children"),
        Output(ids.SELECTION_CHIP_WRAP, "hidden"),
        Output(ids.CASE_TITLE, "children"),
        Input(ids.SELECTION, "data"),
        lang,
    )(show_selection)
    app.callback(
        Output(ids.SELECTION, "data"),
        Input(MAP.cells, "clickData"),
        Input(MAP.stations, "clickData"),
        Input(MAP.points, "clickData"),
        Input(ids.SELECTION_CLEAR, "n_clicks"),
        Input(ids.TREND, "clickData"),
        State(ids.TREND_EVERY, "value"),
        prevent_initial_call=True,
    )(select)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(overview_history.WRITTEN, "data"),
        *FILTER_INPUTS,
        Input(ids.RESOLUTION, "value"),
        Input(ids.TREND_EVERY, "value"),
        Input(ids.SELECTION, "data"),
        Input(ids.LAYER, "value"),
        PARAM_VALUES,
        Input(ids.LIST_TABS, "value"),
        Input(ids.LAYER_TABLE_SOURCE, "value"),
        PARAM_IDS,
        lang,
        State(ids.URL, "search"),
        *WINDOW_INPUTS,
        Input(time_slider.TICK, "disabled"),
        *OVERLAY_INPUTS,
        prevent_initial_call=True,
    )(write_url)
    _register_history(app)
    _register_time_slider(app, lang)
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
        Input(ids.CASE_TABLE, "selectedRows"),
        prevent_initial_call=True,
    )(open_case)


#: The controls the back button restores, in :func:`overview_history.control_values` order.
HISTORY_CONTROLS: list[tuple[str | dict, str]] = [
    (ids.DATE_RANGE, "start_date"),
    (ids.DATE_RANGE, "end_date"),
    (ids.CATEGORY, "value"),
    (ids.SOURCE, "value"),
    (ids.RISK, "value"),
    (ids.STATION, "value"),
    (ids.RESOLUTION, "value"),
    (ids.TREND_EVERY, "value"),
    (ids.SELECTION, "data"),
    (ids.LAYER, "value"),
    ({"type": ids.LAYER_PARAM, "layer": ALL, "param": ALL}, "value"),
    (ids.LIST_TABS, "value"),
    (ids.LAYER_TABLE_SOURCE, "value"),
    (time_slider.SLIDER, "value"),
    (time_slider.WINDOW, "value"),
    (ids.OVERLAY, "value"),
    (ids.OPACITY, "value"),
    (ids.OVERLAY_OPACITY, "value"),
]


def restore_from_url(
    search: str | None,
    pathname: str | None,
    written: str | None,
    param_ids: ParamIds,
    zoom_res: int | None,
    *current: object,
) -> list[object]:
    """Callback: back and forward set the controls from the URL (see
    :mod:`dashboard.screens.overview.history`)."""
    return overview_history.restore(search, pathname, written, param_ids, current, zoom_res)


def _register_history(app: Dash) -> None:
    app.callback(
        *[Output(c, p, allow_duplicate=True) for c, p in HISTORY_CONTROLS],
        Output(overview_history.WRITTEN, "data", allow_duplicate=True),
        Input(ids.URL, "search"),
        State(ids.URL, "pathname"),
        State(overview_history.WRITTEN, "data"),
        PARAM_IDS,
        State(ZOOM_RES, "data"),
        *[State(c, p) for c, p in HISTORY_CONTROLS],
        prevent_initial_call=True,
    )(restore_from_url)


def play_time(
    clicks: int | None,
    ticks: int | None,
    value: int | None,
    low: int | None,
    high: int | None,
    stopped: bool | None,
    lang: str,
    painted: int | None = None,
    frame: list | None = None,
) -> tuple[object, ...]:
    """Callback: play, pause and the ticks of playback (see :func:`time_slider.play`); a
    tick before the map has drawn the week shown waits for it (``painted``: the map's paint
    count; ``frame``: the count when the slider last moved, and the ticks waited since)."""
    triggered = triggered_props()
    tick = f"{time_slider.TICK}.n_intervals" in triggered
    if tick and not stopped and time_slider.waiting_for_draw(painted, frame):
        return no_update, no_update, no_update, no_update, [frame[0], int(frame[1]) + 1]
    answer = time_slider.play(clicks, ticks, value, low, high, stopped, triggered, lang)
    return (*answer, [painted if isinstance(painted, int) else 0, 0])


def _register_time_slider(app: Dash, lang: State) -> None:
    app.callback(
        Output(time_slider.SLIDER, "min"),
        Output(time_slider.SLIDER, "max"),
        Output(time_slider.SLIDER, "marks"),
        Output(time_slider.SLIDER, "value", allow_duplicate=True),
        Input(ids.DATE_RANGE, "start_date"),
        Input(ids.DATE_RANGE, "end_date"),
        State(time_slider.SLIDER, "value"),
        lang,
        prevent_initial_call=True,
    )(time_slider.update_bounds)
    app.callback(
        Output(time_slider.LABEL, "children"),
        *WINDOW_INPUTS,
        Input(ids.DATE_RANGE, "start_date"),
        Input(ids.DATE_RANGE, "end_date"),
        lang,
    )(time_slider.show_window)
    app.callback(
        Output(time_slider.SLIDER, "value", allow_duplicate=True),
        Output(time_slider.TICK, "disabled"),
        Output(time_slider.PLAY, "children"),
        Output(time_slider.PLAY, "title"),
        Output(time_slider.FRAME, "data"),
        Input(time_slider.PLAY, "n_clicks"),
        Input(time_slider.TICK, "n_intervals"),
        State(time_slider.SLIDER, "value"),
        State(time_slider.SLIDER, "min"),
        State(time_slider.SLIDER, "max"),
        State(time_slider.TICK, "disabled"),
        lang,
        State(MAP.painted, "data"),
        State(time_slider.FRAME, "data"),
        prevent_initial_call=True,
    )(play_time)
