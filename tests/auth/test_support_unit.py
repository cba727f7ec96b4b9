"""The support unit role (issue 13) through real requests: its screen and callbacks, the
linked cases it may read only while a request addressed to it is open, and who else may not.

Runs after the matrix in file order (the module-scoped canary district is shared): the request
filed here is BA01's, addressed to 治安管理大队 (the ``t-support`` user's unit).
"""

from __future__ import annotations

import json

import pytest
from canary import audit_rows, response_text

from data import support
from data.access import Scope

CALLBACK = "/_dash-update-component"
LIST_KEY = "support-list.children"
CASE_KEY = "support-case.children"
CHIEF = Scope(
    user="t-chief", stations=frozenset({"BA01"}), personal_details=True, role="station_chief"
)


@pytest.fixture(scope="module")
def request_id(canary_engine, incident_ids):
    return support.file_request(
        canary_engine, CHIEF, incident_id=incident_ids["XA-CANARY-1"], unit_code="ZAGL",
        subject_kind="case", reason_codes=["repeat_calls"], reason_text="canary request",
        urgency="urgent",
    )  # fmt: skip


def _list(client):
    body = {
        "output": LIST_KEY,
        "outputs": {"id": "support-list", "property": "children"},
        "inputs": [
            {"id": "support-open-only", "property": "value", "value": ["open"]},
            {"id": "support-unit", "property": "value", "value": None},
            {"id": "support-tick", "property": "data", "value": 0},
        ],
        "state": [{"id": "page-lang", "property": "data", "value": "en"}],
        "changedPropIds": ["support-open-only.value"],
    }
    return client.post(CALLBACK, json=body)


def _open_case(client, request_id, incident_id):
    button = {"index": incident_id, "type": "support-case-open"}
    body = {
        "output": CASE_KEY,
        "outputs": {"id": "support-case", "property": "children"},
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [
            {"id": "support-selected", "property": "data", "value": request_id},
            {"id": "page-lang", "property": "data", "value": "en"},
        ],
        "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
    }
    return client.post(CALLBACK, json=body)


def test_the_unit_sees_its_request_and_the_station_roles_are_kept_out(principals, request_id):
    seen = _list(principals["support_unit"].client)
    assert seen.status_code == 200
    assert f"#{request_id}" in response_text(seen)
    assert "CANARY" not in response_text(seen)  # the list names no case
    assert _list(principals["command_center"].client).status_code == 200
    for name in ("station_chief", "leadership", "analyst", "administrator"):
        assert _list(principals[name].client).status_code == 403, name


def test_linked_cases_open_in_full_only_while_the_request_is_open(
    canary_engine, principals, incident_ids, request_id
):
    client = principals["support_unit"].client
    case = incident_ids["XA-CANARY-1"]
    opened = _open_case(client, request_id, case)
    assert opened.status_code == 200
    assert "SUMMARY-XA" in response_text(opened)  # the case in full
    other = _open_case(client, request_id, incident_ids["XX-CANARY-1"])  # not linked
    assert "SUMMARY" not in response_text(other)
    unit = Scope(user="t-support", stations=frozenset(), role="support_unit", unit="ZAGL")
    support.act(canary_engine, unit, request_id, "decline", note="canary: not ours")
    closed = _open_case(client, request_id, case)
    assert "SUMMARY" not in response_text(closed)
    views = [r for r in audit_rows(canary_engine, "support_view_case") if r["user"] == "t-support"]
    refusals = [r for r in audit_rows(canary_engine, "support_refused") if r["user"] == "t-support"]
    assert len(views) == 1 and len(refusals) == 2
