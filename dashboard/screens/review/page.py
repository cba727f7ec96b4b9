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

from datetime import date, datetime

from dash import Dash, Input, Output, State, ctx, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.parts import case_links, ids
from dashboard.parts.i18n import t
from dashboard.parts.services import layer_now, services
from dashboard.screens.review import loop
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
    coverage_notes,
    fmt_change,
    fmt_period,
    fmt_value,
    station_label,
)
from dashboard.screens.review.state import (
    ReviewState,
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
from data.users import REVIEW_ROLES
from measures import better_direction, cases
from measures.review import LEAGUE_COLUMNS, MEASURES, PERIOD_KINDS, Period

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


def _field(label_key: str, control, lang: str, **kwargs) -> html.Div:
    return html.Div(
        [html.Label(t(label_key, lang), className="field-label"), control],
        className="review-field",
        **kwargs,
    )


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
            _field(
                "review.period",
                _segmented(KIND, PERIOD_KINDS, "review.kind", state.kind, lang),
                lang,
            ),
            _field(
                "review.anchor",
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
                lang,
                id=DAY_FIELD,
                hidden=state.kind == "custom",
            ),
            _field(
                "review.range",
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
                lang,
                id=RANGE_FIELD,
                hidden=state.kind != "custom",
            ),
            _field(
                "review.compare",
                _segmented(COMPARE, ("previous", "last_year"), "review.cmp", state.compare, lang),
                lang,
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


def league_table(lang: str, state: ReviewState) -> dash_table.DataTable:
    """The station league table: sortable on the server, each header explained on hover."""
    return dash_table.DataTable(
        id=LEAGUE,
        columns=[{"name": t(f"review.m.{c}", lang), "id": c} for c in LEAGUE_COLUMNS],
        data=[],
        sort_action="custom",
        sort_mode="single",
        sort_by=[{"column_id": state.sort, "direction": "desc" if state.descending else "asc"}],
        tooltip_header={c: t(f"review.def.{c}", lang) for c in LEAGUE_COLUMNS},
        tooltip_delay=200,
        tooltip_duration=None,
        cell_selectable=True,
        style_as_list_view=True,
        style_table={"overflowX": "auto"},
        style_cell={
            "fontFamily": "var(--font)",
            "fontSize": "13px",
            "padding": "6px 8px",
            "whiteSpace": "nowrap",
            "cursor": "pointer",
        },
        style_header={
            "fontWeight": "600",
            "backgroundColor": "#f5f7fa",
            "whiteSpace": "normal",
            "textDecoration": "underline dotted",
        },
        style_cell_conditional=[
            {"if": {"column_id": NUMERIC_COLUMNS}, "textAlign": "right"},
            {"if": {"column_id": "station_code"}, "textAlign": "left", "fontWeight": "600"},
        ],
        # The change columns count incidents, whose rise is neither good nor bad news: no
        # colour by sign (measures.DEFINITIONS). The district total row stands out.
        style_data_conditional=[
            {
                "if": {"filter_query": '{id} = "_all"'},
                "fontWeight": "700",
                "backgroundColor": "#f5f7fa",
            },
        ],
        css=[
            {"selector": ".dash-spreadsheet-menu", "rule": "display: none"},
            {"selector": ".dash-table-tooltip", "rule": "max-width: 320px; white-space: normal"},
        ],
    )


# -- views ------------------------------------------------------------------------------------
def change_tone(measure: str, delta: float | None) -> str:
    """``'good'``, ``'bad'`` or ``''``: a change coloured by what it means for ``measure``
    (:func:`measures.better_direction`), not by its sign."""
    better = better_direction(measure if measure in MEASURES else "incidents")
    if not delta or better is None:
        return ""
    return "good" if (delta > 0) == (better == "up") else "bad"


def worst_first_descending(column: str) -> bool:
    """Whether the league table shows the worst stations first on ``column`` when sorted
    descending: yes unless a higher value is better (``sla_compliance``, …); counts whose
    rise is neither good nor bad (incidents, the change columns) put the largest first."""
    measure = column if column in MEASURES else "incidents"
    return better_direction(measure) != "up"


def _kpi_cards(report: Report, lang: str) -> list[dcc.Link]:
    cards = []
    for measure in MEASURES:
        ch = report.change(measure)
        tone = change_tone(measure, ch.delta)
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
                    ],
                    className="kpi card review-kpi",
                    title=t(f"review.def.{measure}", lang),
                    **{"data-measure": measure},
                ),
                href=case_links.href(spec, lang),
                className="review-kpi-link",
            )
        )
    return cards


