"""The authorisation matrix: every registered route and every Dash callback × every principal.

Principals are anonymous and one user per role (``canary.PRINCIPALS``; the station roles
belong to BA01). Each cell is one real request through the Flask test client, callbacks as
the raw ``_dash-update-component`` POST the browser sends, built from ``app.callback_map``
and filled with a *crafted* state that asks for BA02 (Xixiang): its station in the filters,
its station as the selection, one of its cases in the URL. Each cell asserts

* the status: anonymous gets 401 (or, for pages, a redirect to the login page) except on
  the public routes; the administrator gets 403 from everything that carries incidents; the
  other roles get 403 from everything of the administrator's;
* the body: no marker of BA02 or of unplaced cases for the BA01 station roles, no raw
  address or summary for the masked roles, no incident marker at all for the administrator.

Routes and callbacks added later are covered by the same rules without any change here.
Positive controls (tests below the matrix) show the markers do appear where they must, and
check exact numbers per role and the audit trail of each action.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from canary import (
    BA02_MARKERS,
    INCIDENT_MARKERS,
    PRINCIPALS,
    RAW_ADDRESS_MARKERS,
    STATION_ROLES,
    SUMMARY_MARKER,
    UNPLACED_MARKERS,
    audit_rows,
    ba02_cells,
    response_text,
    sign_in,
)

from dashboard.parts import ids
from dashboard.web.auth import callback_audience

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus

CALLBACK = "/_dash-update-component"
#: Rules anyone may reach.
PUBLIC = {"/static/<path:filename>", "/assets/<path:filename>", "/_favicon.ico", "/healthz"}
#: Rules whose bodies are library code or files shipped with the program.
STATIC_BODIES = {
    "/static/<path:filename>",
    "/assets/<path:filename>",
    "/_favicon.ico",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
}
#: Dash's page endpoints and plumbing: any logged-in user, no incident data.
SHELL_RULES = {
    "/",
    "/<path:path>",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    "/_reload-hash",
}
#: Rules that take a bearer token instead of a session (the push API): a session, whoever's,
#: opens nothing there.
TOKEN_RULES = {"/api/v1/incidents", "/api/v1/loop/support-requests", "/api/v1/loop/tasks"}
#: Roles that see no incidents at all: the administrator, and a support unit (which reads a
#: case only through an open request addressed to it, on its own screen).
NO_CASE_ROLES = ("administrator", "support_unit")
#: Roles of the support units' screen (its callbacks' audience, ids ``support-``).
SUPPORT_ROLES = ("support_unit", "command_center")
MASKED_ROLES = ("command_center", "leadership", "analyst")
#: The review screen's downloads: only the roles of the review page (dashboard.screens.review.page)
#: get them; the station roles are refused (403) like the administrator.
REVIEW_RULES = {"/review/export.pdf", "/review/export.xlsx"}
CASE_ROLES = ("command_center", "leadership", "station_chief", "station_officer", "analyst")
OK = {200, 204}
WIDE_DATES = ("2026-11-01", "2026-11-30")

#: Statuses and requests of every cell, for the closing report.
MATRIX: dict[tuple[str, str, str], int] = {}


# -- building requests -------------------------------------------------------------------------
def _rule_url(rule, incident_ids: dict[str, int]) -> str:
    samples = {
        "filename": "style.css",
        "package_name": "dash",
        "fingerprinted_path": "dcc/dash_core_components.js",
        "path": f"case/{incident_ids['XX-CANARY-1']}",
        "res": "8",
        "layer_id": "counts",
    }
    url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: samples.get(m.group(1), "x"), rule.rule)
    if rule.rule.startswith("/api/"):
        url += f"?st=BA02&start={WIDE_DATES[0]}&end={WIDE_DATES[1]}"
    return url


def crafted_values(incident_ids: dict[str, int]) -> dict[tuple[str, str], object]:
    """Control values of a page that asks for BA02: what a crafted request would send."""
    return {
        (ids.URL, "pathname"): f"/case/{incident_ids['XX-CANARY-1']}",
        (ids.URL, "search"): "?st=BA02&sel=station:BA02",
        (ids.LANG_STORE, "data"): "en",
        (ids.PAGE_LANG, "data"): "en",
        (ids.LANG_SWITCH, "value"): "en",
        (ids.DATE_RANGE, "start_date"): WIDE_DATES[0],
        (ids.DATE_RANGE, "end_date"): WIDE_DATES[1],
        (ids.CATEGORY, "value"): [],
        (ids.SOURCE, "value"): [],
        (ids.RISK, "value"): [],
        (ids.STATION, "value"): ["BA02"],
        (ids.RESOLUTION, "value"): 8,
        (ids.SELECTION, "data"): {"kind": "station", "id": "BA02"},
        # the case list and the layer table ask for their first page (AG Grid's request)
        (ids.CASE_TABLE, "getRowsRequest"): {"startRow": 0, "endRow": 15, "sortModel": []},
        (ids.LAYER_TABLE, "getRowsRequest"): {"startRow": 0, "endRow": 15, "sortModel": []},
        (ids.REVEAL_BUTTON, "n_clicks"): 1,
        (ids.REVEAL_REASON, "value"): "matrix: crafted reveal",
        (ids.ADMIN_AUDIT_TABLE, "getRowsRequest"): {"startRow": 0, "endRow": 20},
    }


def _outputs(key: str) -> list[dict] | dict:
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    outs = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        outs.append(
            {"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop.split("@")[0]}
        )
    return outs if key.startswith("..") else outs[0]


def _entry(item: dict, values: dict) -> dict | list:
    if str(item["id"]).startswith("{"):
        return []  # a pattern-matching ALL input: no such component on the crafted page
    return {
        "id": item["id"],
        "property": item["property"],
        "value": values.get((item["id"], item["property"])),
    }


def callback_payload(key: str, spec: dict, values: dict) -> dict:
    """The body Dash's renderer posts for the callback ``key``, filled from ``values``."""
    inputs = [_entry(i, values) for i in spec["inputs"]]
    first = next((i for i in spec["inputs"] if not str(i["id"]).startswith("{")), None)
    return {
        "output": key,
        "outputs": _outputs(key),
        "inputs": inputs,
        "state": [_entry(s, values) for s in spec["state"]],
        "changedPropIds": [f"{first['id']}.{first['property']}"] if first else [],
    }


