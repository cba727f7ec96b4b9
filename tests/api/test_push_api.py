"""The live push API (``POST /api/v1/incidents``) and its tokens (``app.py tokens``)."""

from __future__ import annotations

import argparse
import json

import pytest
from sqlalchemy import func, inspect, select, text

from dashboard.web.push_api import MAX_BODY_BYTES, MAX_ITEMS, PUSH_PATH
from data.models import ApiToken, AuditEvent, Incident, StatusEvent

#: Also run against a Citus cluster (tests/backends.py).
pytestmark = pytest.mark.citus

VICTIM_ID = "110101199003074518"
PHONE = "13812345678"


def item(no: str = "J001", **extra: object) -> dict:
    """One cn-110 incident as the 110 system would push it."""
    base = {
        "警情编号": no,
        "接警时间": "2026-11-20 21:14:00",
        "警情类别": "家庭暴力",
        "风险等级": "高",
        "发案地址": "宝安区新安街道新安一路1号",
        "经度": 113.89,
        "纬度": 22.56,
        "管辖单位": "BA01",
        "处置状态": "已派警",
    }
    base.update(extra)
    return base


def push(client, body: object, token: str | None, **headers: str):
    """POST ``body`` as JSON with ``token`` as the bearer token."""
    if token is not None:
        headers.setdefault("Authorization", f"Bearer {token}")
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
    headers.setdefault("Content-Type", "application/json")
    return client.post(PUSH_PATH, data=data, headers=headers)


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


def audits(engine, action: str) -> list[AuditEvent]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).where(AuditEvent.action == action)).all())


# -- authentication ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-token", "Token {token}", "{token}"],
)
def test_no_valid_bearer_token_is_401(client, store, token, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.format(token=token)}
    response = push(client, item(), None, **headers)
    assert response.status_code == 401
    assert response.is_json and "error" in response.get_json()
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert count(store, Incident) == 0


def test_a_revoked_token_is_401(client, store, token):
    from data.api_tokens import revoke_token

    assert push(client, item(), token).status_code == 200
    revoke_token(store, "p110", actor="tests")
    response = push(client, item("J002"), token)
    assert response.status_code == 401
    assert count(store, Incident) == 1


def test_a_session_does_not_open_the_push_api(store, app):
    """A logged-in user with a valid CSRF token but no bearer token gets 401."""
    from dashboard.web.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
    from data.sessions import open_session
    from data.users import add_user

    user = add_user(store, "cc", "a long password 1", "command_center", actor="tests")
    ticket = open_session(store, user.id)
    client = app.server.test_client()
    client.set_cookie(SESSION_COOKIE, ticket.token)
    client.set_cookie(CSRF_COOKIE, ticket.csrf_token)
    response = push(
        client, item(), None, Origin="http://localhost", **{CSRF_HEADER: ticket.csrf_token}
    )
    assert response.status_code == 401
    assert count(store, Incident) == 0


def test_a_token_push_needs_no_csrf_token_nor_origin(client, store, token):
    """No cookies, no Origin/Referer, no X-CSRFToken: the bearer token is the credential."""
    response = push(client, item(), token, Origin="https://elsewhere.example")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_only_the_hash_is_stored_and_use_is_recorded(store, client, token):
    with store.connect() as conn:
        row = conn.execute(select(ApiToken)).one()
        dump = " ".join(str(v) for v in conn.execute(text("SELECT * FROM api_token")).one())
    assert token not in dump and row.last_used_at is None
    push(client, item(), token)
    with store.connect() as conn:
        assert conn.execute(select(ApiToken.last_used_at)).scalar_one() is not None


# -- the body ------------------------------------------------------------------------------------
def test_content_type_must_be_json(client, store, token):
    response = push(client, json.dumps(item()), token, **{"Content-Type": "text/plain"})
    assert response.status_code == 415 and "application/json" in response.get_json()["error"]


