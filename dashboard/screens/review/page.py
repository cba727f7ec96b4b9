"""The leadership review screen (``/review``): a period against its comparison, trends by
category and source, an hour × weekday heatmap and the station league table, with one-click
exports (PDF meeting pack, Excel workbook; any chart as PNG from its modebar).

State lives in the URL (:mod:`dashboard.screens.review.state`). The controls write it there and into
a store (:data:`STATE`); the views are drawn from the store, so one report is computed per
change (:func:`update_review`). The browser's back button changes only the URL: then the
whole body is rebuilt from it (:func:`restore`), which keeps the controls and the URL in
step without a circular callback.

Clicking a bar or a league-table row opens the overview (``/``) with that category, source
or station and the period's dates in its URL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import dash_ag_grid as dag
from dash import Dash, Input, Output, Patch, State, ctx, dcc, html, no_update
from dash.exceptions import MissingCallbackContextException, PreventUpdate

from dashboard.parts import case_links, ids
from dashboard.parts.form import field
from dashboard.parts.i18n import t
from dashboard.parts.services import layer_now, services
from dashboard.screens.review import loop
from dashboard.screens.review.areas import area_figures, area_section
from dashboard.screens.review.export import export_href
from dashboard.screens.review.figures import (
    graph_config,
    heatmap_figure,
    message_figure,
    trend_figure,
)
from dashboard.screens.review.report import (
    Report,
    build_report,
    change_tone,
    coverage_notes,
    fmt_change,
    fmt_period,
    fmt_value,
    station_label,
    target_words,
)
from dashboard.screens.review.state import (
    ReviewState,
    from_params,
    from_query,
    resolve,
    to_params,
    to_query,
    with_sort,
)
from dashboard.screens.review.stations import leaf_names
from dashboard.web import auth
from dashboard.web.scope import current_scope
from dashboard.web.shell import page_frame
from data.settings import review_targets
from data.users import REVIEW_ROLES
from measures import better_direction, cases
from measures.review import LEAGUE_COLUMNS, MEASURES, PERIOD_KINDS, Period
from measures.targets import judge

#: Roles that hold review meetings (see :func:`dashboard.web.auth.page_permitted`).
ROLES = REVIEW_ROLES

# -- component ids (all prefixed "review-") ------------------------------------------------------
BODY = "review-body"
STATE = "review-state"
KIND = "review-kind"
DAY = "review-day"
DAY_FIELD = "review-day-field"
RANGE = "review-range"
RANGE_FIELD = "review-range-field"
COMPARE = "review-compare"
CAPTION = "review-caption"
NOTES = "review-notes"
KPIS = "review-kpis"
#: The two drawn areas compared (shown only when the URL names two areas).
AREAS = "review-areas"
TREND_CATEGORY = "review-trend-category"
TREND_SOURCE = "review-trend-source"
HEATMAP = "review-heatmap"
LEAGUE = "review-league"
EXPORT_PDF = "review-export-pdf"
EXPORT_XLSX = "review-export-xlsx"

#: Row id of the league table's district total.
TOTAL_ROW = "_all"
#: League-table columns that are counts or measures (right-aligned, tabular figures).
NUMERIC_COLUMNS = [c for c in LEAGUE_COLUMNS if c != "station_code"]


# -- layout ----------------------------------------------------------------------------------------
def layout(lang: str, search: str, **_: str) -> html.Div:
    """The review for the state in ``search`` (default: the last complete month)."""
    state = _state_of(search)
    extent = services().access.date_extent(current_scope())
    return page_frame(lang, [html.Div(body(lang, state, extent), id=BODY)], "page-review")


def _state_of(search: str | None) -> ReviewState:
    extent = services().access.date_extent(current_scope())
    return from_query(search, extent, date.today())


def validation_layout() -> html.Div:
    """Every component the screen's callbacks name, for Dash's validation."""
    state = ReviewState(period=Period(date(2026, 1, 1), date(2026, 1, 31)))
    return html.Div(html.Div(body("zh", state, None), id=BODY))


def _segmented(component_id: str, values: tuple[str, ...], prefix: str, value: str, lang: str):
    return dcc.RadioItems(
        id=component_id,
        options=[{"label": t(f"{prefix}.{v}", lang), "value": v} for v in values],
        value=value,
        inline=True,
        className="segmented review-segmented",
        labelClassName="segment",
    )


def body(lang: str, state: ReviewState, extent: tuple[date, date] | None) -> list:
    """The screen's components for ``state`` (pure: no database, no request)."""
    period = state.period
    assert period is not None
    low, high = (extent[0], extent[1]) if extent else (None, None)
    controls = html.Section(
        [
            field(
                t("review.period", lang),
                _segmented(KIND, PERIOD_KINDS, "review.kind", state.kind, lang),
                class_name="review-field",
            ),
            field(
                t("review.anchor", lang),
                dcc.DatePickerSingle(
                    id=DAY,
                    date=period.start,
                    min_date_allowed=low,
                    max_date_allowed=high,
                    display_format="YYYY-MM-DD",
                    first_day_of_week=1,
                    month_format="MMMM YYYY" if lang == "en" else "YYYY年M月",
                    className="review-date",
                ),
                class_name="review-field",
                id=DAY_FIELD,
                hidden=state.kind == "custom",
            ),
            field(
                t("review.range", lang),
                dcc.DatePickerRange(
                    id=RANGE,
                    start_date=period.start,
                    end_date=period.end,
                    min_date_allowed=low,
                    max_date_allowed=high,
                    display_format="YYYY-MM-DD",
                    first_day_of_week=1,
                    month_format="MMMM YYYY" if lang == "en" else "YYYY年M月",
                    updatemode="bothdates",
                    className="review-date",
                ),
                class_name="review-field",
                id=RANGE_FIELD,
                hidden=state.kind != "custom",
            ),
            field(
                t("review.compare", lang),
                _segmented(COMPARE, ("previous", "last_year"), "review.cmp", state.compare, lang),
                class_name="review-field",
            ),
            html.Div(
                [
                    html.A(
                        t("review.export_pdf", lang),
                        id=EXPORT_PDF,
                        href=export_href("pdf", state, lang),
                        download="",
                        className="button review-export",
                    ),
                    html.A(
                        t("review.export_xlsx", lang),
                        id=EXPORT_XLSX,
                        href=export_href("xlsx", state, lang),
                        download="",
                        className="button review-export",
                    ),
                    html.Span(t("review.export_hint", lang), className="card-hint"),
                ],
                className="review-exports",
            ),
        ],
        className="card review-controls",
    )
    head = html.Div(
        [
            html.H1(t("review.title", lang), className="review-title"),
            html.Span(t("review.subtitle", lang), className="card-hint"),
            dcc.Link(t("review.nav_overview", lang), href=f"/?lang={lang}", className="review-nav"),
        ],
        className="review-head",
    )
    chart = "review-chart"
    views = dcc.Loading(
        [
            html.Div(
                [
                    html.Div("", id=CAPTION, className="review-caption"),
                    html.Ul([], id=NOTES, className="review-notes"),
                ],
            ),
            html.Section(html.Div(t("review.loading", lang)), id=KPIS, className="review-kpis"),
            html.Section(id=AREAS, className="card review-areas", hidden=not state.areas),
            html.Div(
                [
                    _chart_card(TREND_CATEGORY, "review.trend_category", "review.bar_hint", lang),
                    _chart_card(TREND_SOURCE, "review.trend_source", "review.bar_hint", lang),
                ],
                className="review-charts",
            ),
            html.Div(
                [
                    _chart_card(HEATMAP, "review.heatmap", None, lang),
                    html.Section(
                        [
                            html.Div(
                                [
                                    html.H2(t("review.league", lang), className="card-title"),
                                    html.Span(t("review.league_hint", lang), className="card-hint"),
                                ],
                                className="card-head",
                            ),
                            league_table(lang, state),
                        ],
                        className="card review-league-card",
                    ),
                ],
                className="review-lower",
            ),
        ],
        type="default",
        delay_show=300,
        overlay_style={"visibility": "visible", "opacity": 0.5},
        className=chart,
    )
    return [
        head,
        controls,
        dcc.Store(id=STATE, data=to_params(state)),
        views,
        loop.section(lang),  # support per unit, department tasks, warning visits (issue 13)
    ]


