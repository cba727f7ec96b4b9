"""The printable "visits this week" list of a station: every visit owed, on paper.

``GET /station/<code>/visits-sheet?lang=zh|en&order=risk|place`` answers a plain HTML page (no
script) for A4, listing the households a station must visit:

* follow-up visits overdue: open cases past the deadline of their 4th follow-up visit
  (:func:`measures.station.follow_ups_overdue`, the same cases the wall and the review count
  as late for that level);
* follow-up visits due within :data:`measures.station.DUE_DAYS` days
  (:func:`measures.station.follow_ups_due`);
* warning-letter visits overdue or due soon (:func:`data.warning_visits.schedules`).

``order=risk`` (the default) lists high risk first, then what is most overdue; ``order=place``
lists by address, so the visits of one community or road come together and one trip covers
them. Addresses are in full for a role that may see personal details and masked otherwise; each
sheet served is written to the audit trail (``export``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

import polars as pl
from flask import Flask, Response, request

from dashboard.parts.i18n import MISSING, label, normalise_language, t
from dashboard.parts.services import Services, services
from dashboard.screens.station.access import station_of
from dashboard.screens.station.panels import format_int
from dashboard.screens.station.sheet_page import notice, page, refusal
from dashboard.web.scope import current_scope
from data import audit, warning_visits
from data.access import IncidentFilter, Scope, mask_address
from measures import service
from measures import station as station_measures

#: The orders a user may ask for.
ORDERS = ("risk", "place")
#: Kinds of visit, most pressing first.
KINDS = ("overdue", "due", "warning_overdue", "warning_due")
_RISK_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class Visit:
    """One visit owed, as the sheet prints it."""

    kind: str
    incident_id: int
    incident_no: str
    risk_level: str | None
    address: str | None
    due_at: datetime
    visits_done: int
    #: What ``order=place`` sorts by: the normalised address (administrative prefixes such as
    #: 深圳市宝安区 dropped, so one community's addresses come together), masked like the
    #: address for a scope without personal details.
    place_key: str | None = None


def visits_owed(svc: Services, scope: Scope, code: str, now: datetime) -> list[Visit]:
    """Every visit station ``code`` owes at ``now``, one row per case and kind (unordered)."""
    incidents = svc.access.incidents(scope, IncidentFilter(stations=(code,)))
    visits = svc.access.follow_up_visits(scope)
    checks = service.checks(incidents, visits, now)
    done = dict(
        visits.group_by("incident_id").agg(pl.len().alias("n")).iter_rows()
        if not visits.is_empty()
        else []
    )
    cases = {r["id"]: r for r in incidents.iter_rows(named=True)}
    owed: list[Visit] = []
    for kind, frame in (
        ("overdue", station_measures.follow_ups_overdue(checks)),
        ("due", station_measures.follow_ups_due(checks, now)),
    ):
        for row in frame.iter_rows(named=True):
            case = cases.get(row["incident_id"])
            if case is not None:
                owed.append(_visit(kind, case, row["due_at"], done, scope))
    letters = warning_visits.schedules(svc.access.engine, scope, stations=(code,), now=now)
    for row in letters.filter(pl.col("state").is_in(["overdue", "due"])).iter_rows(named=True):
        case = cases.get(row["incident_id"])
        if case is not None:
            due = row["next_due"].replace(tzinfo=UTC)  # naive UTC in the schedule table
            owed.append(_visit(f"warning_{row['state']}", case, due, done, scope))
    return owed


def _visit(kind: str, case: dict, due_at: datetime, done: dict, scope: Scope) -> Visit:
    address, key = case.get("address_raw"), case.get("address_key")
    if not scope.personal_details:
        address, key = mask_address(address), mask_address(key)
    return Visit(
        kind=kind,
        incident_id=int(case["id"]),
        incident_no=str(case.get("incident_no") or case["id"]),
        risk_level=case.get("risk_level"),
        address=address,
        due_at=due_at,
        visits_done=int(done.get(case["id"], 0)),
        place_key=key or address,
    )


def ordered(owed: list[Visit], order: str) -> list[Visit]:
    """``owed`` in ``order``: ``risk`` (high risk first, then the most pressing kind, then the
    oldest deadline) or ``place`` (by address, so one community's or road's visits come
    together; then the oldest deadline)."""
    if order == "place":
        return sorted(owed, key=lambda v: (v.place_key or "\uffff", v.due_at, v.incident_id))
    return sorted(
        owed,
        key=lambda v: (
            _RISK_RANK.get(v.risk_level or "", 9),
            KINDS.index(v.kind),
            v.due_at,
            v.incident_id,
        ),
    )


def render(
    station: str, owed: list[Visit], order: str, lang: str, tz: str, user: str, now: datetime
) -> str:
    """The whole HTML page (pure: no request, no database)."""
    zone = ZoneInfo(tz)
    title = t("station.visits_title", lang, station=station)
    counts = {kind: sum(v.kind == kind for v in owed) for kind in KINDS}
    meta = t(
        "station.visits_meta",
        lang,
        date=now.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        total=format_int(len(owed), lang),
        overdue=format_int(counts["overdue"] + counts["warning_overdue"], lang),
        user=user,
        order=t(f"station.visits_order_{order}", lang),
    )
    headers = "".join(
        f"<th>{escape(t(f'station.visits_col_{key}', lang))}</th>"
        for key in ("no", "kind", "case", "risk", "address", "due", "done", "note")
    )
    rows = []
    for number, visit in enumerate(owed, start=1):
        late = visit.kind in ("overdue", "warning_overdue")
        rows.append(
            f'<tr class="{"visit-late" if late else "visit-due"}">'
            f'<td class="sheet-no">{number}</td>'
            f"<td>{escape(t(f'station.visits_kind_{visit.kind}', lang))}</td>"
            f"<td>{escape(visit.incident_no)}</td>"
            f"<td>{escape(label('risk', visit.risk_level, lang))}</td>"
            f'<td class="sheet-addr">{escape(visit.address or MISSING)}</td>'
            f"<td>{visit.due_at.astimezone(zone).strftime('%Y-%m-%d')}</td>"
            f'<td class="sheet-num">{format_int(visit.visits_done, lang)}</td>'
            '<td class="visit-note"></td></tr>'
        )
    body = (
        '<table class="sheet-table visits-table"><colgroup><col class="v-no"><col class="v-kind">'
        '<col class="v-case"><col class="v-risk"><col class="v-addr"><col class="v-due">'
        '<col class="v-done"><col class="v-note"></colgroup>'
        f"<thead><tr>{headers}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else f'<p class="sheet-empty">{escape(t("station.visits_none", lang))}</p>'
    )
    links = " · ".join(
        f'<a href="?lang={lang}&amp;order={o}"{" aria-current=page" if o == order else ""}>'
        f"{escape(t(f'station.visits_order_{o}', lang))}</a>"
        for o in ORDERS
    )
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/assets/station.css"></head>'
        '<body class="patrol-sheet-body"><main class="patrol-sheet visits-sheet" '
        'id="visits-sheet">'
        f'<header class="sheet-head"><h1>{escape(title)}</h1>'
        f'<p class="sheet-meta">{escape(meta)}</p>'
        f'<p class="sheet-hint">{escape(t("station.sheet_print_hint", lang))} '
        f'<span class="sheet-shifts">{escape(t("station.visits_order", lang))} {links}</span>'
        "</p></header>"
        f"{body}"
        f'<footer class="sheet-foot">{escape(t("station.sheet_footer", lang))}</footer>'
        "</main></body></html>"
    )


def register(server: Flask) -> None:
    """Add ``GET /station/<code>/visits-sheet`` to ``server``."""

    @server.get("/station/<code>/visits-sheet")
    def visits_sheet(code: str) -> Response:
        lang = normalise_language(request.args.get("lang"))
        order = request.args.get("order", "risk")
        svc, scope = services(), current_scope()
        refused = refusal(svc, scope, code, lang)
        if refused is not None:
            return refused
        if order not in ORDERS:
            return notice(lang, "station.bad_order", 400)
        station = station_of(svc.access, scope, code)
        name = code if station is None else (station.name_en if lang == "en" else station.name_zh)
        now = datetime.now(UTC)
        owed = ordered(visits_owed(svc, scope, code, now), order)
        audit.record(
            svc.access.engine,
            scope.user,
            "export",
            target=f"visits_sheet:{code}",
            detail=f"visits={len(owed)} order={order}",
            remote_addr=scope.remote_addr,
        )
        return page(render(name, owed, order, lang, svc.access.tz, scope.user, now), 200)
