"""The case list (``/cases``): the cases behind a number, page by page.

Every tile, KPI, league-table cell, ticker item and legend class links here with the filter
that produced its number (:class:`measures.cases.CaseSpec`, in the URL), so the list holds
exactly the cases the number counts (:func:`measures.cases.select`). The page says which
measure, period, stations and moment the list is for, with the measure's definition, and pages
through all of it (:data:`measures.cases.PAGE_SIZE` a page, with links to every other page):
no list stops at N rows. Addresses are masked unless the role may see personal details; every
list shown is written to the audit trail.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import polars as pl
from dash import Dash, dcc, html
from flask import Response, request

from dashboard.parts.case_links import href
from dashboard.parts.filters import query_params
from dashboard.parts.i18n import MISSING, label, normalise_language, t
from dashboard.parts.services import layer_now, services
from dashboard.parts.tables import defused
from dashboard.web.scope import current_scope
from dashboard.web.shell import page_frame
from data import audit
from data.access import IncidentFilter, mask_address
from geo import areas
from geo.h3cells import cell_to_str
from layers.hotspot import CLASS_LABELS as HOT_CLASS_LABELS
from measures import cases, service
from measures import station as station_measures

#: The list's table id (tests and the browser find it by it).
TABLE_ID = "case-list-table"
COUNT_ID = "case-list-count"
CSV_ID = "case-list-csv"
AREA_ID = "case-list-area"
#: Weeks of a drawn area's weekly counts.
AREA_WEEKS = 12
PAGER_ID = "case-list-pager"


def measure_name(measure: str, lang: str) -> str:
    """The measure's name as the screens show it."""
    if measure.startswith("tile."):
        return t(f"command.tile.{measure.removeprefix('tile.')}", lang)
    if measure in ("warning", "pulse", "hotspot"):
        return t(f"caselist.{measure}", lang)
    if measure == "follow_ups_due":
        return t("station.due_title", lang)
    if measure == "follow_ups_overdue":
        return t("caselist.follow_ups_overdue", lang)
    if measure == "open":
        return t("kpi.open", lang)
    return t(f"review.m.{measure}", lang)


def measure_definition(measure: str, lang: str, parts: dict[str, int] | None = None) -> str:
    """The measure's definition, and what its list holds when that differs from its count."""
    if measure.startswith("tile."):
        key = measure.removeprefix("tile.")
        values = {k: f"{v:,}" for k, v in (parts or {}).items()}
        return t(f"command.def.{key}", lang, **values)
    if measure in ("warning", "pulse", "hotspot", "open"):
        return t(f"caselist.def.{measure}", lang)
    if measure == "follow_ups_due":
        return t("station.def.due", lang, days=station_measures.DUE_DAYS)
    if measure == "follow_ups_overdue":
        return t("station.def.overdue", lang)
    text = t(f"review.def.{measure}", lang)
    if measure in ("sla_compliance", "handled_24h_share", "median_days_to_close", "visits_done"):
        text += " " + t(f"caselist.lists.{measure}", lang)
    return text


def _scope_line(
    spec: cases.CaseSpec,
    names: dict[str, str],
    now: datetime,
    tz: str,
    lang: str,
    places: dict[int, str] | None = None,
    scope_stations: frozenset[str] | None = None,
):
    """The list's scope in words: period, stations (the reader's own when the link names
    none and the reader sees only some), filters, hexagons (named by ``places``, cell →
    place name, where known) and when it was judged."""
    places = places or {}
    bits = []
    if spec.start or spec.end:
        start = spec.start.isoformat() if spec.start else "…"
        end = spec.end.isoformat() if spec.end else "…"
        bits.append(t("review.period_label", lang, start=start, end=end))
    shown = spec.stations or sorted(scope_stations or ())
    stations = [names.get(s, s) for s in shown]
    bits.append(
        ("、" if lang == "zh" else ", ").join(stations)
        if stations
        else t("caselist.all_stations", lang)
    )
    for kind, values in (("category", spec.categories), ("risk", spec.risk_levels)):
        if values:
            bits.append(("、" if lang == "zh" else ", ").join(label(kind, v, lang) for v in values))
    if spec.sla:
        bits.append(label("sla", spec.sla, lang))
    if spec.hot_class:
        bits.append(label("gi_class", HOT_CLASS_LABELS[spec.hot_class], lang))
    if spec.cells:
        hexagons = ", ".join(
            t("caselist.cell_place", lang, cell=cell_to_str(c), place=places[c])
            if c in places
            else cell_to_str(c)
            for c in spec.cells
        )
        bits.append(t("caselist.cells", lang, cells=hexagons))
    local = now.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    bits.append(t("caselist.judged_at", lang, time=local))
    return " · ".join(bits)


#: The list's columns, as headers (i18n keys) and in the CSV.
COLUMN_KEYS = (
    "field.incident_no",
    "field.reported_at",
    "field.station_code",
    "field.category",
    "field.risk_level",
    "field.status",
    "field.community",
    "field.address_raw",
)


