"""The station workspace's side panels: follow-ups due, early warnings, repeat addresses and
the patrol plan, each a compact table with its count.

:func:`panel_data` reads everything through the data-access layer for the caller's scope
(layers through :meth:`dashboard.parts.services.Services.layer`, masked there); the ``*_panel``
functions are pure and turn the frames into components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import polars as pl
from dash import dcc, html

from dashboard.parts import case_links
from dashboard.parts.i18n import MISSING, label, t
from dashboard.parts.services import Services
from data.access import IncidentFilter, Scope
from data.settings import patrol_shifts
from geo.h3cells import cell_to_str, grid_disk, latlng_to_cells
from measures import cases, service
from measures import station as station_measures
from measures.station import DUE_DAYS

#: Rows a panel lists (the count says how many there are in all).
PANEL_ROWS = 8


def format_int(value: object, lang: str) -> str:
    """A whole number with the locale's digit grouping (both languages group by thousands
    with a comma: 12,345)."""
    try:
        return f"{int(value):,}"  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return MISSING


@dataclass(frozen=True)
class PanelData:
    """The frames of the side panels of one station, as the scope may read them."""

    due: pl.DataFrame
    overdue: int
    warnings: pl.DataFrame
    repeats: pl.DataFrame
    plan: pl.DataFrame


def followups_due(
    svc: Services, scope: Scope, code: str, now: datetime
) -> tuple[pl.DataFrame, int]:
    """Open cases whose 4th follow-up visit is due within :data:`DUE_DAYS` days, soonest first,
    and the number of open cases already past that deadline (:mod:`measures.station`)."""
    incidents = svc.access.incidents(scope, IncidentFilter(stations=(code,)))
    checks = service.checks(incidents, svc.access.follow_up_visits(scope), now)
    return station_measures.follow_ups_due(checks, now), station_measures.follow_ups_overdue(
        checks
    ).height


def plan_cells(
    plan: pl.DataFrame, repeats: pl.DataFrame, warnings: pl.DataFrame, incidents: pl.DataFrame
) -> pl.DataFrame:
    """The plan's cells with what lies in each: ``cell``, ``rank``, ``score``, ``incidents``
    (in the incidents given), ``nearby`` (the same in the cell and its six neighbours: what
    a density ranking sees), ``repeat_addresses`` and ``warnings`` (counts)."""
    if plan.is_empty():
        return plan.with_columns(
            pl.lit(0).alias("incidents"),
            pl.lit(0).alias("nearby"),
            pl.lit(0).alias("repeat_addresses"),
            pl.lit(0).alias("warnings"),
        )

    def per_cell(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        cells = _cells_of(frame)
        return (
            pl.DataFrame({"cell": cells}, schema={"cell": pl.Int64})
            .group_by("cell")
            .agg(pl.len().cast(pl.Int64).alias(name))
        )

    located = incidents.filter(pl.col("h3_cell").is_not_null())
    counts = located.group_by(pl.col("h3_cell").alias("cell")).agg(
        pl.len().cast(pl.Int64).alias("incidents")
    )
    out = plan.join(counts, on="cell", how="left")
    by_cell = dict(zip(counts["cell"].to_list(), counts["incidents"].to_list(), strict=True))
    nearby = [sum(by_cell.get(c, 0) for c in grid_disk(int(cell), 1)) for cell in out["cell"]]
    out = out.with_columns(pl.Series("nearby", nearby, dtype=pl.Int64))
    out = out.join(per_cell(repeats, "repeat_addresses"), on="cell", how="left")
    out = out.join(per_cell(warnings, "warnings"), on="cell", how="left")
    return out.with_columns(pl.col("incidents", "repeat_addresses", "warnings").fill_null(0)).sort(
        "rank"
    )


def _cells_of(frame: pl.DataFrame) -> list[int]:
    """Resolution-9 cells of a layer's ``lat``/``lng`` rows (rows without them left out)."""
    if frame.is_empty() or "lat" not in frame.columns:
        return []
    located = frame.filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null())
    cells = latlng_to_cells(located["lat"].to_numpy(), located["lng"].to_numpy())
    return [int(c) for c in cells if c >= 0]


