"""The station workspace (``/station/<code>``): a station chief's desk.

The case list is an AG Grid on the infinite row model (server-side paging, sorting and
filtering, :mod:`dashboard.screens.station.grid`) with an address search, status, risk and category
filters and CSV/Excel export (:mod:`dashboard.screens.station.export`); beside it the follow-ups due
this week, the early warnings, the repeat addresses and the patrol plan with its printable
sheet (:mod:`dashboard.screens.station.panels`, :mod:`dashboard.screens.station.patrol_sheet`). A
row opens the case
page, which lists the linked incidents.

Station chiefs and officers may open their own station only; another station's code shows
the forbidden page, an unknown code a "no such station" notice. Every callback reads the
station from the URL and checks it again (:func:`dashboard.screens.station.access.station_access`),
so nothing leaks through a callback called by hand. Search, filters, sort and page are kept
in the URL query: a link reproduces the view.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import dash_ag_grid as dag
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboard.parts import ids
from dashboard.parts.form import field, holding_place
from dashboard.parts.i18n import dropdown_labels, label, normalise_language, options, t
from dashboard.parts.leaflet_map import leaflet_map, map_ids, register_map
from dashboard.parts.linked import from_station
from dashboard.parts.services import layer_now, services
from dashboard.parts.tables import grid_locale
from dashboard.screens.station import loop
from dashboard.screens.station import map as station_map
from dashboard.screens.station.access import FORBIDDEN, MISSING, OK, code_in_path, station_access
from dashboard.screens.station.export import export_href
from dashboard.screens.station.grid import (
    PAGE_SIZE,
    GridState,
    column_defs,
    filter_model,
    from_query,
    grid_rows,
    state_from_request,
    to_query,
    with_controls,
)
from dashboard.screens.station.map import station_map_part
from dashboard.screens.station.panels import (
    due_panel,
    format_int,
    layer_table_href,
    panel_data,
    plan_cells,
    plan_panel,
    repeat_panel,
    training_incidents,
    warning_panel,
)
from dashboard.web import shell
from dashboard.web.scope import current_scope
from data.access import IncidentFilter
from data.vocab import CATEGORIES, RISK_LEVELS, STATUSES
from layers.patrol_plan import TRAIN_WEEKS

logger = logging.getLogger(__name__)

# -- component ids (all start with the screen's name) ------------------------------------------
CODE = "station-code"
SWITCH = "station-switch"
SEARCH = "station-search"
STATUS = "station-status"
RISK = "station-risk"
CATEGORY = "station-category"
CLEAR = "station-clear"
GRID = "station-grid"
TOTAL = "station-total"
EMPTY = "station-empty"
EXPORT_CSV = "station-export-csv"
EXPORT_XLSX = "station-export-xlsx"
PAGE_GOAL = "station-page-goal"
PANELS = "station-panels"
DUE = "station-due"
WARNINGS = "station-warnings"
REPEATS = "station-repeats"
PLAN = "station-plan"
SHEET_LINK = "station-sheet-link"


# -- layout ---------------------------------------------------------------------------------------
def layout(lang: str, search: str, code: str | None = None, **_: str) -> html.Div:
    """The workspace of station ``code``, the forbidden page, or the "no such station" notice."""
    svc, scope = services(), current_scope()
    verdict = station_access(svc.access, scope, code)
    if verdict == FORBIDDEN:
        return shell.forbidden(lang)
    if verdict == MISSING:
        return not_found(lang)
    names = svc.station_names(scope, lang)
    part = station_map_part(svc, scope, code or "", lang)
    return build(lang, code or "", from_query(search), names, scope.personal_details, part)


def not_found(lang: str) -> html.Div:
    """The notice for a station code nobody knows."""
    return shell.page_frame(
        lang,
        [html.Div(html.P(t("station.not_found", lang)), className="card notice", role="alert")],
        "page-station",
    )


def validation_layout() -> html.Div:
    """Every component the screen's callbacks name, for Dash's validation (no database)."""
    return build("zh", "BA01", GridState(), {"BA01": "BA01", "BA02": "BA02"}, True)


def _dropdown(component_id: str, kind: str, codes: tuple[str, ...], value, lang: str):
    return dcc.Dropdown(
        id=component_id,
        options=options(kind, codes, lang),
        value=list(value),
        multi=True,
        placeholder=t("station.all", lang),
        labels=dropdown_labels(lang),
        className="filter-dropdown station-filter",
    )


def build(
    lang: str,
    code: str,
    state: GridState,
    names: Mapping[str, str],
    personal: bool,
    map_part: Component | None = None,
) -> html.Div:
    """The workspace's components for ``state`` (pure: no database, no request); ``map_part``
    is the station map (:func:`~dashboard.screens.station.map.station_map_part`)."""
    title = t("station.title", lang, station=names.get(code, code))
    switch = dcc.Dropdown(
        id=SWITCH,
        options=[{"label": name, "value": c} for c, name in names.items()],
        value=code,
        clearable=False,
        searchable=False,
        className="station-switch",
    )
    head = html.Div(
        [
            html.H1(title, className="page-title"),
            html.Div(
                [
                    html.Span(t("station.switch", lang), className="field-label"),
                    holding_place(switch),
                ],
                className="station-switch-wrap",
                hidden=len(names) <= 1,
            ),
        ],
        className="station-head",
    )
    controls = html.Div(
        [
            field(
                t("station.search", lang),
                dcc.Input(
                    id=SEARCH,
                    type="search",
                    value=state.address,
                    debounce=0.4,
                    maxLength=60,
                    placeholder=t("station.search_placeholder", lang),
                    className="text-input station-search",
                ),
                html_for=SEARCH,
                class_name="station-field",
            ),
            field(
                t("station.status", lang),
                _dropdown(STATUS, "status", STATUSES, state.statuses, lang),
                class_name="station-field",
            ),
            field(
                t("station.risk", lang),
                _dropdown(RISK, "risk", RISK_LEVELS, state.risks, lang),
                class_name="station-field",
            ),
            field(
                t("station.category", lang),
                _dropdown(CATEGORY, "category", CATEGORIES, state.categories, lang),
                class_name="station-field",
            ),
            html.Button(t("station.clear", lang), id=CLEAR, n_clicks=0, className="button"),
        ],
        className="station-controls",
    )
    grid = dag.AgGrid(
        id=GRID,
        rowModelType="infinite",
        columnDefs=column_defs(lang, state),
        defaultColDef={"resizable": True},
        filterModel=filter_model(state),
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 20,
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "localeText": grid_locale(lang),
            "tooltipShowDelay": 400,
            "suppressCellFocus": False,
            "rowHeight": 34,
            "headerHeight": 36,
        },
        rowClassRules={
            "station-row-high": "params.data && params.data.risk_code == 'high'",
        },
        className="station-grid ag-theme-quartz",
        style={"height": f"{PAGE_SIZE * 34 + 36 + 52}px", "width": "100%"},
    )
    tools = html.Div(
        [
            html.Span(
                t("station.loading", lang), id=TOTAL, className="station-total", role="status"
            ),
            html.Span(t("station.row_hint", lang), className="card-hint"),
            html.Span(
                [
                    html.A(
                        t("station.export_csv", lang),
                        id=EXPORT_CSV,
                        href=export_href(code, state, lang, "csv"),
                        className="button station-export",
                        download="",
                    ),
                    html.A(
                        t("station.export_xlsx", lang),
                        id=EXPORT_XLSX,
                        href=export_href(code, state, lang, "xlsx"),
                        className="button station-export",
                        download="",
                    ),
                ],
                className="station-exports",
                title=t("station.export_hint", lang),
            ),
        ],
        className="station-tools",
    )
    cases = html.Section(
        [
            html.Div(
                [html.H2(t("station.cases_title", lang), className="card-title")],
                className="card-head",
            ),
            controls,
            tools,
            html.P(id=EMPTY, className="station-empty", role="status", hidden=True),
            html.P(t("station.masked", lang), className="muted") if not personal else None,
            grid,
        ],
        className="card station-cases",
    )
    side = dcc.Loading(
        html.Div(
            html.P(t("station.loading", lang), className="muted"),
            id=PANELS,
            className="station-side",
        ),
        type="dot",
        className="station-side-loading",
    )
    return shell.page_frame(
        lang,
        [
            dcc.Store(id=CODE, data=code),
            dcc.Store(id=PAGE_GOAL, data=state.page if state.page > 1 else None),
            head,
            map_card(lang, map_part),
            html.Div([side, cases], className="station-layout"),
            loop.section(lang, code),  # support requests, warning visits, tasks (issue 13)
        ],
        "page-station",
    )


def map_card(lang: str, map_part: Component | None) -> html.Section:
    """The card holding the station map (a map without stations for Dash's validation)."""
    part = map_part or leaflet_map(
        station_map.MAP_KEY,
        stations_url="/geo/stations.geojson",
        cells_url="/geo/cells/9.geojson",
        stations=(),
        names={},
        fit_label=t("map.fit_station", lang),
    )
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t("station.map.title", lang), className="card-title"),
                    html.Span(
                        t("station.map.hint", lang, days=station_map.MAP_DAYS),
                        className="card-hint",
                    ),
                ],
                className="card-head",
            ),
            part,
        ],
        className="card station-map-card",
    )