# -- what may be seen ------------------------------------------------------------------------
def leaks(principal: str, text: str) -> list[str]:
    """Markers in ``text`` that ``principal`` must not see."""
    if principal in ("anonymous", *NO_CASE_ROLES):
        forbidden = INCIDENT_MARKERS
    elif principal in STATION_ROLES:
        forbidden = (*BA02_MARKERS, *UNPLACED_MARKERS, *ba02_cells())
    else:
        forbidden = (*RAW_ADDRESS_MARKERS, SUMMARY_MARKER)
    return [m for m in forbidden if m in text]


def expected_route_status(rule: str, principal: str) -> set[int] | None:
    """Statuses a principal may get from a route (None: any 4xx but 401/403, see below)."""
    if rule == "/static/<path:filename>":
        return {404}  # no static folder: nothing to serve to anyone
    if rule in PUBLIC:
        return {200}
    if rule == "/login":
        return {200} if principal == "anonymous" else {302}
    if rule == "/logout":
        return {303}
    if rule in TOKEN_RULES:
        return {401}
    if principal == "anonymous":
        return {302} if rule in ("/", "/<path:path>") else {401}
    if rule in SHELL_RULES or rule == CALLBACK:
        return {200}
    if rule in REVIEW_RULES:
        return {200} if principal in MASKED_ROLES else {403}
    admin = principal == "administrator"
    if rule.startswith("/admin/"):
        return {200} if admin else {403}
    if admin or principal == "support_unit":
        return {403}  # everything else carries incidents
    return None


def _request(client, rule, incident_ids, app):
    url = _rule_url(rule, incident_ids)
    if rule.rule == CALLBACK:
        router = "page.children"
        body = callback_payload(router, app.callback_map[router], crafted_values(incident_ids))
        return client.post(url, json=body)
    if "GET" in rule.methods:
        return client.get(url)
    return client.post(url)