def panel_data(svc: Services, scope: Scope, code: str, now: datetime | None = None) -> PanelData:
    """Everything the side panels show for station ``code`` (the caller checked the scope)."""
    now = now or datetime.now(UTC)
    flt = IncidentFilter(stations=(code,))
    due, overdue = followups_due(svc, scope, code, now)
    warnings = svc.layer(scope, flt, "early_warning")
    repeats = svc.layer(scope, flt, "repeat_addresses")
    plan = svc.layer(scope, flt, "patrol_plan")
    return PanelData(due, overdue, warnings, repeats, plan)


# -- components ---------------------------------------------------------------------------------
def _local(value: datetime | None, tz: str, fmt: str = "%m-%d %H:%M") -> html.Span:
    text = MISSING if value is None else value.astimezone(ZoneInfo(tz)).strftime(fmt)
    return html.Span(text, className="station-nowrap")


def _case_link(incident_id: object, text: object, search: str) -> dcc.Link | str:
    if incident_id is None:
        return str(text or MISSING)
    return dcc.Link(str(text or incident_id), href=f"/case/{int(incident_id)}{search}")


def _table(headers: list[str], rows: list[list[object]], table_id: str) -> html.Table:
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows]),
        ],
        id=table_id,
        className="simple-table station-table",
    )


def panel(
    panel_id: str,
    title: str,
    count: int,
    body: html.Table | html.P,
    lang: str,
    extra=None,
    definition: str | None = None,
) -> html.Section:
    """A side panel: title, its count (in the locale's digits; hover: ``definition``) and its
    table or its empty note."""
    return html.Section(
        [
            html.Div(
                [
                    html.H2(title, className="card-title"),
                    html.Span(format_int(count, lang), className="station-count", title=definition),
                ],
                className="card-head",
            ),
            body,
            extra,
        ],
        id=panel_id,
        className="card station-panel",
    )


def _more(total: int, shown: int, lang: str, href: str | None = None) -> html.P | None:
    """The rows not shown, with the link to all of them (when there is one)."""
    if total <= shown:
        return None
    words = t("station.more", lang, n=format_int(total - shown, lang))
    if href is None:
        return html.P(words, className="muted")
    link = dcc.Link(t("caselist.all_of", lang, n=format_int(total, lang)), href=href)
    return html.P([words, " ", link], className="muted station-more")


def due_panel(
    due: pl.DataFrame,
    overdue: int,
    lang: str,
    tz: str,
    search: str,
    panel_id: str,
    code: str | None = None,
    now: datetime | None = None,
) -> html.Section:
    """Follow-ups due within a week: case, risk, deadline, visits so far; the full lists of
    the due and the overdue ones open from the panel (station ``code``, judged at ``now``)."""
    rows = [
        [
            _case_link(r["incident_id"], r["incident_no"], search),
            html.Span(label("risk", r["risk_level"], lang), className=f"risk-{r['risk_level']}"),
            _local(r["due_at"], tz),
            t("station.visits_of", lang, n=r["visits_in_window"] or 0, of=4),
        ]
        for r in due.head(PANEL_ROWS).iter_rows(named=True)
    ]
    headers = [
        t("field.incident_no", lang),
        t("field.risk_level", lang),
        t("station.due_at", lang),
        t("station.visits", lang),
    ]
    body = (
        _table(headers, rows, f"{panel_id}-table")
        if rows
        else html.P(t("station.empty.due", lang, days=DUE_DAYS), className="muted")
    )
    due_href = overdue_href = None
    if code is not None:
        stations = (code,)
        due_href = case_links.href(
            cases.spec_for("follow_ups_due", None, None, stations, now), lang
        )
        overdue_href = case_links.href(
            cases.spec_for("follow_ups_overdue", None, None, stations, now), lang
        )
    words = t("station.overdue_note", lang, n=format_int(overdue, lang))
    note = html.P(
        dcc.Link(words, href=overdue_href, id=f"{panel_id}-overdue")
        if overdue and overdue_href
        else words,
        className="station-overdue" if overdue else "muted",
        title=t("station.def.overdue", lang),
    )
    printable = None
    if code is not None:
        printable = html.A(
            t("station.print_visits", lang),
            href=f"/station/{code}/visits-sheet?lang={lang}",
            target="_blank",
            rel="noopener",
            id=f"{panel_id}-print",
            className="button station-print",
        )
    extra = html.Div([_more(due.height, len(rows), lang, due_href), note, printable])
    return panel(
        panel_id,
        t("station.due_title", lang),
        due.height,
        body,
        lang,
        extra,
        t("station.def.due", lang, days=DUE_DAYS),
    )


