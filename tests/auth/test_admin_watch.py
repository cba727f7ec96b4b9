"""The administrator's security watch: chain state, flagged users, latest refusals."""

from __future__ import annotations

import json

from dash import html
from sqlalchemy import text

from dashboard.screens.admin import read_watch, watch_card
from data import audit


def _texts(component) -> str:
    return json.dumps(
        component.to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False
    )


def test_users_refused_often_are_flagged_above_the_setting(db_engine, monkeypatch):
    monkeypatch.setenv("ANNING_REFUSAL_ALERT", "3")
    for _ in range(4):
        audit.record(db_engine, "prober", "denied", target="station:BA02", remote_addr="10.9.9.9")
    for _ in range(3):
        audit.record(db_engine, "careless", "denied", target="station:BA03")
    watch = read_watch(db_engine, "Asia/Shanghai")
    assert watch.refusal_flags == [("prober", 4)]  # more than 3; "careless" has exactly 3
    assert len(watch.refusals) == 7 and watch.refusals[0]["remote_addr"] is None
    shown = _texts(watch_card("en", watch))
    assert "prober: refused 4 times in the last hour (alert above 3)" in shown
    assert "careless:" not in shown and "10.9.9.9" in shown


def test_bulk_reveals_are_shown(db_engine, monkeypatch):
    monkeypatch.setenv("ANNING_REVEAL_BULK_ALERT", "2")
    for i in range(3):
        audit.record(db_engine, "t-command", "reveal", target=f"incident:{i}", detail="visit")
    watch = read_watch(db_engine, "UTC")
    assert watch.reveal_flags == [("t-command", 3)]
    assert "t-command: revealed personal details 3 times in the last hour (bulk above 2)" in (
        _texts(watch_card("en", watch))
    )


def test_the_chain_state_is_shown_intact_and_broken(db_engine):
    audit.record(db_engine, "a", "login")
    audit.record(db_engine, "b", "login")
    intact = _texts(watch_card("en", read_watch(db_engine, "UTC")))
    assert "Audit trail hash chain intact: 2 events verified." in intact
    with db_engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_event SET \"user\" = 'c' WHERE \"user\" = 'a'"))
    broken = watch_card("zh", read_watch(db_engine, "UTC"))
    assert "哈希链断裂" in _texts(broken)
    assert isinstance(broken.children[1], html.Div) and broken.children[1].role == "alert"


def test_the_admin_page_shows_the_watch(canary_app, principals):
    from test_matrix import callback_payload

    from dashboard.parts import ids

    values = {(ids.URL, "pathname"): "/admin", (ids.LANG_STORE, "data"): "en"}
    body = callback_payload("page.children", canary_app.callback_map["page.children"], values)
    response = principals["administrator"].client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True)
    assert "Security watch" in text and "hash chain intact" in text
