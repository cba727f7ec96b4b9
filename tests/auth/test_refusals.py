"""Refusals by scope are recorded, and reveals are bounded.

A BA01 station chief asking for BA02 (Xixiang) — its export, its patrol sheet, one of its
cases, a layer of it, a callback filtered to it — gets nothing, and each such request leaves
exactly one ``denied`` row naming who asked, what was asked and from where. Reveals need a
reason with visible characters and are limited per user and hour.
"""

from __future__ import annotations

import pytest
from canary import audit_rows
from test_matrix import callback_payload, crafted_values

from dashboard.parts import ids

CALLBACK = "/_dash-update-component"
REVEAL_KEY = f"..{ids.CASE_FIELDS}.children...{ids.REVEAL_MESSAGE}.children.."
_KPIS = (ids.KPI_INCIDENTS, ids.KPI_HIGH_RISK, ids.KPI_OPEN, ids.KPI_WARNING_LETTERS)
_KPIS += (ids.KPI_PROTECTION_ORDERS,)
#: The overview's KPI callback: the five numbers, then the link of each to its cases.
KPI_KEY = (
    ".." + "...".join([f"{k}.children" for k in _KPIS] + [f"{k}-link.href" for k in _KPIS]) + ".."
)


def _post(app, client, key, values):
    return client.post(CALLBACK, json=callback_payload(key, app.callback_map[key], values))


def _new_denials(engine, before: int) -> list[tuple[str, str, str, str]]:
    return [
        (d["user"], d["target"], d["detail"], d["remote_addr"])
        for d in audit_rows(engine, "denied")[before:]
    ]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/station/BA02/cases.csv", 403),
        ("/station/BA02/patrol-sheet", 403),
        ("/api/v1/layers/counts?st=BA02", 400),
    ],
)
def test_a_chief_asking_for_another_station_is_recorded(
    canary_app, canary_engine, principals, path, status
):
    before = len(audit_rows(canary_engine, "denied"))
    response = principals["station_chief"].client.get(path)
    assert response.status_code == status
    path_only = path.split("?")[0]
    assert _new_denials(canary_engine, before) == [
        (
            "t-chief",
            "station:BA02",
            f"station outside the caller's scope; asked: GET {path_only}",
            "127.0.0.1",
        )
    ]


def test_another_stations_case_page_is_recorded(
    canary_app, canary_engine, principals, incident_ids
):
    theirs = incident_ids["XX-CANARY-1"]
    before = len(audit_rows(canary_engine, "denied"))
    values = {(ids.URL, "pathname"): f"/case/{theirs}", (ids.LANG_STORE, "data"): "en"}
    response = _post(canary_app, principals["station_chief"].client, "page.children", values)
    assert response.status_code == 200 and "XX-CANARY" not in response.get_data(as_text=True)
    [(user, target, detail, addr)] = _new_denials(canary_engine, before)
    assert (user, target, addr) == ("t-chief", f"incident:{theirs}", "127.0.0.1")
    assert (
        detail
        == "case outside the caller's scope; asked: POST /_dash-update-component page.children"
    )


def test_a_callback_filtered_to_another_station_is_recorded_once(
    canary_app, canary_engine, principals, incident_ids
):
    before = len(audit_rows(canary_engine, "denied"))
    response = _post(
        canary_app, principals["station_chief"].client, KPI_KEY, crafted_values(incident_ids)
    )
    assert response.status_code == 200
    assert response.get_json()["response"][ids.KPI_INCIDENTS]["children"] == "0"
    denials = _new_denials(canary_engine, before)
    assert [(u, t) for u, t, _, _ in denials] == [("t-chief", "station:BA02")]
    assert f"asked: POST /_dash-update-component {KPI_KEY[:60]}" in denials[0][2]


def test_own_station_and_wide_roles_are_not_refusals(canary_app, canary_engine, principals):
    before = len(audit_rows(canary_engine, "denied"))
    assert principals["station_chief"].client.get("/station/BA01/cases.csv").status_code == 200
    assert principals["command_center"].client.get("/station/BA02/cases.csv").status_code == 200
    assert _new_denials(canary_engine, before) == []


# -- reveals -----------------------------------------------------------------------------------
def _reveal(app, client, incident_id: int, reason: str) -> str:
    values = {
        (ids.REVEAL_BUTTON, "n_clicks"): 1,
        (ids.REVEAL_REASON, "value"): reason,
        (ids.URL, "pathname"): f"/case/{incident_id}",
        (ids.PAGE_LANG, "data"): "en",
    }
    response = _post(app, client, REVEAL_KEY, values)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "reason",
    ["\u200b\u200b\u200b\u200b", "abc\x00def", "\u2060\u2060\u2060\u2060 ok", "  . ", "ab\u202ecd"],
)
def test_a_reason_needs_visible_characters(
    canary_app, canary_engine, principals, incident_ids, reason
):
    before = len(audit_rows(canary_engine, "reveal"))
    text = _reveal(
        canary_app, principals["command_center"].client, incident_ids["XX-CANARY-1"], reason
    )
    assert "Please give a reason" in text and "3322109" not in text
    assert len(audit_rows(canary_engine, "reveal")) == before


def test_a_chinese_reason_is_enough(canary_app, canary_engine, principals, incident_ids):
    text = _reveal(
        canary_app, principals["command_center"].client, incident_ids["XX-CANARY-2"], "回访核实"
    )
    assert "3322108" in text


def test_reveals_per_hour_are_limited(
    canary_app, canary_engine, principals, incident_ids, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from data.audit import count_since

    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    done = count_since(canary_engine, "reveal", "t-command", since)
    monkeypatch.setenv("ANNING_REVEAL_MAX_PER_HOUR", str(done + 2))
    client = principals["command_center"].client
    case = incident_ids["XA-CANARY-1"]
    for _ in range(2):
        assert "8765401" in _reveal(canary_app, client, case, "follow-up visit")
    before = len(audit_rows(canary_engine, "denied"))
    text = _reveal(canary_app, client, case, "follow-up visit")
    assert "8765401" not in text and "the limit" in text
    [(user, target, detail, _)] = _new_denials(canary_engine, before)
    assert (user, target) == ("t-command", f"incident:{case}")
    assert detail.startswith(f"reveal limit of {done + 2} per hour reached")
