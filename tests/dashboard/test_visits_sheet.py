"""The printable "visits this week" list of a station, over a small demo district (its cases
have follow-ups overdue and due, and warning-letter schedules, as a station's do)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl

from dashboard.parts.i18n import label, t
from dashboard.screens.station.visits_sheet import KINDS, Visit, ordered
from data.access import CaseAccess, IncidentFilter, Scope
from data.audit import AuditQuery, events
from measures import service
from measures import station as station_measures
from tests.dashboard.signed_in import signed_in_client

STATION = "BA01"


def _client(app, engine, username: str, role: str, station: str | None):
    return signed_in_client(app, engine, username, role, station)


def _rows(page: str) -> list[list[str]]:
    if "<tbody>" not in page:
        return []
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    ]


def test_the_sheet_lists_every_visit_the_measures_count(demo_app, demo_engine):
    from data import warning_visits

    chief = _client(demo_app, demo_engine, "t-chief-ba01", "station_chief", STATION)
    response = chief.get(f"/station/{STATION}/visits-sheet?lang=en")
    assert response.status_code == 200
    rows = _rows(response.data.decode())
    names = {t(f"station.visits_kind_{k}", "en"): k for k in KINDS}
    by_kind = {k: 0 for k in KINDS}
    for row in rows:
        by_kind[names[row[1]]] += 1
    # Counted here from the measures the workspace's due panel and the wall use.
    access = CaseAccess(demo_engine)
    scope = Scope(user="t", stations=frozenset({STATION}), personal_details=True)
    now = datetime.now(UTC)
    incidents = access.incidents(scope, IncidentFilter(stations=(STATION,)))
    checks = service.checks(incidents, access.follow_up_visits(scope), now)
    assert by_kind["overdue"] == station_measures.follow_ups_overdue(checks).height > 0
    assert by_kind["due"] == station_measures.follow_ups_due(checks, now).height
    letters = warning_visits.schedules(demo_engine, scope, stations=(STATION,), now=now)
    assert by_kind["warning_overdue"] == letters.filter(pl.col("state") == "overdue").height
    assert by_kind["warning_due"] == letters.filter(pl.col("state") == "due").height
    assert len(rows) == sum(by_kind.values())
    # Risk order: high before medium before low; addresses in full for the chief.
    order = [label("risk", r, "en") for r in ("high", "medium", "low")]
    seen = [order.index(r[3]) for r in rows if r[3] in order]
    assert seen == sorted(seen) and len(set(seen)) > 1
    assert not any("*" in r[4] for r in rows)
    audit, _ = events(demo_engine, AuditQuery(action="export"), "Asia/Shanghai", limit=20)
    assert audit[0]["target"] == f"visits_sheet:{STATION}"


def test_the_command_centre_sees_addresses_masked(demo_app, demo_engine):
    command = _client(demo_app, demo_engine, "t-command", "command_center", None)
    rows = _rows(command.get(f"/station/{STATION}/visits-sheet?lang=zh&order=place").data.decode())
    assert rows and all("*" in r[4] for r in rows if r[4] != "—")


def test_place_order_groups_by_the_normalised_address_and_risk_order_by_risk():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    owed = [
        Visit("due", 1, "A1", "low", "深圳市宝安区新安街道翻身路1号", moment, 0, "翻身路1号"),
        Visit("overdue", 2, "A2", "high", "宝安区上川路9号", moment, 0, "上川路9号"),
        Visit("due", 3, "A3", "high", "翻身路3号", moment, 0, "翻身路3号"),
    ]
    assert [v.incident_id for v in ordered(owed, "place")] == [2, 1, 3]
    assert [v.incident_id for v in ordered(owed, "risk")] == [2, 3, 1]


def test_a_bad_order_and_another_station_are_refused(demo_app, demo_engine):
    chief = _client(demo_app, demo_engine, "t-chief-ba01", "station_chief", STATION)
    assert chief.get(f"/station/{STATION}/visits-sheet?order=nearest").status_code == 400
    assert chief.get("/station/BA02/visits-sheet").status_code == 403


def test_the_demo_ships_places_and_the_patrol_sheet_names_every_cell_by_them(demo_app, demo_engine):
    from data.demo.scenario import URBAN_VILLAGES
    from data.places import load_places

    index = load_places(demo_engine)
    kinds = [p.kind for p in index.places]
    assert kinds.count("street") == 10 and kinds.count("urban_village") == len(URBAN_VILLAGES)
    chief = _client(demo_app, demo_engine, "t-chief-ba01", "station_chief", STATION)
    page = chief.get(f"/station/{STATION}/patrol-sheet?lang=zh").data.decode()
    places = re.findall(r'<b class="sheet-place">(.*?)</b>', page)
    cells = re.findall(r'<td class="sheet-no">', page)
    assert places and len(places) == len(cells)
    assert all(p.startswith("新安街道") for p in places)  # the station's own street
    assert sum("社区" in p for p in places) >= len(places) // 2  # most in a named community