def _chart_card(graph_id: str, title_key: str, hint_key: str | None, lang: str) -> html.Section:
    head = [html.H2(t(title_key, lang), className="card-title")]
    if hint_key:
        head.append(html.Span(t(hint_key, lang), className="card-hint"))
    return html.Section(
        [
            html.Div(head, className="card-head"),
            dcc.Graph(
                id=graph_id,
                figure=message_figure(t("review.loading", lang), lang),
                config=graph_config(graph_id),
                className="review-graph",
            ),
        ],
        className="card review-chart-card",
    )


def target_text(measure: str, lang: str, targets: dict[str, float] | None = None) -> str:
    """``目标 ≥ 90.0%`` / ``Target ≤ 15.0``: the target of ``measure`` in words ('' if none)."""
    return target_words(measure, lang, review_targets() if targets is None else targets)


def _header_tip(column: str, lang: str, targets: dict[str, float]) -> str:
    tip = t(f"review.def.{column}", lang)
    aim = target_text(column, lang, targets)
    return f"{tip}\n{aim}" if aim else tip


def _column_def(column: str, lang: str, state: ReviewState, targets: dict[str, float]) -> dict:
    """One league-table column: raw values sorted, formatted text shown, the cell coloured
    by its judgement against the target, worst first on the first click."""
    worst_first = "desc" if worst_first_descending(column) else "asc"
    other = "asc" if worst_first == "desc" else "desc"
    name = t(f"review.m.{column}", lang)
    if column in targets:
        name = f"{name} ◎"  # ◎: judged against a target (the header's tooltip says which)
    spec = {
        "field": column,
        "colId": column,
        "headerName": name,
        "headerTooltip": _header_tip(column, lang, targets),
        "sortable": True,
        "sortingOrder": [worst_first, other],
        "valueFormatter": {"function": f"params.data ? params.data['{column}__text'] : ''"},
        "cellClassRules": {
            "review-cell-good": f"params.data && params.data['{column}__tone'] === 'good'",
            "review-cell-bad": f"params.data && params.data['{column}__tone'] === 'bad'",
        },
    }
    if column == "station_code":
        spec |= {"pinned": "left", "minWidth": 120, "cellClass": "review-cell-station"}
        spec["sortingOrder"] = ["asc", "desc"]
    else:
        spec |= {"type": "rightAligned", "cellClass": "review-cell-number"}
    if column == state.sort:
        spec["sort"] = "desc" if state.descending else "asc"
    return spec


