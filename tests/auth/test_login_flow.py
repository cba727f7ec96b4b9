"""Logging in and out over HTTP: cookies, CSRF, session timeouts, headers, demo mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from canary import PASSWORD, audit_rows, sign_in
from sqlalchemy import update

from dashboard.web import auth
from dashboard.web.auth import CSRF_COOKIE, SESSION_COOKIE, landing, safe_next
from data import sessions
from data.models import UserSession
from data.users import UserInfo, get_user

ORIGIN = {"Origin": "http://localhost"}
ROUTER = {
    "output": "page.children",
    "outputs": {"id": "page", "property": "children"},
    "inputs": [
        {"id": "url", "property": "pathname", "value": "/"},
        {"id": "lang-store", "property": "data", "value": "en"},
    ],
    "state": [{"id": "url", "property": "search", "value": ""}],
    "changedPropIds": ["url.pathname"],
}


def _form_token(client, query: str = "") -> str:
    page = client.get(f"/login{query}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, username: str, password: str = PASSWORD, **form: str):
    token = _form_token(client)
    data = {"username": username, "password": password, "csrf_token": token, **form}
    return client.post("/login", data=data, headers=ORIGIN)


def _cookie_header(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))


# -- the login page and the form -------------------------------------------------------------------
def test_the_login_page_asks_for_a_name_and_a_password(canary_app):
    page = canary_app.server.test_client().get("/login?lang=en")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="username"' in text and 'type="password"' in text
    assert "demo-password" not in text and "DEMO" not in text  # real data: no demo mode
    assert "<script" not in text  # works without any script


def test_a_login_sets_strict_http_only_cookies_and_lands_by_role(canary_app, canary_engine):
    client = canary_app.server.test_client()
    response = _login(client, "t-command", next="/case/3?lang=en")
    assert response.status_code == 303 and response.headers["Location"] == "/case/3?lang=en"
    session = _cookie_header(response, SESSION_COOKIE)
    assert "HttpOnly" in session and "SameSite=Strict" in session and "Secure" not in session
    csrf = _cookie_header(response, CSRF_COOKIE)
    assert "SameSite=Strict" in csrf and "HttpOnly" not in csrf  # Dash's renderer reads it
    assert client.get("/").status_code == 200
    admin = _login(canary_app.server.test_client(), "t-admin", next="/")
    assert admin.headers["Location"] == "/admin"
    login = audit_rows(canary_engine, "login")[-2]
    assert (login["user"], login["detail"], login["remote_addr"]) == (
        "t-command",
        "role=command_center",
        "127.0.0.1",
    )


@pytest.mark.parametrize(
    ("setting", "https", "secure"),
    [
        ("auto", False, False),
        ("auto", True, True),
        ("on", False, True),
        ("off", True, False),
    ],
)
def test_cookies_are_secure_over_https_or_when_configured(
    canary_app, monkeypatch, setting, https, secure
):
    monkeypatch.setenv("ANNING_COOKIE_SECURE", setting)
    base = "https://localhost" if https else "http://localhost"
    client = canary_app.server.test_client()
    page = client.get("/login", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        base_url=base,
        data={"username": "t-leader", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": base},
    )
    assert response.status_code == 303
    assert ("Secure" in _cookie_header(response, SESSION_COOKIE)) is secure
    assert ("Strict-Transport-Security" in response.headers) is https


def test_a_wrong_password_says_so_without_saying_which_part(canary_app, canary_engine):
    client = canary_app.server.test_client()
    wrong = _login(client, "t-command", "not the password", lang="en")
    unknown = _login(client, "no-such-user", "not the password", lang="en")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong user name or password" in response.get_data(as_text=True)
    assert SESSION_COOKIE not in str(wrong.headers.getlist("Set-Cookie"))
    assert [r["detail"] for r in audit_rows(canary_engine, "login_failed")[-2:]] == [
        "wrong_password",
        "unknown_user",
    ]


@pytest.mark.parametrize(
    ("headers", "token", "status"),
    [
        ({}, "form", 403),  # neither Origin nor Referer
        ({"Origin": "http://evil.example"}, "form", 403),
        ({"Referer": "http://evil.example/login"}, "form", 403),
        (ORIGIN, "wrong", 400),
        (ORIGIN, None, 400),
        ({"Referer": "http://localhost/login"}, "form", 303),
    ],
)
def test_the_login_form_must_come_from_this_server(canary_app, headers, token, status):
    client = canary_app.server.test_client()
    form_token = _form_token(client)
    data = {"username": "t-analyst", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = form_token if token == "form" else "forged"
    assert client.post("/login", data=data, headers=headers).status_code == status


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/case/3?lang=en", "/case/3?lang=en"),
        ("//evil.example/", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("/login?next=/", None),
        ("/x\r\nSet-Cookie: a=b", None),
        (["/"], None),
    ],
)
def test_only_local_paths_are_returned_to(value, expected):
    assert safe_next(value) == expected


def test_the_administrator_lands_on_the_admin_page_and_the_others_never_do():
    admin = UserInfo(1, "a", "A", "administrator", None)
    chief = UserInfo(2, "c", "C", "station_chief", "BA01")
    assert landing(admin, "/") == "/admin" and landing(admin, "/admin?x=1") == "/admin?x=1"
    assert landing(chief, "/admin") == "/station/BA01" and landing(chief, "/case/4") == "/case/4"


@pytest.mark.parametrize(
    ("role", "station", "home"),
    [
        ("command_center", None, "/command"),
        ("leadership", None, "/review"),
        ("station_chief", "BA03", "/station/BA03"),
        ("station_officer", "BA02", "/station/BA02"),
        ("analyst", None, "/"),
    ],
)
def test_each_role_lands_on_the_screen_made_for_its_job(role, station, home):
    user = UserInfo(3, "u", "U", role, station)
    assert landing(user) == home and landing(user, "/") == home
    assert landing(user, "/?cat=family_dispute") == "/?cat=family_dispute"  # a real destination


def test_logout_ends_the_session_and_needs_the_token(canary_app, canary_engine):
    client = canary_app.server.test_client()
    _login(client, "t-chief")
    assert client.post("/logout", data={}, headers=ORIGIN).status_code == 403  # no token
    token = client.get_cookie(CSRF_COOKIE).value
    response = client.post("/logout", data={"csrf_token": token, "lang": "en"}, headers=ORIGIN)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?ended=1&lang=en"
    assert client.get("/").status_code == 302
    assert "You have logged out" in client.get("/login?ended=1&lang=en").get_data(as_text=True)
    logout = audit_rows(canary_engine, "logout")[-1]
    assert (logout["user"], logout["remote_addr"]) == ("t-chief", "127.0.0.1")


# -- the gate ------------------------------------------------------------------------------------
def test_anonymous_pages_redirect_and_everything_else_is_401(canary_app):
    client = canary_app.server.test_client()
    page = client.get("/case/3?lang=en")
    assert (
        page.status_code == 302
        and page.headers["Location"] == "/login?next=%2Fcase%2F3%3Flang%3Den"
    )
    assert client.post("/_dash-update-component", json=ROUTER).status_code == 401
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/geo/stations.geojson").get_json() == {"error": "请先登录。"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://localhost", "X-CSRFToken": "*"}, 200),
        ({"Referer": "http://localhost/", "X-CSRFToken": "*"}, 200),
        ({"X-CSRFToken": "*"}, 403),  # no Origin, no Referer
        ({"Origin": "http://evil.example", "X-CSRFToken": "*"}, 403),
        ({"Origin": "null", "X-CSRFToken": "*"}, 403),
        ({"Origin": "http://localhost"}, 403),  # no token
        ({"Origin": "http://localhost", "X-CSRFToken": "forged"}, 403),
    ],
)
def test_callbacks_need_the_same_origin_and_the_session_token(
    canary_app, canary_engine, headers, status
):
    from data.sessions import open_session

    client = canary_app.server.test_client()
    ticket = open_session(canary_engine, get_user(canary_engine, "t-leader").id)
    client.set_cookie(SESSION_COOKIE, ticket.token)
    headers = {k: (ticket.csrf_token if v == "*" else v) for k, v in headers.items()}
    response = client.post("/_dash-update-component", json=ROUTER, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert audit_rows(canary_engine, "denied")[-1]["user"] == "t-leader"


def test_another_sessions_token_does_not_do(canary_app, canary_engine):
    mine = sign_in(canary_app, canary_engine, "t-leader")
    theirs = sessions.open_session(canary_engine, get_user(canary_engine, "t-analyst").id)
    mine.environ_base["HTTP_X_CSRFTOKEN"] = theirs.csrf_token
    assert mine.post("/_dash-update-component", json=ROUTER).status_code == 403


def _age_session(engine, client, minutes: float, field: str = "last_seen_at") -> None:
    token = client.get_cookie(SESSION_COOKIE).value
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=minutes)
    with engine.begin() as conn:
        conn.execute(
            update(UserSession)
            .where(UserSession.id == sessions.token_id(token))
            .values(**{field: past})
        )


def test_an_idle_session_ends_after_thirty_minutes(canary_app, canary_engine):
    client = sign_in(canary_app, canary_engine, "t-officer")
    _age_session(canary_engine, client, 29)
    assert client.post("/_dash-update-component", json=ROUTER).status_code == 200
    _age_session(canary_engine, client, 31)
    assert client.post("/_dash-update-component", json=ROUTER).status_code == 401
    assert client.get("/").status_code == 302  # ended for good, not only for that request
    end = audit_rows(canary_engine, "session_end")[-1]
    assert (end["user"], end["detail"]) == ("t-officer", "idle")


def test_the_idle_and_total_limits_are_settings(canary_app, canary_engine, monkeypatch):
    monkeypatch.setenv("ANNING_SESSION_IDLE_MINUTES", "5")
    client = sign_in(canary_app, canary_engine, "t-officer")
    _age_session(canary_engine, client, 6)
    assert client.get("/").status_code == 302
    monkeypatch.setenv("ANNING_SESSION_MAX_HOURS", "2")
    busy = sign_in(canary_app, canary_engine, "t-officer")
    _age_session(canary_engine, busy, 121, "created_at")
    assert busy.get("/").status_code == 302
    assert audit_rows(canary_engine, "session_end")[-1]["detail"] == "expired"


def test_use_moves_the_last_seen_time_at_most_every_thirty_seconds(canary_engine):
    user = get_user(canary_engine, "t-analyst")
    start = datetime(2026, 11, 25, 8, 0)
    ticket = sessions.open_session(canary_engine, user.id, now=start)
    seen = sessions.resolve(canary_engine, ticket.token, now=start + timedelta(seconds=10))
    assert seen.session.last_seen_at == start
    sessions.resolve(canary_engine, ticket.token, now=start + timedelta(seconds=40))
    later = sessions.resolve(canary_engine, ticket.token, now=start + timedelta(seconds=41))
    assert later.session.last_seen_at == start + timedelta(seconds=40)
    assert sessions.resolve(canary_engine, "not a token").status == "missing"
    assert sessions.resolve(canary_engine, "x" * 5000).status == "missing"


def test_a_password_reset_or_a_removal_ends_the_users_sessions(canary_app, canary_engine):
    from data.users import add_user, remove_user, reset_password

    add_user(canary_engine, "t-temp", PASSWORD, "analyst", actor="t")
    first = sign_in(canary_app, canary_engine, "t-temp")
    reset_password(canary_engine, "t-temp", "another-long-password", actor="t")
    assert first.get("/").status_code == 302
    second = sign_in(canary_app, canary_engine, "t-temp")
    remove_user(canary_engine, "t-temp", actor="t")
    assert second.get("/").status_code == 302


# -- headers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/login", "/", "/healthz", "/_dash-layout", "/nowhere"])
def test_every_response_carries_the_security_headers(canary_app, canary_engine, path):
    response = sign_in(canary_app, canary_engine, "t-command").get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+'$", csp.split(";")[1].strip())
    assert "unsafe-eval" not in csp and "http" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_csp_hash_is_that_of_dashs_inline_bootstrap(canary_app, canary_engine):
    import base64
    import hashlib

    page = sign_in(canary_app, canary_engine, "t-command").get("/")
    inline = re.findall(r"<script[^>]*>([^<]+)</script>", page.get_data(as_text=True))
    executable = [s for s in inline if not s.lstrip().startswith("{")]  # JSON is not run
    assert executable == ["var renderer = new DashRenderer();"]
    digest = base64.b64encode(hashlib.sha256(executable[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["Content-Security-Policy"]


# -- demo mode -------------------------------------------------------------------------------------
@pytest.fixture
def demo_app(db_engine, monkeypatch):
    """The dashboard over a store holding a tiny demo district, in demo mode."""
    from dashboard import create_app
    from data.demo.load import rebuild_demo

    monkeypatch.setenv("ANNING_DEMO", "1")
    monkeypatch.setattr(auth, "DEMO_CHECK_SECONDS", 0.0)
    rebuild_demo(db_engine, 50, 1)
    return create_app(db_engine)


def test_demo_mode_prints_the_accounts_and_every_page_says_demo(demo_app, db_engine):
    from dashboard import ROUTES
    from dashboard.web import shell

    client = demo_app.server.test_client()
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "DEMO" in page and "anning-demo" in page and "demo-chief" in page
    assert "Xin&#39;an Station" in page  # the chief's station, by name (escaped)
    assert _login(client, "demo-command", "anning-demo").status_code == 303
    with demo_app.server.test_request_context("/"):
        auth.use_identity(get_user(db_engine, "demo-command"))
        for path in ("/", "/case/1", "/admin", "/nowhere"):
            text = str(shell.render(ROUTES, path, "", "en"))
            assert "DEMO: every record here is invented" in text, path


def test_demo_accounts_stop_working_when_real_data_arrives(demo_app, db_engine):
    from canary import frames

    from data.store import insert_incidents

    client = demo_app.server.test_client()
    _login(client, "demo-analyst", "anning-demo")
    assert client.get("/").status_code == 200
    insert_incidents(db_engine, *frames())
    assert client.get("/").status_code == 302  # the live demo session is over
    assert _login(client, "demo-analyst", "anning-demo").status_code == 401
    assert "anning-demo" not in client.get("/login").get_data(as_text=True)


# -- the hook for the push API ---------------------------------------------------------------------
def test_token_routes_check_their_own_bearer_token(canary_engine):
    from flask import jsonify

    from dashboard import create_app
    from dashboard.web.scope import current_scope

    canary_app = create_app(canary_engine)
    auth.register_token_route(
        canary_app, "/api/v1/push", lambda token: "hunan-110" if token == "s3cret" else None
    )

    @canary_app.server.post("/api/v1/push/test")
    def _push():
        return jsonify(stations=str(current_scope().stations))

    client = canary_app.server.test_client()
    assert client.post("/api/v1/push/test").status_code == 401
    assert (
        client.post("/api/v1/push/test", headers={"Authorization": "Bearer x"}).status_code == 401
    )
    ok = client.post("/api/v1/push/test", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and ok.get_json() == {"stations": "frozenset()"}
    with pytest.raises(ValueError, match="prefix"):
        auth.register_token_route(canary_app, "/", lambda token: None)
