"""Hostile input: injection strings, huge and negative values, wrong types, path tricks.

Every answer is a clear refusal or a calm page: never a 500, never a stack trace, and the
store is unchanged afterwards.
"""

from __future__ import annotations

import pytest
from canary import audit_rows, response_text, sign_in
from sqlalchemy import func, select
from test_matrix import CALLBACK, callback_payload, crafted_values

from data.models import Incident

INJECTIONS = [
    "'; DROP TABLE incident; --",
    "1 OR 1=1",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "../../../../etc/passwd",
    "%00",
    "\u0000",
    "A" * 10_000,
]
NUMBERS = [-1, -(10**30), 10**30, 1.5, float("1e308")]
WRONG_TYPES = [None, True, [], {}, {"$ne": 1}, [[["deep"]]], ["BA02"] * 500]
HOSTILE_VALUES = INJECTIONS + NUMBERS + WRONG_TYPES


def _calm(response) -> None:
    text = response_text(response)
    assert response.status_code < 500, (response.status_code, text[:300])
    assert "Traceback" not in text and 'File "' not in text, text[:300]


def _incident_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(Incident.id))).scalar_one()


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=lambda v: repr(v)[:30])
def test_every_callback_takes_hostile_values_calmly(
    canary_app, canary_engine, principals, incident_ids, value
):
    client = principals["command_center"].client
    values = {k: value for k in crafted_values(incident_ids)}
    for key, spec in canary_app.callback_map.items():
        if key.startswith("..admin-"):
            continue  # the administrator's own, below
        if "callback" not in spec:
            continue  # clientside: the server refuses it whatever the values (test_matrix)
        response = client.post(CALLBACK, json=callback_payload(key, spec, values))
        # A value of a type the page never sends is refused at the gate, naming the input.
        assert response.status_code in (200, 204, 400), (key, response.get_data()[:300])
        if response.status_code == 400:
            assert " must be " in response.get_json()["error"]
        _calm(response)
    admin = principals["administrator"].client
    admin_key = next(k for k in canary_app.callback_map if k.startswith("..admin-"))
    spec = canary_app.callback_map[admin_key]
    _calm(admin.post(CALLBACK, json=callback_payload(admin_key, spec, values)))
    assert _incident_count(canary_engine) == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"output": 5}', "no callback"),
        (b'{"output": "nope.children", "outputs": {}, "inputs": []}', "no callback"),
        (b'{"output": "page.children", "outputs": {}, "inputs": "x"}', "must be a list"),
        (b'{"output": "page.children", "outputs": {}, "inputs": []}', "must have 2 items"),
        (
            b'{"output": "page.children", "outputs": {}, "inputs": [{"id": "case-table", '
            b'"property": "getRowsRequest"}, {"id": "lang-store", "property": "data"}], "state": '
            b'[{"id": "url", "property": "search"}]}',
            "where the callback declares",
        ),
        (
            b'{"output": "page.children", "outputs": {}, "inputs": [{"id": "url", "property": '
            b'"pathname"}, {"id": "lang-store", "property": "data"}], "state": [{"id": "url", '
            b'"property": "search"}], "changedPropIds": "url.pathname"}',
            "changedPropIds",
        ),
    ],
)
def test_malformed_callback_requests_are_refused_by_name(principals, body, message):
    response = principals["station_chief"].client.post(
        CALLBACK, data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert message in response.get_json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/case/1'%20OR%20'1'='1",
        "/case/-1",
        "/case/99999999999999999999999999",
        "/case/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/case/<script>",
        "/" + "a" * 5000,
        "/geo/cells/-1.geojson",
        "/geo/cells/1e999.geojson",
        "/geo/cells/8;DROP%20TABLE%20incident.geojson",
        "/geo/cells/..%2f..%2fapp.py.geojson",
        "/api/v1/layers/..%2f..%2fetc%2fpasswd",
        "/api/v1/layers/counts?start=9999-99-99&end=-1&res=-5",
        "/api/v1/layers/counts?res=100000000000000000000&st='%20OR%201=1",
        "/api/v1/layers/hotspot?k=-1",
        "/api/v1/layers/hotspot?k=99999999999999999999999",
        "/api/v1/layers/counts?format=../../x",
    ],
)
def test_hostile_urls_get_a_calm_answer(principals, path):
    _calm(principals["command_center"].client.get(path))