def league_table(lang: str, state: ReviewState) -> dag.AgGrid:
    """The station league table (AG Grid): a header click sorts by that column, worst first
    (:func:`worst_first_descending`); the district total is pinned below the stations; each
    header explains its measure and target on hover; a cell opens the cases behind it."""
    targets = review_targets()
    return dag.AgGrid(
        id=LEAGUE,
        columnDefs=[_column_def(c, lang, state, targets) for c in LEAGUE_COLUMNS],
        rowData=[],
        defaultColDef={
            "resizable": True,
            "suppressMovable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            "minWidth": 78,
            "flex": 1,
        },
        getRowId="params.data.id",
        dashGridOptions={
            "pinnedBottomRowData": [],
            "domLayout": "autoHeight",
            "tooltipShowDelay": 200,
            "suppressCellFocus": False,
            "rowHeight": 32,
            "localeText": {"noRowsToShow": t("review.loading", lang)},
        },
        className="review-grid ag-theme-quartz",
        style={"width": "100%"},
    )


# -- views ------------------------------------------------------------------------------------
def worst_first_descending(column: str) -> bool:
    """Whether the league table shows the worst stations first on ``column`` when sorted
    descending: yes unless a higher value is better (``sla_compliance``, …); counts whose
    rise is neither good nor bad (incidents, the change columns) put the largest first."""
    measure = column if column in MEASURES else "incidents"
    return better_direction(measure) != "up"