def warning_panel(
    warnings: pl.DataFrame, lang: str, tz: str, panel_id: str, all_href: str | None = None
) -> html.Section:
    """Early-warning entries: kind, why, where, last incident (``all_href``: all of them)."""
    rows = []
    for r in warnings.head(PANEL_ROWS).iter_rows(named=True):
        reasons = "、" if lang == "zh" else ", "
        rows.append(
            [
                label("ew_kind", r.get("kind"), lang),
                reasons.join(label("reason", c, lang) for c in (r.get("reasons") or [])),
                r.get("address_key") or r.get("community") or MISSING,
                _local(r.get("last_at"), tz, "%Y-%m-%d"),
            ]
        )
    headers = [
        t("station.kind", lang),
        t("station.reason", lang),
        t("station.where", lang),
        t("station.last_at", lang),
    ]
    body = (
        _table(headers, rows, f"{panel_id}-table")
        if rows
        else html.P(t("station.empty.warnings", lang), className="muted")
    )
    extra = _more(warnings.height, len(rows), lang, all_href)
    if "list" in warnings.columns and warnings.height:
        # Risk and service-level breaches are ranked apart (risk first): say how many of each.
        counts = dict(warnings.group_by("list").len().iter_rows())
        lists = t(
            "station.warning_lists",
            lang,
            risk=format_int(counts.get("risk", 0), lang),
            service=format_int(counts.get("service", 0), lang),
        )
        extra = html.Div([extra, html.Div(lists, className="muted station-warning-lists")])
    return panel(
        panel_id,
        t("station.warnings_title", lang),
        warnings.height,
        body,
        lang,
        extra,
    )


def repeat_panel(
    repeats: pl.DataFrame, lang: str, tz: str, panel_id: str, all_href: str | None = None
) -> html.Section:
    """Repeat addresses: address, incidents, last incident, flags (``all_href``: all of them)."""
    rows = []
    for r in repeats.head(PANEL_ROWS).iter_rows(named=True):
        flags = [
            t("station.flag_escalating", lang) if r.get("escalating") else None,
            t("station.flag_marac", lang) if r.get("marac_flag") else None,
        ]
        rows.append(
            [
                r.get("address_raw") or r.get("address_key") or MISSING,
                format_int(r.get("count") or 0, lang),
                _local(r.get("last_at"), tz, "%Y-%m-%d"),
                " · ".join(f for f in flags if f) or MISSING,
            ]
        )
    headers = [
        t("field.address_raw", lang),
        t("station.incidents", lang),
        t("station.last_at", lang),
        t("station.flags", lang),
    ]
    body = (
        _table(headers, rows, f"{panel_id}-table")
        if rows
        else html.P(t("station.empty.repeats", lang), className="muted")
    )
    return panel(
        panel_id,
        t("station.repeats_title", lang),
        repeats.height,
        body,
        lang,
        _more(repeats.height, len(rows), lang, all_href),
    )