# -- callbacks ------------------------------------------------------------------------------------
def paint_map(code: str | None, pathname: str | None, lang: str | None) -> tuple[dict, dict]:
    """Callback: the station map's paint and repeat-address dots."""
    lang = normalise_language(lang)
    checked = _checked_code(pathname)
    return station_map.station_paint(services(), current_scope(), checked, lang)


def open_cell(
    cell_click: dict | None, point_click: dict | None, lang: str | None
) -> tuple[str, str]:
    """Callback: a click on a hexagon or a dot opens the overview with that cell's cases."""
    lang = normalise_language(lang)
    dots = f"{map_ids(station_map.MAP_KEY).points}.clickData"
    if dots in shell.triggered_props() or cell_click is None:
        cell = ((point_click or {}).get("properties") or {}).get("id")
    else:
        cell = cell_click.get("id")
    if not isinstance(cell, str) or not cell:
        raise PreventUpdate
    return "/", f"?lang={lang}&res={station_map.MAP_RES}&sel=cell:{cell}"


def _checked_code(pathname: str | None) -> str:
    """The station of the page's path if the caller may open it; otherwise stop the callback."""
    code = code_in_path(pathname)
    if station_access(services().access, current_scope(), code) != OK:
        raise PreventUpdate
    return code or ""