def _kpi_cards(report: Report, lang: str) -> list[dcc.Link]:
    cards = []
    targets = review_targets()
    for measure in MEASURES:
        ch = report.change(measure)
        tone = change_tone(measure, ch.delta)
        verdict = judge(measure, report.totals.get(measure), targets)
        aim = target_text(measure, lang, targets)
        spec = cases.spec_for(measure, report.period.start, report.period.end, now=report.now)
        cards.append(
            dcc.Link(
                html.Div(
                    [
                        html.Div(t(f"review.m.{measure}", lang), className="kpi-label"),
                        html.Div(
                            fmt_value(measure, report.totals.get(measure)), className="kpi-value"
                        ),
                        html.Div(fmt_change(measure, ch, lang), className=f"review-change {tone}"),
                        html.Div(aim, className=f"review-target {verdict}") if aim else None,
                    ],
                    className=f"kpi card review-kpi {verdict}".strip(),
                    title=t(f"review.def.{measure}", lang),
                    **{"data-measure": measure},
                ),
                href=case_links.href(spec, lang),
                className="review-kpi-link",
            )
        )
    return cards


def _grid_row(row_id: str, name: str, values: dict, targets: dict[str, float]) -> dict:
    row = {"id": row_id, "station_code": name, "station_code__text": name}
    for c in NUMERIC_COLUMNS:
        value = values.get(c)
        row[c] = value
        row[f"{c}__text"] = fmt_value(c, value)
        row[f"{c}__tone"] = judge(c, value, targets)
    return row


def league_rows(
    report: Report, lang: str = "zh", targets: dict[str, float] | None = None
) -> tuple[list[dict], list[dict]]:
    """The league table's station rows (raw values to sort, ``<column>__text`` as shown,
    ``<column>__tone`` ``good``/``bad`` against the target) with the station code as row id,
    and the district total's row (row id :data:`TOTAL_ROW`), pinned below them."""
    targets = review_targets() if targets is None else targets
    rows = [
        _grid_row(row["station_code"], station_label(report, row["station_code"]), row, targets)
        for row in report.league.iter_rows(named=True)
    ]
    change = report.change("incidents")
    totals = {**report.totals, "change": change.delta, "change_pct": change.pct}
    total = _grid_row(TOTAL_ROW, t("review.total_row", lang), totals, targets)
    return rows, [total]


def cell_href(row_id: str, column: str, state: ReviewState, now: datetime, lang: str) -> str:
    """The case list behind one league-table cell: the column's measure (incidents for the
    station and change columns) for the row's station (every station for the total row)."""
    period = state.period
    assert period is not None
    measure = column if column in MEASURES else "incidents"
    stations = () if row_id == TOTAL_ROW else (row_id,)
    spec = cases.spec_for(measure, period.start, period.end, stations, now=now)
    return case_links.href(spec, lang)