def shift_text(shift: tuple[int, int]) -> str:
    """``(16, 24)`` → ``"16-24"`` (as in the URL and the setting)."""
    return f"{shift[0]:02d}-{shift[1]:02d}"


def shift_label(shift: tuple[int, int], lang: str) -> str:
    """``(16, 24)`` → "16:00–24:00 班" / "shift 16:00–24:00"."""
    return t("station.shift", lang, start=f"{shift[0]:02d}:00", end=f"{shift[1]:02d}:00")


def plan_panel(
    cells: pl.DataFrame,
    lang: str,
    panel_id: str,
    sheet_href: str,
    sheet_link_id: str,
    places: Mapping[int, str] | None = None,
) -> html.Section:
    """The patrol plan: its cells in rank order with the place each lies in (``places``,
    cell → name; the cell id on hover), what lies in each, and the links to its sheet: the
    whole day's and each patrol shift's (``ANNING_PATROL_SHIFTS``)."""
    places = places or {}
    rows = [
        [
            format_int(r["rank"], lang),
            html.Span(
                places.get(int(r["cell"]), MISSING),
                title=cell_to_str(int(r["cell"])),
                className="station-place",
            ),
            f"{format_int(r['incidents'], lang)} / {format_int(r['nearby'], lang)}",
            format_int(r["repeat_addresses"], lang),
            format_int(r["warnings"], lang),
        ]
        for r in cells.head(PANEL_ROWS).iter_rows(named=True)
    ]
    headers = [
        t("station.cell_no", lang),
        t("column.place", lang),
        t("station.incidents_12w", lang),
        t("station.repeat_addresses", lang),
        t("station.warnings", lang),
    ]
    body = (
        _table(headers, rows, f"{panel_id}-table")
        if rows
        else html.P(t("station.empty.plan", lang), className="muted")
    )
    link = html.A(
        t("station.print_sheet", lang),
        href=sheet_href,
        target="_blank",
        rel="noopener",
        id=sheet_link_id,
        className="button station-print",
    )
    shifts = [
        html.A(
            shift_label(shift, lang),
            href=f"{sheet_href}&shift={shift_text(shift)}",
            target="_blank",
            rel="noopener",
            className="station-shift-sheet",
        )
        for shift in patrol_shifts()
    ]
    by_shift = html.Span([t("station.by_shift", lang), " ", *_between(shifts, " · ")])
    extra = html.Div(
        [_more(cells.height, len(rows), lang), link, by_shift], className="station-plan-foot"
    )
    return panel(panel_id, t("station.plan_title", lang), cells.height, body, lang, extra)


def _between(items: list, separator: str) -> list:
    """``items`` with ``separator`` between each two."""
    out: list = []
    for item in items:
        out += [separator, item] if out else [item]
    return out


def layer_table_href(code: str, layer_id: str, extent, lang: str) -> str:
    """The overview's layer table of ``layer_id`` for station ``code`` over every date of the
    data (``extent``), where a panel's whole list pages (the panels compute over all dates)."""
    params = {"lang": lang, "st": code, "tab": "layer"}
    if extent:
        params |= {"start": extent[0].isoformat(), "end": extent[1].isoformat()}
    key = "table" if layer_id == "early_warning" else "layer"
    params[key] = layer_id
    return "/?" + urlencode(params)


def training_incidents(
    svc: Services,
    scope: Scope,
    code: str,
    now: datetime,
    weeks: int,
    hours: tuple[int, ...] = (),
) -> pl.DataFrame:
    """The station's incidents of the ``weeks`` before ``now`` (what the plan was trained on),
    those reported in ``hours`` of the day only when given (a shift's plan)."""
    frame = svc.access.incidents(scope, IncidentFilter(stations=(code,), hours=hours))
    return frame.filter(pl.col("reported_at") >= now - timedelta(weeks=weeks))


def station_title(names: Mapping[str, str], code: str) -> str:
    """The station's name, or its code when it has none."""
    return names.get(code, code)