def league_rows(report: Report, lang: str = "zh") -> list[dict]:
    """The league table's rows as displayed (formatted), with the station code as row id, and
    the district total (row id :data:`TOTAL_ROW`) last."""
    rows = []
    for row in report.league.iter_rows(named=True):
        shown = {c: fmt_value(c, row[c]) for c in NUMERIC_COLUMNS}
        rows.append(
            {
                "id": row["station_code"],
                "station_code": station_label(report, row["station_code"]),
                **shown,
            }
        )
    totals = {**report.totals}
    change = report.change("incidents")
    totals |= {"change": change.delta, "change_pct": change.pct}
    rows.append(
        {
            "id": TOTAL_ROW,
            "station_code": t("review.total_row", lang),
            **{c: fmt_value(c, totals.get(c)) for c in NUMERIC_COLUMNS},
        }
    )
    return rows


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
    params = params or {}
    state = resolve(
        params.get("period"),
        params.get("day"),
        params.get("start"),
        params.get("end"),
        params.get("cmp"),
        params.get("sort"),
        params.get("dir"),
        extent,
        date.today(),
    )
    names = leaf_names(lang)
    report = build_report(svc.access, scope, state, layer_now(None, svc.access.tz), names)
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
            trend_figure(report.trend_category, "category", report.every, lang),
            trend_figure(report.trend_source, "source", report.every, lang),
        ]
        heat = heatmap_figure(report.heatmap, lang)
    return (
        caption,
        notes,
        _kpi_cards(report, lang),
        *figures,
        heat,
        league_rows(report, lang),
        export_href("pdf", state, lang),
        export_href("xlsx", state, lang),
    )


def _permitted() -> bool:
    """Whether the user asking may see the review (callbacks check it like the page does)."""
    user = auth.current_user()
    return user is not None and user.role in ROLES


def sync_url(
    kind: str | None,
    day: str | None,
    start: str | None,
    end: str | None,
    compare: str | None,
    sort_by: list[dict] | None,
    search: str | None,
    lang: str | None,
):
    """Callback: the controls' state into the URL (a history entry) and the store."""
    if kind is None:
        raise PreventUpdate
    extent = services().access.date_extent(current_scope())
    state = resolve(kind, day, start, end, compare, None, None, extent, date.today())
    if sort_by:
        first = sort_by[0]
        column = str(first.get("column_id"))
        descending = first.get("direction") != "asc"
        if column != _state_of(search).sort:
            # A newly chosen column opens worst first: the stations doing worst on it on top.
            descending = worst_first_descending(column)
        state = with_sort(state, column, descending)
    query = to_query(state, lang or "zh")
    # Opened from a link that already says it all: no new history entry, but the views
    # must still be drawn from it.
    return (no_update if query == (search or "") else query), to_params(state)


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


def drill_station(active_cell: dict | None, params: dict | None, lang: str | None):
    """Callback: a click on a league-table cell opens the case list behind that number."""
    if not active_cell or not active_cell.get("row_id"):
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
    column = str(active_cell.get("column_id") or "incidents")
    target = cell_href(str(active_cell["row_id"]), column, state, now, lang or "zh")
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
        Output(LEAGUE, "data"),
        Output(EXPORT_PDF, "href"),
        Output(EXPORT_XLSX, "href"),
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
        Input(LEAGUE, "sort_by"),
        State(ids.URL, "search"),
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
        Input(LEAGUE, "active_cell"),
        State(STATE, "data"),
        lang,
        prevent_initial_call=True,
    )(drill_station)