def update_review(params: dict | None, lang: str | None):
    """Callback: draw every view of the review in the store ``params`` (one report)."""
    lang = lang or "zh"
    if not _permitted():
        raise PreventUpdate
    svc, scope = services(), current_scope()
    extent = svc.access.date_extent(scope)
    state = from_params(params, extent, date.today())
    names = leaf_names(lang)
    now = layer_now(None, svc.access.tz)
    report = build_report(svc.access, scope, state, now, names)
    compared = area_section(area_figures(svc.access, scope, state, now), state, now, lang, svc)
    rows, total = league_rows(report, lang)
    pinned = Patch()
    pinned["pinnedBottomRowData"] = total
    caption = [
        html.Span(t("review.showing", lang, period=fmt_period(report.period, lang))),
        html.Span(
            t("review.compared", lang, period=fmt_period(report.comparison, lang)),
            className="muted",
        ),
    ]
    notes = [html.Li(n) for n in coverage_notes(report, lang)]
    if not report.totals.get("incidents"):
        empty = (
            t("review.no_data_at_all", lang)
            if report.extent is None
            else t("review.empty_period", lang, period=fmt_period(report.period, lang))
        )
        notes.append(html.Li(empty, className="review-empty"))
        figures = [message_figure(empty, lang) for _ in range(2)]
        heat = message_figure(empty, lang)
    else:
        figures = [
            trend_figure(report.trend_category, "category", report.every, lang, report.trend_lines),
            trend_figure(report.trend_source, "source", report.every, lang, report.trend_lines),
        ]
        heat = heatmap_figure(report.heatmap, lang)
    return (
        caption,
        notes,
        _kpi_cards(report, lang),
        *figures,
        heat,
        rows,
        pinned,
        export_href("pdf", state, lang),
        export_href("xlsx", state, lang),
        compared,
        not compared,
    )


def _permitted() -> bool:
    """Whether the user asking may see the review (callbacks check it like the page does)."""
    user = auth.current_user()
    return user is not None and user.role in ROLES


def sorted_column(column_state: list[dict] | None) -> tuple[str, bool] | None:
    """The league table's sort column and whether it is descending, from AG Grid's
    ``columnState`` (None when no column is sorted)."""
    for column in column_state or []:
        if column.get("sort") in ("asc", "desc"):
            return str(column.get("colId")), column["sort"] == "desc"
    return None


def _only_triggered_by(component_id: str) -> bool:
    """Whether the running callback was set off by ``component_id`` alone (False outside
    one). Dash hands one call every input that changed meanwhile: a period chosen while the
    grid reports its columns arrives with the grid's report, and is a change all the same."""
    try:
        fired = ctx.triggered_prop_ids
    except MissingCallbackContextException:  # called directly, not as a callback
        return False
    return bool(fired) and all(which == component_id for which in fired.values())


def sync_url(
    kind: str | None,
    day: str | None,
    start: str | None,
    end: str | None,
    compare: str | None,
    column_state: list[dict] | None,
    search: str | None,
    shown: dict | None,
    drawn: list | None,
    lang: str | None,
):
    """Callback: the controls' state into the URL (a history entry) and the store. A header
    click sorts worst first on the new column (the grid's ``sortingOrder``, see
    :func:`_column_def`); the order travels in the URL.

    The grid reports its columns when it is ready (before the first drawing, which Dash holds
    back for this callback: the store is written then) and after each drawing (nothing new:
    the store is left alone, or every drawing would ask for the next one)."""
    if kind is None:
        raise PreventUpdate
    extent = services().access.date_extent(current_scope())
    state = resolve(kind, day, start, end, compare, None, None, extent, date.today())
    # the drawn areas have no control: they stay as the URL has them
    state = replace(state, areas=_state_of(search).areas)
    chosen = sorted_column(column_state)
    if chosen is None:
        before = _state_of(search)
        chosen = (before.sort, before.descending)
    state = with_sort(state, *chosen)
    query = to_query(state, lang or "zh")
    params = to_params(state)
    before = _state_of(search)
    if _only_triggered_by(LEAGUE) and chosen == (before.sort, before.descending):
        # The grid only reported its columns (ready, redrawn, resized): its controls may be
        # those of a body being replaced after a back or forward; the URL stays as it is.
        query = search or ""
    # Opened from a link that already says it all: no new history entry, but the views
    # must still be drawn from it (once: not again when nothing changed).
    return (
        no_update if query == (search or "") else query,
        no_update if drawn and params == (shown or None) else params,
    )