def test_too_large_bodies_and_too_many_items_are_413(client, store, token):
    big = json.dumps([item(f"J{i}", 简要案情="x" * 1000) for i in range(MAX_BODY_BYTES // 900)])
    assert len(big.encode()) > MAX_BODY_BYTES
    response = push(client, big, token)
    assert response.status_code == 413 and response.is_json
    many = [{"警情编号": str(i)} for i in range(MAX_ITEMS + 1)]
    response = push(client, many, token)
    assert response.status_code == 413 and str(MAX_ITEMS) in response.get_json()["error"].replace(
        ",", ""
    )
    assert count(store, Incident) == 0


def test_a_body_above_the_app_cap_but_within_the_push_cap_is_taken(client, store, token):
    body = [item(f"J{i}", 简要案情="家庭纠纷" * 100) for i in range(1_200)]
    assert 1024 * 1024 < len(json.dumps(body, ensure_ascii=False).encode()) < MAX_BODY_BYTES
    response = push(client, body, token)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["counts"]["inserted"] == 1_200


@pytest.mark.parametrize(
    ("body", "status", "index", "field", "words"),
    [
        ('{"警情编号": ', 400, None, None, "malformed JSON"),
        ("[1, NaN]", 400, None, None, "malformed JSON"),
        (b"\xff\xfe\x00", 400, None, None, "UTF-8"),
        ("", 400, None, None, "empty"),
        ('"J001"', 400, None, None, "object or a list"),
        ("[]", 400, None, None, "no incidents"),
        ('[{"警情编号": "J1"}, 7]', 400, 1, None, "not an object"),
        ('[{"警情编号": "J1"}, {"警情编码": "J2"}]', 400, 1, "警情编码", "unknown field"),
        ('[{"警情编号": {"a": 1}}]', 400, 0, "警情编号", "text, a number"),
        ("[" * 100_000 + "]" * 100_000, 400, None, None, "malformed JSON"),
    ],
)
def test_bad_bodies_are_400_naming_item_and_field(
    client, store, token, body, status, index, field, words
):
    response = push(client, body, token)
    assert response.status_code == status
    answer = response.get_json()
    assert words in answer["error"]
    assert answer.get("index") == index and answer.get("field") == field
    assert "Traceback" not in response.get_data(as_text=True)
    assert count(store, Incident) == 0
    assert audits(store, "push_refused")


# -- outcomes -----------------------------------------------------------------------------------
def test_one_item_is_inserted_and_audited(client, store, token):
    response = push(client, item(), token)
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["results"] == [
        {"index": 0, "incident_no": "J001", "outcome": "inserted", "reasons": []}
    ]
    assert answer["counts"]["inserted"] == 1 and answer["received"] == 1
    assert answer["source_system"] == "110"
    with store.connect() as conn:
        row = conn.execute(select(Incident)).one()
    assert (row.source_system, row.category, row.risk_level, row.station_code) == (
        "110",
        "domestic_violence",
        "high",
        "BA01",
    )
    (event,) = audits(store, "push")
    assert event.user == "p110" and json.loads(event.detail)["inserted"] == 1


def test_many_items_idempotent_and_updated(client, store, token):
    body = [item("J001"), item("J002"), item("J003")]
    first = push(client, body, token).get_json()
    assert [r["outcome"] for r in first["results"]] == ["inserted"] * 3
    again = push(client, body, token).get_json()
    assert [r["outcome"] for r in again["results"]] == ["unchanged"] * 3
    assert count(store, Incident) == 3
    events = count(store, StatusEvent)
    closed = item("J002", 处置状态="已办结", 办结时间="2026-11-21 09:00:00")
    later = push(client, closed, token).get_json()
    assert later["results"][0]["outcome"] == "updated"
    assert count(store, StatusEvent) == events + 1
    with store.connect() as conn:
        status = conn.execute(
            select(Incident.status, Incident.closed_at).where(Incident.incident_no == "J002")
        ).one()
    assert status[0] == "closed" and status[1] is not None
    assert len(audits(store, "push")) == 3


def test_a_rejected_item_does_not_block_the_others(client, store, token):
    body = [item("J001"), item("J002", 接警时间="昨天晚上"), {"警情编号": ""}, item("J003")]
    answer = push(client, body, token).get_json()
    outcomes = [r["outcome"] for r in answer["results"]]
    assert outcomes == ["inserted", "rejected", "rejected", "inserted"]
    bad = answer["results"][1]
    assert bad["index"] == 1 and bad["incident_no"] == "J002"
    assert bad["reasons"] and bad["reasons"][0]["field"] == "接警时间"
    assert answer["results"][2]["reasons"]
    assert answer["counts"] == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
        "filtered": 0,
    }
    assert count(store, Incident) == 2


def test_raw_ids_and_phones_never_reach_the_database(client, store, token):
    pushed = item(
        受害人证件号=VICTIM_ID,
        加害人证件号="11010119850101123X",
        简要案情=f"报警人电话{PHONE}，受害人身份证{VICTIM_ID}，称被丈夫殴打。",
    )
    assert push(client, pushed, token).status_code == 200
    with store.connect() as conn:
        row = conn.execute(select(Incident)).one()
        tables = inspect(conn).get_table_names()
        dump = " ".join(
            str(v)
            for table in tables
            for r in conn.execute(text(f'SELECT * FROM "{table}"'))
            for v in r
        )
    assert row.victim_key and row.offender_key and row.victim_key != VICTIM_ID
    assert "殴打" in row.summary
    for raw in (VICTIM_ID, PHONE, "11010119850101123X"):
        assert raw not in dump


# -- the command line --------------------------------------------------------------------------
def _cli(store, *argv: str) -> int:
    from data.tokens_cli import add_tokens_command, run_tokens_command

    parser = argparse.ArgumentParser()
    add_tokens_command(parser.add_subparsers(dest="command"))
    return run_tokens_command(parser.parse_args(["tokens", *argv]), engine=store)


def test_the_cli_adds_lists_and_revokes(store, client, capsys):
    assert _cli(store, "add", "platform-110") == 0
    out = capsys.readouterr().out
    token = out.strip().splitlines()[-1]
    assert len(token) >= 40 and "shown this once" in out
    assert push(client, item(), token).status_code == 200
    assert _cli(store, "list") == 0
    listing = capsys.readouterr().out
    assert "platform-110" in listing and "cn-110" in listing and "active" in listing
    assert token not in listing
    assert _cli(store, "revoke", "platform-110") == 0
    capsys.readouterr()
    assert push(client, item("J9"), token).status_code == 401
    _cli(store, "list")
    assert "revoked" in capsys.readouterr().out
    assert [e.action for e in audits(store, "token_add")] == ["token_add"]
    assert audits(store, "token_revoke")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("add", "bad name"), "token name"),
        (("add", "x", "--profile", "no-such-profile"), "profile 'no-such-profile'"),
        (("revoke", "nobody"), "no token named 'nobody'"),
    ],
)
def test_cli_mistakes_are_one_line(store, capsys, argv, message):
    assert _cli(store, *argv) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_names_are_not_reused_and_revoking_twice_is_refused(store, capsys):
    assert _cli(store, "add", "a") == 0
    assert _cli(store, "add", "a") == 1
    assert _cli(store, "revoke", "a") == 0
    assert _cli(store, "revoke", "a") == 1
    assert "already" in capsys.readouterr().err