@pytest.mark.parametrize(
    "path", ["/assets/../app.py", "/assets/..%2fapp.py", "/assets/%2e%2e/data/users.py"]
)
def test_no_path_trick_reads_a_file_outside_the_assets(principals, path):
    response = principals["anonymous"].client.get(path)
    assert response.status_code == 404
    assert "def " not in response_text(response)


@pytest.mark.parametrize(
    ("query", "culprit"),
    [
        ("name=../../etc/passwd", "name:"),
        ("name=..%2f..%2fx.csv", "name:"),
        ("name=a/b.csv", "name:"),
        ("name=C:%5Cx.csv", "name:"),
        ("name=.hidden.csv", "name:"),
        ("name=x.csv%0d%0aSet-Cookie:%20a=b", "name:"),
        ("name=report.exe", "name:"),
        ("start=2026-13-45", "start:"),
        ("end=100000000000000000000", "end:"),
        ("action='%3B%20DROP%20TABLE%20audit_event", "action:"),
        ("user=" + "x" * 65, "user:"),
    ],
)
def test_bad_export_parameters_are_refused_by_name(principals, query, culprit):
    response = principals["administrator"].client.get(f"/admin/audit.csv?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(culprit)


def test_a_plain_export_name_is_used_and_wildcards_match_literally(principals):
    admin = principals["administrator"].client
    response = admin.get("/admin/audit.csv?name=audit-2026_11.csv&user=%25_")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-2026_11.csv"'
    assert response.get_data(as_text=True).lstrip("\ufeff").splitlines() == [
        "at,user,action,target,detail,remote_addr"
    ]


def test_formulas_in_the_trail_are_defused_in_the_export(canary_app, canary_engine, principals):
    login = canary_app.server.test_client()
    page = login.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    login.post(
        "/login",
        data={"username": "=HYPERLINK(1)", "password": "x", "csrf_token": token},
        headers={"Origin": "http://localhost"},
    )
    csv_text = (
        principals["administrator"]
        .client.get("/admin/audit.csv?action=login_failed")
        .get_data(as_text=True)
    )
    assert "'=HYPERLINK(1)" in csv_text
    assert "\n=HYPERLINK" not in csv_text and ",=HYPERLINK" not in csv_text


@pytest.mark.parametrize(
    "username",
    ["' OR '1'='1' --", "t-admin'--", "<script>", "x" * 5000, "t-admin\u0000", "  ", "😀" * 70],
)
def test_hostile_user_names_fail_like_any_wrong_login(canary_app, canary_engine, username):
    client = canary_app.server.test_client()
    # Each attempt from its own address: failures from one address are throttled after three
    # (tests/auth/test_login_throttle.py), which is not what this test is about.
    client.environ_base["REMOTE_ADDR"] = f"192.0.2.{abs(hash(username)) % 250 + 1}"
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"username": username, "password": "' OR 1=1 --", "csrf_token": token},
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 401
    text = response.get_data(as_text=True)
    assert "Wrong user name or password" in text or "用户名或密码错误" in text
    assert "<script>" not in text  # what was typed comes back escaped
    last = audit_rows(canary_engine, "login_failed")[-1]
    assert len(last["user"]) <= 64 and "\u0000" not in last["user"]


def test_a_huge_body_is_refused_before_it_is_read(principals):
    response = principals["command_center"].client.post(
        CALLBACK, data=b"{" + b" " * (2 * 1024 * 1024) + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert "too large" in response.get_json()["error"]


def test_an_unknown_method_is_a_clear_405(principals):
    response = principals["command_center"].client.delete("/healthz")
    assert response.status_code == 405
    _calm(response)


def test_a_reveal_reason_that_is_too_long_or_markup_reveals_nothing(
    canary_app, canary_engine, incident_ids
):
    client = sign_in(canary_app, canary_engine, "t-command")
    key = next(k for k in canary_app.callback_map if k.startswith("..case-fields"))
    for reason in ("x" * 10_000, "<img src=x onerror=alert(1)>", ["a list"], 12345):
        values = crafted_values(incident_ids)
        values[("reveal-reason", "value")] = reason
        response = client.post(
            CALLBACK, json=callback_payload(key, canary_app.callback_map[key], values)
        )
        _calm(response)
        text = response_text(response)
        if reason == "<img src=x onerror=alert(1)>":
            assert "3322109" in text  # a valid reason: shown as text by React, never as markup
        else:
            assert "3322109" not in text