@pytest.mark.parametrize("principal", list(PRINCIPALS))
def test_every_route_for_every_principal(
    canary_app, canary_engine, principals, incident_ids, principal
):
    problems = []
    for rule in canary_app.server.url_map.iter_rules():
        client = principals[principal].client
        if rule.rule == "/logout":  # would end the shared session: use a session of its own
            client = sign_in(canary_app, canary_engine, principals[principal].username)
        response = _request(client, rule, incident_ids, canary_app)
        status = response.status_code
        MATRIX[("route", rule.rule, principal)] = status
        expected = expected_route_status(rule.rule, principal)
        if expected is None:  # a route of incidents, for a role that sees them
            if status in (401, 403) or status >= 500:
                problems.append(f"{rule.rule}: {status}")
        elif status not in expected:
            problems.append(f"{rule.rule}: {status}, expected {sorted(expected)}")
        if status in (302, 303) and principal == "anonymous" and rule.rule != "/logout":
            assert response.headers["Location"].startswith("/login?next="), rule.rule
        if rule.rule not in STATIC_BODIES:
            found = leaks(principal, response_text(response))
            if found:
                problems.append(f"{rule.rule}: shows {found}")
        if status >= 500 or "Traceback" in response_text(response):
            problems.append(f"{rule.rule}: a server error or a stack trace")
    assert problems == [], f"{principal}: {problems}"


@pytest.mark.parametrize("principal", list(PRINCIPALS))
def test_every_callback_for_every_principal(canary_app, principals, incident_ids, principal):
    values = crafted_values(incident_ids)
    role = PRINCIPALS[principal][1] if PRINCIPALS[principal] else None
    problems = []
    for key, spec in canary_app.callback_map.items():
        body = callback_payload(key, spec, values)
        response = principals[principal].client.post(CALLBACK, json=body)
        status = response.status_code
        MATRIX[("callback", key, principal)] = status
        audience = callback_audience(key)
        if role is None:
            expected = {401}
        elif "callback" not in spec:  # clientside: refused, the browser computes it
            expected = {400, 403}
        elif audience == "anyone":
            expected = OK
        elif audience == "administrator":
            expected = OK if role == "administrator" else {403}
        elif audience == "support":
            expected = OK if role in SUPPORT_ROLES else {403}
        else:
            expected = {403} if role in NO_CASE_ROLES else OK
        if status not in expected:
            problems.append(f"{key[:70]}: {status}, expected {sorted(expected)}")
        text = response_text(response)
        reveal = key == f"..{ids.CASE_FIELDS}.children...{ids.REVEAL_MESSAGE}.children.."
        if not (reveal and role == "command_center"):  # revealing is the point of that one
            found = leaks(principal, text)
            if found:
                problems.append(f"{key[:70]}: shows {found}")
        if "Traceback" in text:
            problems.append(f"{key[:70]}: a stack trace")
    assert problems == [], f"{principal}: {problems}"


def test_the_matrix_covers_every_route_and_callback(canary_app):
    """Runs after the matrix (file order): every cell was exercised; prints the tally."""
    rules = {r.rule for r in canary_app.server.url_map.iter_rules()}
    callbacks = set(canary_app.callback_map)
    done_routes = {k[1] for k in MATRIX if k[0] == "route"}
    done_callbacks = {k[1] for k in MATRIX if k[0] == "callback"}
    if not MATRIX:
        pytest.skip("run with the matrix tests above")
    assert rules <= done_routes and callbacks <= done_callbacks
    size = (len(rules) + len(callbacks)) * len(PRINCIPALS)
    assert len(MATRIX) == size
    print(
        f"\nauthorisation matrix: ({len(rules)} routes + {len(callbacks)} callbacks) × "
        f"{len(PRINCIPALS)} principals = {size} requests"
    )


# -- exact answers per role (positive controls) ----------------------------------------------------
_KPIS = (ids.KPI_INCIDENTS, ids.KPI_HIGH_RISK, ids.KPI_OPEN, ids.KPI_WARNING_LETTERS)
_KPIS += (ids.KPI_PROTECTION_ORDERS,)
#: The overview's KPI callback: the five numbers, then the link of each to its cases.
KPI_KEY = (
    ".." + "...".join([f"{k}.children" for k in _KPIS] + [f"{k}-link.href" for k in _KPIS]) + ".."
)