def _values(r: dict, names: dict[str, str], tz: str, lang: str, masked: bool) -> list[str]:
    """One case as the list shows it (:data:`COLUMN_KEYS`), address masked when ``masked``."""
    address = mask_address(r.get("address_raw")) if masked else r.get("address_raw")
    return [
        r.get("incident_no") or str(r["id"]),
        r["reported_at"].astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
        names.get(r.get("station_code"), r.get("station_code") or MISSING),
        label("category", r.get("category"), lang),
        label("risk", r.get("risk_level"), lang),
        label("status", r.get("status"), lang),
        r.get("community") or MISSING,
        address or MISSING,
    ]


def _rows(frame: pl.DataFrame, names: dict[str, str], tz: str, lang: str, masked: bool):
    out = []
    for r in frame.iter_rows(named=True):
        number, when, *rest = _values(r, names, tz, lang, masked)
        cells = [
            html.Td(dcc.Link(number, href=f"/case/{r['id']}?lang={lang}")),
            html.Td(when, className="nowrap"),
            *[html.Td(v) for v in rest],
        ]
        cells[4].className = f"risk-{r.get('risk_level')}"
        out.append(html.Tr(cells))
    return out


def _pager(spec: cases.CaseSpec, total_pages: int, lang: str) -> html.Nav:
    """Links to the first, previous, nearby, next and last pages."""
    page = min(spec.page, total_pages)
    shown = sorted({1, total_pages, *range(max(1, page - 3), min(total_pages, page + 3) + 1)})
    items: list = []
    if page > 1:
        items.append(dcc.Link(t("caselist.prev", lang), href=href(spec.with_page(page - 1), lang)))
    last = 0
    for n in shown:
        if n - last > 1:
            items.append(html.Span("…", className="muted"))
        if n == page:
            items.append(html.B(str(n), **{"aria-current": "page"}))
        else:
            items.append(dcc.Link(str(n), href=href(spec.with_page(n), lang)))
        last = n
    if page < total_pages:
        items.append(
            dcc.Link(
                t("caselist.next", lang),
                href=href(spec.with_page(page + 1), lang),
                className="case-list-next",
            )
        )
    return html.Nav(items, id=PAGER_ID, className="case-list-pager", **{"aria-label": "pages"})


def layout(lang: str, search: str, **_: str) -> html.Div:
    """The case list of the spec in the query string."""
    svc, scope = services(), current_scope()
    tz = svc.access.tz
    try:
        spec = cases.CaseSpec.from_params(query_params(search))
    except cases.SpecError as err:
        body = [html.H1(t("caselist.title", lang)), html.P(t("caselist.bad", lang, why=str(err)))]
        return page_frame(lang, body, "page-cases")
    now, incidents, visits, frame = _selection(svc, scope, spec)
    total = frame.height
    total_pages = cases.pages(total)
    page = cases.page_of(frame, min(spec.page, total_pages))
    names = svc.station_names(scope, lang)
    parts = None
    if spec.measure == "tile.sla_breached":
        parts = service.late_open_by_level(service.checks(incidents, visits, now))
    audit.record(
        svc.access.engine,
        scope.user,
        "view_case_list",
        target=spec.measure,
        detail=urlencode(spec.to_params()),
        remote_addr=scope.remote_addr,
    )
    headers = [t(key, lang) for key in COLUMN_KEYS]
    table = html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody(_rows(page, names, tz, lang, masked=not scope.personal_details)),
        ],
        id=TABLE_ID,
        className="simple-table case-list-table",
    )
    first = (min(spec.page, total_pages) - 1) * cases.PAGE_SIZE
    body = [
        html.H1(measure_name(spec.measure, lang), className="case-list-title"),
        html.P(
            _scope_line(
                spec,
                names,
                now,
                tz,
                lang,
                svc.cell_names(spec.cells, lang, street=False),
                scope.stations,
            ),
            className="case-list-scope",
        ),
        html.P(measure_definition(spec.measure, lang, parts), className="case-list-definition"),
        html.P(
            t(
                "caselist.count",
                lang,
                n=f"{total:,}",
                first=f"{min(first + 1, total):,}",
                last=f"{min(first + cases.PAGE_SIZE, total):,}",
            )
            if total_pages > 1
            else t("caselist.count_all", lang, n=f"{total:,}"),
            id=COUNT_ID,
            className="case-list-count",
            **{"data-total": str(total)},
        ),
        _area_summary(frame, spec, names, tz, lang) if spec.area else None,
        html.A(
            t("caselist.csv", lang),
            href=f"/cases.csv?{urlencode({**spec.to_params(), 'lang': lang})}",
            id=CSV_ID,
            className="button case-list-csv",
        )
        if total
        else None,
        table if total else html.P(t("caselist.empty", lang), className="muted"),
        _pager(spec, total_pages, lang) if total_pages > 1 else None,
    ]
    return page_frame(lang, [html.Section(body, className="card case-list")], "page-cases")