def _why(state: GridState, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    parts = []
    if state.address:
        parts.append(t("station.why.address", lang, q=state.address))
    for key, kind, codes in (
        ("status", "status", state.statuses),
        ("risk", "risk", state.risks),
        ("category", "category", state.categories),
    ):
        if codes:
            parts.append(
                t(f"station.why.{key}", lang, v=sep.join(label(kind, c, lang) for c in codes))
            )
    return ("；" if lang == "zh" else "; ").join(parts)


def get_rows(request: dict | None, pathname: str | None, lang: str | None):
    """Callback: answer the grid's request for a block of rows, and say how many match."""
    lang = normalise_language(lang)
    if not isinstance(request, dict) or not request:
        raise PreventUpdate
    code = _checked_code(pathname)
    svc, scope = services(), current_scope()
    state, start, count = state_from_request(request)
    flt = IncidentFilter(stations=(code,), risk_levels=state.risks, categories=state.categories)
    page, total = svc.access.case_page(
        scope, flt, state.sort, state.descending, start, count, state.address, state.statuses
    )
    rows = grid_rows(page, lang, svc.station_names(scope, lang))
    if total:
        empty, hidden = "", True
    else:
        why = _why(state, lang)
        empty = t("station.empty.cases", lang, why=why) if why else t("station.empty.none", lang)
        hidden = False
    return (
        {"rowData": rows, "rowCount": total},
        t("station.total", lang, n=format_int(total, lang)),
        empty,
        hidden,
    )


def apply_controls(address, statuses, risks, categories, search: str | None):
    """Callback: the controls' values into the grid's filter model (the grid asks again)."""
    state = with_controls(from_query(search), address, statuses, risks, categories)
    return filter_model(state)


def clear_controls(n_clicks: int | None):
    """Callback: the clear button empties the search and the filters."""
    if not n_clicks:
        raise PreventUpdate
    return "", [], [], []


def sync_url(request: dict | None, info: dict | None, goal, search: str | None, pathname, lang):
    """Callback: the grid's sort, filters and page into the URL query and the export links."""
    code = _checked_code(pathname)
    lang = normalise_language(lang)
    state, _, _ = state_from_request(request if isinstance(request, dict) else None)
    page = state.page
    if isinstance(info, dict) and isinstance(info.get("currentPage"), int):
        page = info["currentPage"] + 1
    if _page_number(goal):  # the page of the link is not reached yet: keep it in the URL
        page = _page_number(goal)
    state = GridState(
        state.address,
        state.statuses,
        state.risks,
        state.categories,
        state.sort,
        state.descending,
        page,
    )
    query = to_query(state, lang)
    url = no_update if query == search else query
    return url, export_href(code, state, lang, "csv"), export_href(code, state, lang, "xlsx")


def restore_page(info: dict | None, goal):
    """Callback: once the grid knows its row count, go to the page the link named."""
    goal = _page_number(goal)
    if not goal or not isinstance(info, dict) or info.get("isLastPageFound") is not True:
        raise PreventUpdate  # the grid does not know yet how many pages there are
    pages = info.get("totalPages")
    pages = pages if isinstance(pages, int) and pages > 0 else 1
    target = min(goal, pages) - 1
    if info.get("currentPage") == target:
        return no_update, None
    return target, None


def open_case(selected: list | None, search: str | None, pathname: str | None):
    """Callback: a clicked row opens its case page (the query comes along for the way back)."""
    if not isinstance(selected, list) or not selected:
        raise PreventUpdate
    if not isinstance(selected[0], dict) or "id" not in selected[0]:
        raise PreventUpdate
    try:
        number = int(selected[0]["id"])
    except (TypeError, ValueError):
        raise PreventUpdate from None
    code = code_in_path(pathname)
    search = search if isinstance(search, str) else ""
    return f"/case/{number}", from_station(search, code) if code else search


def switch_station(code: str | None, current: str | None, search: str | None):
    """Callback: the station switch opens another station's workspace (same language)."""
    if not isinstance(code, str) or not code or code == current:
        raise PreventUpdate
    lang = from_lang(search)
    return f"/station/{code}", f"?lang={lang}" if lang else ""


def from_lang(search: str | None) -> str | None:
    """The ``lang`` of a query string, if it has one."""
    from urllib.parse import parse_qs

    values = parse_qs(search.lstrip("?") if isinstance(search, str) else "").get("lang")
    return normalise_language(values[0]) if values else None


def load_panels(code: str | None, pathname: str | None, search: str | None, lang: str | None):
    """Callback: the side panels of the station, read for the caller's scope."""
    lang = normalise_language(lang)
    checked = _checked_code(pathname)
    if code != checked:
        raise PreventUpdate
    svc, scope = services(), current_scope()
    try:
        judged = layer_now(None, svc.access.tz)  # the lists the panels open judge alike
        data = panel_data(svc, scope, checked, judged)
        incidents = training_incidents(svc, scope, checked, _now(), TRAIN_WEEKS)
        cells = plan_cells(data.plan, data.repeats, data.warnings, incidents)
    except Exception:
        logger.exception("station panels of %s failed", checked)
        return html.P(t("station.panels_failed", lang), className="card notice", role="alert")
    tz = svc.access.tz
    back = from_station(to_query(from_query(search), lang), checked)
    sheet = f"/station/{checked}/patrol-sheet?lang={lang}"
    extent = svc.access.date_extent(scope)
    return [
        due_panel(data.due, data.overdue, lang, tz, back, DUE, checked, judged),
        plan_panel(
            cells,
            lang,
            PLAN,
            sheet,
            SHEET_LINK,
            # One station's workspace: the street is always its own, so it is left out.
            svc.cell_names(
                cells["cell"].to_list() if "cell" in cells.columns else [], lang, street=False
            ),
        ),
        warning_panel(
            data.warnings,
            lang,
            tz,
            WARNINGS,
            layer_table_href(checked, "early_warning", extent, lang),
        ),
        repeat_panel(
            data.repeats,
            lang,
            tz,
            REPEATS,
            layer_table_href(checked, "repeat_addresses", extent, lang),
        ),
    ]


def _page_number(value: object) -> int | None:
    """A page number from the page-goal store (None for anything else)."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100_000:
        return value
    return None


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


def register_callbacks(app: Dash) -> None:
    """Register the screen's callbacks on ``app``."""
    lang = State(ids.PAGE_LANG, "data")
    parts = map_ids(station_map.MAP_KEY)
    register_map(app, station_map.MAP_KEY)
    app.callback(
        Output(parts.paint, "data"),
        Output(parts.points, "data"),
        Input(CODE, "data"),
        State(ids.URL, "pathname"),
        lang,
    )(paint_map)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(parts.cells, "clickData"),
        Input(parts.points, "clickData"),
        lang,
        prevent_initial_call=True,
    )(open_cell)
    app.callback(
        Output(GRID, "getRowsResponse"),
        Output(TOTAL, "children"),
        Output(EMPTY, "children"),
        Output(EMPTY, "hidden"),
        Input(GRID, "getRowsRequest"),
        State(ids.URL, "pathname"),
        lang,
    )(get_rows)
    app.callback(
        Output(GRID, "filterModel"),
        Input(SEARCH, "value"),
        Input(STATUS, "value"),
        Input(RISK, "value"),
        Input(CATEGORY, "value"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(apply_controls)
    app.callback(
        Output(SEARCH, "value"),
        Output(STATUS, "value"),
        Output(RISK, "value"),
        Output(CATEGORY, "value"),
        Input(CLEAR, "n_clicks"),
        prevent_initial_call=True,
    )(clear_controls)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(EXPORT_CSV, "href"),
        Output(EXPORT_XLSX, "href"),
        Input(GRID, "getRowsRequest"),
        Input(GRID, "paginationInfo"),
        State(PAGE_GOAL, "data"),
        State(ids.URL, "search"),
        State(ids.URL, "pathname"),
        lang,
        prevent_initial_call=True,
    )(sync_url)
    app.callback(
        Output(GRID, "paginationGoTo"),
        Output(PAGE_GOAL, "data"),
        Input(GRID, "paginationInfo"),
        State(PAGE_GOAL, "data"),
        prevent_initial_call=True,
    )(restore_page)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(GRID, "selectedRows"),
        State(ids.URL, "search"),
        State(ids.URL, "pathname"),
        prevent_initial_call=True,
    )(open_case)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(SWITCH, "value"),
        State(CODE, "data"),
        State(ids.URL, "search"),
        prevent_initial_call=True,
    )(switch_station)
    app.callback(
        Output(PANELS, "children"),
        Input(CODE, "data"),
        State(ids.URL, "pathname"),
        State(ids.URL, "search"),
        lang,
    )(load_panels)
    loop.register_callbacks(app)