def _post(app, client, key, values):
    return client.post(CALLBACK, json=callback_payload(key, app.callback_map[key], values))


def _kpi(app, client, values) -> str:
    response = _post(app, client, KPI_KEY, values)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"][ids.KPI_INCIDENTS]["children"]


@pytest.mark.parametrize(
    ("principal", "everything", "asking_ba02"),
    [
        ("command_center", "5", "2"),
        ("leadership", "5", "2"),
        ("analyst", "5", "2"),
        ("station_chief", "2", "0"),
        ("station_officer", "2", "0"),
    ],
)
def test_the_numbers_each_role_gets(
    canary_app, principals, incident_ids, principal, everything, asking_ba02
):
    values = crafted_values(incident_ids)
    assert _kpi(canary_app, principals[principal].client, values) == asking_ba02
    values[(ids.STATION, "value")] = []
    values[(ids.SELECTION, "data")] = None  # the KPIs follow the selection too
    assert _kpi(canary_app, principals[principal].client, values) == everything


def _case_rows(app, client, values) -> list[dict]:
    key = next(k for k in app.callback_map if k.startswith(f"..{ids.CASE_TABLE}.getRowsResponse"))
    response = _post(app, client, key, values)
    assert response.status_code == 200
    answer = response.get_json()["response"][ids.CASE_TABLE]["getRowsResponse"]
    assert answer["rowCount"] == len(answer["rowData"])  # all of them on the first page
    return answer["rowData"]


def test_case_lists_are_scoped_and_masked_per_role(canary_app, principals, incident_ids):
    values = crafted_values(incident_ids)
    values[(ids.STATION, "value")] = []
    values[(ids.SELECTION, "data")] = None
    command = _case_rows(canary_app, principals["command_center"].client, values)
    assert {r["incident_no"] for r in command} == {
        "XA-CANARY-1",
        "XA-CANARY-2",
        "XX-CANARY-1",
        "XX-CANARY-2",
        "NS-CANARY-1",
    }
    assert all("*" in r["address_raw"] for r in command)  # masked, but listed
    chief = _case_rows(canary_app, principals["station_chief"].client, values)
    assert {r["incident_no"] for r in chief} == {"XA-CANARY-1", "XA-CANARY-2"}
    assert any("8765401" in r["address_raw"] for r in chief)  # their own station: in full
    values[(ids.SELECTION, "data")] = {"kind": "station", "id": "BA02"}
    assert _case_rows(canary_app, principals["station_chief"].client, values) == []


def _route(app, client, pathname: str) -> str:
    values = {(ids.URL, "pathname"): pathname, (ids.LANG_STORE, "data"): "en"}
    response = _post(app, client, "page.children", values)
    assert response.status_code == 200
    return response_text(response)


def test_case_pages_per_role_and_their_audit(canary_app, canary_engine, principals, incident_ids):
    theirs, own = incident_ids["XX-CANARY-1"], incident_ids["XA-CANARY-1"]
    before = len(audit_rows(canary_engine, "view_case"))
    command = _route(canary_app, principals["command_center"].client, f"/case/{theirs}")
    assert "XX-CANARY-1" in command and "SUMMARY-XX" not in command and "3322109" not in command
    assert "Reveal personal details" in command  # the command center may unmask, with a reason
    leader = _route(canary_app, principals["leadership"].client, f"/case/{theirs}")
    assert "XX-CANARY-1" in leader and "Reveal personal details" not in leader
    chief_theirs = _route(canary_app, principals["station_chief"].client, f"/case/{theirs}")
    assert "XX-CANARY" not in chief_theirs and "not permitted to see it" in chief_theirs
    chief_own = _route(canary_app, principals["station_chief"].client, f"/case/{own}")
    assert "SUMMARY-XA-1" in chief_own and "8765401" in chief_own  # full detail, own station
    admin = _route(canary_app, principals["administrator"].client, f"/case/{own}")
    assert "CANARY" not in admin and "not permitted to see this page" in admin
    assert "Audit trail" in _route(canary_app, principals["administrator"].client, "/admin")
    assert "Audit trail" not in _route(canary_app, principals["command_center"].client, "/admin")
    views = audit_rows(canary_engine, "view_case")[before:]
    assert [(v["user"], v["target"]) for v in views] == [
        ("t-command", f"incident:{theirs}"),
        ("t-leader", f"incident:{theirs}"),
        ("t-chief", f"incident:{own}"),
    ]
    assert all(v["remote_addr"] == "127.0.0.1" for v in views)