def _selection(svc, scope, spec: cases.CaseSpec):
    """``(now, incidents, visits, selected)``: the caller's incidents and visits, and the
    cases ``spec`` counts among them, newest first."""
    tz = svc.access.tz
    now = spec.now or layer_now(None, tz)
    incidents = svc.access.incidents(scope, IncidentFilter())
    visits = svc.access.follow_up_visits(scope)
    cells = None
    if spec.measure == "hotspot":
        # The hot spots the wall's legend class names: the same layer, window and resolution.
        window = IncidentFilter(start=spec.start, end=spec.end)
        hot = svc.layer(scope, window, "hotspot", {}, spec.res or 8)
        cells = (
            hot.filter(pl.col("gi_class") == spec.hot_class)["cell"].to_list() if hot.height else []
        )
    return now, incidents, visits, cases.select(incidents, visits, spec, now, tz, cells)


def _mix(frame: pl.DataFrame, column: str, kind: str, lang: str) -> html.Table:
    counts = frame.group_by(column).agg(pl.len().alias("n")).sort(["n", column], descending=True)
    return html.Table(
        html.Tbody(
            [
                html.Tr([html.Td(label(kind, r[column], lang)), html.Td(f"{r['n']:,}")])
                for r in counts.iter_rows(named=True)
            ]
        ),
        className="simple-table case-area-mix",
    )


def _area_summary(
    frame: pl.DataFrame, spec: cases.CaseSpec, names: dict[str, str], tz: str, lang: str
) -> html.Section:
    """What a drawn area holds: its size, the cases by category, by source and by week."""
    area = areas.parse(spec.area or "")
    if area.is_circle:
        shape = t("caselist.area_circle", lang, r=f"{area.radius_m:,.0f}")
    else:
        shape = t("caselist.area_polygon", lang, n=len(area.points))
    weekly = (
        frame.with_columns(
            pl.col("reported_at").dt.convert_time_zone(tz).dt.truncate("1w").dt.date().alias("w")
        )
        .group_by("w")
        .agg(pl.len().alias("n"))
        .sort("w")
        .tail(AREA_WEEKS)
    )
    top = max(weekly["n"].to_list() or [1])
    bars = [
        html.Div(
            [
                html.Span(r["w"].strftime("%m-%d"), className="case-area-week"),
                html.Span(style={"width": f"{100 * r['n'] / top:.0f}%"}, className="case-area-bar"),
                html.Span(f"{r['n']:,}"),
            ],
            className="case-area-row",
        )
        for r in weekly.iter_rows(named=True)
    ]
    return html.Section(
        [
            html.H2(t("caselist.area_title", lang), className="card-title"),
            html.P(shape, className="muted"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H3(t("field.category", lang)),
                            _mix(frame, "category", "category", lang),
                        ]
                    ),
                    html.Div(
                        [
                            html.H3(t("field.source_channel", lang)),
                            _mix(frame, "source_channel", "source", lang),
                        ]
                    ),
                    html.Div([html.H3(t("caselist.area_weeks", lang, n=AREA_WEEKS)), *bars]),
                ],
                className="case-area-grid",
            ),
        ],
        id=AREA_ID,
        className="case-area",
    )


def export_csv() -> Response:
    """Route ``/cases.csv``: every case of the spec in the query string as CSV (UTF-8 with a
    BOM, for Excel), masked as the role requires; written to the audit trail."""
    lang = normalise_language(request.args.get("lang"))
    svc, scope = services(), current_scope()
    try:
        spec = cases.CaseSpec.from_params(request.args)
    except cases.SpecError as err:
        return Response(f"bad list: {err}\n", status=400, mimetype="text/plain")
    _, _, _, frame = _selection(svc, scope, spec)
    names = svc.station_names(scope, lang)
    audit.record(
        svc.access.engine,
        scope.user,
        "export",
        target=f"case_list:{spec.measure}",
        detail=f"rows={frame.height} " + urlencode(spec.to_params()),
        remote_addr=scope.remote_addr,
    )
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([t(key, lang) for key in COLUMN_KEYS])
    masked = not scope.personal_details
    for r in frame.iter_rows(named=True):
        writer.writerow([defused(v) for v in _values(r, names, svc.access.tz, lang, masked)])
    name = f"anning-{spec.measure}.csv".replace("/", "-")
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def validation_layout() -> html.Div:
    """Nothing dynamic: the page is rendered whole from its URL."""
    return html.Div()


def register_callbacks(app: Dash) -> None:
    """The case list has no callbacks (paging is plain links); its CSV is a route."""
    app.server.add_url_rule("/cases.csv", "case_list_csv", export_csv, methods=["GET"])