def show_date_fields(kind: str | None) -> tuple[bool, bool]:
    """Callback: the day picker for a week or month, the range picker for a custom period."""
    return kind == "custom", kind != "custom"


def restore(search: str | None, shown: dict | None, lang: str | None):
    """Callback: the URL changed without the controls (back or forward): rebuild the body."""
    if not _permitted():
        raise PreventUpdate
    state = _state_of(search)
    if to_params(state) == (shown or {}):
        raise PreventUpdate
    extent = services().access.date_extent(current_scope())
    return body(lang or "zh", state, extent)


def drill_bar(category_click: dict | None, source_click: dict | None, lang: str | None):
    """Callback: a click on a bar opens the case list of that category or source and days."""
    which = ctx.triggered_id
    click = category_click if which == TREND_CATEGORY else source_click
    points = (click or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    if not isinstance(custom, list | tuple) or len(custom) < 3:
        raise PreventUpdate
    code, first, last = (str(v) for v in custom[:3])
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        raise PreventUpdate from None
    key = "categories" if which == TREND_CATEGORY else "sources"
    spec = cases.spec_for("incidents", start, end, **{key: (code,)})
    path, _, query = case_links.href(spec, lang or "zh").partition("?")
    return path, "?" + query


def drill_station(clicked: dict | None, params: dict | None, lang: str | None):
    """Callback: a click on a league-table cell opens the case list behind that number."""
    if not clicked or not clicked.get("rowId"):
        raise PreventUpdate
    params = params or {}
    state = resolve(
        params.get("period"),
        params.get("day"),
        params.get("start"),
        params.get("end"),
        None,
        None,
        None,
        services().access.date_extent(current_scope()),
        date.today(),
    )
    now = layer_now(None, services().access.tz)
    column = str(clicked.get("colId") or "incidents")
    target = cell_href(str(clicked["rowId"]), column, state, now, lang or "zh")
    path, _, query = target.partition("?")
    return path, "?" + query


def register_callbacks(app: Dash) -> None:
    """Register the screen's callbacks on ``app``."""
    loop.register_callbacks(app, STATE)
    lang = State(ids.PAGE_LANG, "data")
    app.callback(
        Output(CAPTION, "children"),
        Output(NOTES, "children"),
        Output(KPIS, "children"),
        Output(TREND_CATEGORY, "figure"),
        Output(TREND_SOURCE, "figure"),
        Output(HEATMAP, "figure"),
        Output(LEAGUE, "rowData"),
        Output(LEAGUE, "dashGridOptions"),
        Output(EXPORT_PDF, "href"),
        Output(EXPORT_XLSX, "href"),
        Output(AREAS, "children"),
        Output(AREAS, "hidden"),
        Input(STATE, "data"),
        lang,
    )(update_review)
    app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(STATE, "data"),
        Input(KIND, "value"),
        Input(DAY, "date"),
        Input(RANGE, "start_date"),
        Input(RANGE, "end_date"),
        Input(COMPARE, "value"),
        Input(LEAGUE, "columnState"),
        State(ids.URL, "search"),
        State(STATE, "data"),
        State(LEAGUE, "rowData"),
        lang,
        prevent_initial_call=True,
    )(sync_url)
    app.callback(
        Output(DAY_FIELD, "hidden"),
        Output(RANGE_FIELD, "hidden"),
        Input(KIND, "value"),
        prevent_initial_call=True,
    )(show_date_fields)
    app.callback(
        Output(BODY, "children"),
        Input(ids.URL, "search"),
        State(STATE, "data"),
        lang,
        prevent_initial_call=True,
    )(restore)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(TREND_CATEGORY, "clickData"),
        Input(TREND_SOURCE, "clickData"),
        lang,
        prevent_initial_call=True,
    )(drill_bar)
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(LEAGUE, "cellClicked"),
        State(STATE, "data"),
        lang,
        prevent_initial_call=True,
    )(drill_station)