REVEAL_KEY = f"..{ids.CASE_FIELDS}.children...{ids.REVEAL_MESSAGE}.children.."


def _reveal(app, client, incident_id: int, reason: str) -> tuple[int, str]:
    values = {
        (ids.REVEAL_BUTTON, "n_clicks"): 1,
        (ids.REVEAL_REASON, "value"): reason,
        (ids.URL, "pathname"): f"/case/{incident_id}",
        (ids.PAGE_LANG, "data"): "en",
    }
    response = _post(app, client, REVEAL_KEY, values)
    return response.status_code, response_text(response)


def test_reveal_per_role_and_its_audit(canary_app, canary_engine, principals, incident_ids):
    case_id = incident_ids["XX-CANARY-1"]
    reason = "follow-up visit tomorrow"
    status, text = _reveal(canary_app, principals["command_center"].client, case_id, reason)
    assert status == 200 and "3322109" in text and "SUMMARY-XX-1" in text
    assert "recorded" in text
    reveal = audit_rows(canary_engine, "reveal")[-1]
    assert (reveal["user"], reveal["target"], reveal["detail"]) == (
        "t-command",
        f"incident:{case_id}",
        reason,
    )
    assert reveal["remote_addr"] == "127.0.0.1"
    count = len(audit_rows(canary_engine, "reveal"))
    for role in ("leadership", "analyst"):
        status, text = _reveal(canary_app, principals[role].client, case_id, reason)
        assert status == 200 and "not permitted to reveal" in text and "3322109" not in text
    status, text = _reveal(canary_app, principals["station_chief"].client, case_id, reason)
    assert "3322109" not in text and "not permitted to see it" in text
    status, text = _reveal(canary_app, principals["command_center"].client, case_id, "  ")
    assert "Please give a reason" in text and "3322109" not in text
    assert _reveal(canary_app, principals["administrator"].client, case_id, reason)[0] == 403
    assert len(audit_rows(canary_engine, "reveal")) == count  # refusals reveal nothing


def test_refusals_are_recorded(canary_app, canary_engine, principals, incident_ids):
    before = len(audit_rows(canary_engine, "denied"))
    assert (
        _post(
            canary_app, principals["administrator"].client, KPI_KEY, crafted_values(incident_ids)
        ).status_code
        == 403
    )
    assert principals["station_chief"].client.get("/admin/audit.csv").status_code == 403
    denied = audit_rows(canary_engine, "denied")[before:]
    assert [(d["user"], d["target"]) for d in denied] == [
        ("t-admin", "POST /_dash-update-component"),
        ("t-chief", "GET /admin/audit.csv"),
    ]
    assert "may not call" in denied[0]["detail"] and "may not use" in denied[1]["detail"]


def test_geometry_is_scoped_per_role(principals):
    chief = principals["station_chief"].client.get("/geo/stations.geojson").get_json(force=True)
    assert [f["id"] for f in chief["features"]] == ["BA01"]
    everyone = principals["analyst"].client.get("/geo/stations.geojson").get_json(force=True)
    assert len(everyone["features"]) == 10
    cells = principals["station_officer"].client.get("/geo/cells/8.geojson").get_json(force=True)
    assert {f["properties"].get("station") for f in cells["features"]} == {"BA01"}


def test_healthz_reveals_counts_only(principals):
    answer = principals["anonymous"].client.get("/healthz").get_json()
    # Counts and which worker answered (a process id): nothing about any incident.
    assert answer == {
        "status": "ok",
        "incidents": 5,
        "stations": 10,
        "worker": os.getpid(),
        "snapshot_incidents": 5,
    }
