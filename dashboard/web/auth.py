"""Who is logged in, and whether they may make this request.

:func:`install_auth` puts one gate in front of every route of the app:

* public: the login page, ``/healthz`` (counts only), ``/assets/`` and the favicon;
* routes registered with :func:`register_token_route` (the 110 push API, when it comes)
  check their own bearer token instead of a session;
* everything else needs a live server-side session (:mod:`data.sessions`). Without one,
  pages redirect to ``/login`` and everything else answers 401.

State-changing requests (POST and the like) must also come from a page of this server
(``Origin``/``Referer``) and carry the session's CSRF token: Dash's renderer reads it from
the ``_csrf_token`` cookie and sends it as ``X-CSRFToken`` by itself; HTML forms post it as
a hidden field. Then the role decides: the administrator reaches the admin page, its
callbacks and ``/admin/`` routes and nothing that carries incidents; every other role the
reverse. Callback requests are checked against the callback they address before Dash sees
them. What data a permitted request gets is the business of :func:`data.users.scope_for`.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from dash import Dash, dcc, html
from flask import (
    Response,
    current_app,
    g,
    has_app_context,
    has_request_context,
    jsonify,
    make_response,
    redirect,
    request,
)
from sqlalchemy import Engine

from dashboard.parts import ids
from dashboard.parts.i18n import normalise_language, t
from dashboard.web import login_page, navigation, security
from data import audit, sessions, users
from data.access import Scope
from data.settings import (
    allowed_origins,
    cookie_secure,
    default_language,
    login_lock_minutes,
    login_max_failures,
)
from data.users import ADMINISTRATOR, SUPPORT_SCREEN_ROLES, UserInfo, may_see_cases

EXTENSION_KEY = "anning_auth"
SESSION_COOKIE = "anning_session"
#: Dash's renderer sends the value of this cookie as :data:`CSRF_HEADER` with every callback.
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
CSRF_FIELD = "csrf_token"
#: The login form's own token (there is no session yet), valid for an hour.
LOGIN_COOKIE = "anning_login"
LOGIN_TOKEN_SECONDS = 3600
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
ADMIN_PAGE = "/admin"
CALLBACK_PATH = "/_dash-update-component"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Seconds the answer "is this installation in demo mode?" is reused.
DEMO_CHECK_SECONDS = 5.0

#: Endpoints anyone may reach. ``logout`` checks its session itself.
PUBLIC_ENDPOINTS = frozenset(
    {"login", "logout", "healthz", "static", "_dash_assets.static", "/_favicon.ico"}
)
#: Dash's page endpoints: they serve the same empty shell on every path.
PAGE_ENDPOINTS = frozenset({"/", "/<path:path>"})
#: Dash's plumbing: layout skeleton, callback list, library code. No incident data.
DASH_PLUMBING = frozenset(
    {
        "/_dash-layout",
        "/_dash-dependencies",
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
        "/_reload-hash",
    }
)
#: Callback outputs of the page shell (router, language): any logged-in user.
SHELL_OUTPUTS = frozenset({ids.PAGE, ids.LANG_STORE, ids.URL, ids.ERROR_BANNER})
#: Component ids of the support units' screen (dashboard.screens.support): its roles only.
SUPPORT_ID_PREFIX = "support-"
SUPPORT_AUDIENCE = "support"
#: Component ids (and route prefix) of the administrator's page.
ADMIN_ID_PREFIX = "admin-"
ADMIN_ROUTE_PREFIX = "/admin/"

#: Checks a bearer token; returns the client's name, or None to refuse.
TokenVerifier = Callable[[str], str | None]


@dataclass
class AuthState:
    """What the gate of one app needs: its app, its database and its token routes."""

    app: Dash
    engine: Engine
    extra_origins: tuple[str, ...] = ()
    token_routes: dict[str, TokenVerifier] = field(default_factory=dict)
    _demo: bool = False
    _demo_checked: float = -math.inf
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def demo_active(self) -> bool:
        """Whether demo mode is on (re-checked every :data:`DEMO_CHECK_SECONDS`)."""
        now = time.monotonic()
        with self._lock:
            if now - self._demo_checked < DEMO_CHECK_SECONDS:
                return self._demo
        value = users.demo_mode_active(self.engine)
        with self._lock:
            self._demo, self._demo_checked = value, now
        return value


def install_auth(app: Dash, engine: Engine) -> AuthState:
    """Put the login gate, the login and logout routes and the security headers on ``app``.

    Demo users are created (demo mode) or deleted (otherwise) on the way, see
    :func:`data.users.sync_demo_users`. Call once, from :func:`dashboard.create_app`.
    """
    state = AuthState(app, engine, allowed_origins())
    state._demo, state._demo_checked = users.sync_demo_users(engine), time.monotonic()
    server = app.server
    server.extensions[EXTENSION_KEY] = state
    security.install_security(app, state.extra_origins)
    server.before_request(_gate)
    server.add_url_rule(LOGIN_PATH, "login", _login_view, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "logout", _logout_view, methods=["POST"])
    return state


def register_token_route(app: Dash, prefix: str, verify: TokenVerifier) -> None:
    """Let requests under ``prefix`` in with ``Authorization: Bearer <token>`` instead of a
    session (the hook for the 110 push API). ``verify(token)`` names the client or refuses.

    Such requests skip the session, the CSRF check and the role rules, and get no user:
    :func:`dashboard.web.scope.current_scope` gives them no incident data.
    """
    if not prefix.startswith("/") or prefix in ("/", ""):
        raise ValueError(f"token route prefix must be a path below '/', got {prefix!r}")
    app.server.extensions[EXTENSION_KEY].token_routes[prefix] = verify


def _state() -> AuthState:
    return current_app.extensions[EXTENSION_KEY]


# -- who asks -------------------------------------------------------------------------------
def current_user() -> UserInfo | None:
    """The user of the request being served, or None (anonymous, or outside a request)."""
    if not has_request_context():
        return None
    return g.get("anning_user")


def use_identity(user: UserInfo, session: sessions.ActiveSession | None = None) -> None:
    """Serve the current request as ``user`` (the gate does this after checking the session;
    tests that call page functions directly do it by hand)."""
    g.anning_user = user
    g.anning_session = session


def _identify(state: AuthState) -> UserInfo | None:
    if "anning_user" in g:
        return g.anning_user
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = sessions.resolve(state.engine, token)
    if found.status in ("idle", "expired"):
        audit.record(
            state.engine,
            found.username or "?",
            "session_end",
            detail=found.status,
            remote_addr=request.remote_addr,
        )
    if found.session is None:
        return None
    if found.session.user.demo and not state.demo_active():
        sessions.close_session(state.engine, token)
        return None
    use_identity(found.session.user, found.session)
    return found.session.user


# -- the gate ---------------------------------------------------------------------------------
def _gate() -> Response | tuple[Response, int] | None:
    """Before every request: let it through (None) or answer it."""
    state = _state()
    endpoint = request.endpoint
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    for prefix, verify in state.token_routes.items():
        if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/"):
            return _check_bearer(verify)
    user = _identify(state)
    if user is None:
        if request.method in ("GET", "HEAD") and endpoint in PAGE_ENDPOINTS:
            return redirect(_login_url(_here()))
        return jsonify(error=t("auth.required", default_language())), 401
    if request.method not in SAFE_METHODS:
        problem = _csrf_problem(state)
        if problem:
            return _deny(user, problem)
    return _authorize(state, user, endpoint)


def _here() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def _login_url(next_path: str) -> str:
    from urllib.parse import urlencode

    return f"{LOGIN_PATH}?{urlencode({'next': next_path})}"


def _check_bearer(verify: TokenVerifier) -> tuple[Response, int] | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    client = verify(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if not client:
        response = jsonify(error="a valid bearer token is required")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response, 401
    g.anning_token_client = client
    return None


def _csrf_problem(state: AuthState) -> str | None:
    """Why a state-changing request is refused, or None if it may go on."""
    if not security.same_origin(request, state.extra_origins):
        return "cross-origin request refused"
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        given = request.form.get(CSRF_FIELD)
    active = g.get("anning_session")
    if active is None or not security.tokens_match(active.csrf_token, given):
        return "missing or wrong CSRF token"
    return None


def _deny(user: UserInfo, reason: str) -> tuple[Response, int]:
    audit.record(
        _state().engine,
        user.username,
        "denied",
        target=f"{request.method} {request.path}"[:200],
        detail=reason[:500],
        remote_addr=request.remote_addr,
    )
    return jsonify(error=reason), 403


def _component_name(component_id: str) -> str:
    """The id of a component, or the ``type`` of a pattern-matching id (a JSON object)."""
    if component_id.startswith("{"):
        try:
            return str(json.loads(component_id).get("type", ""))
        except (ValueError, AttributeError):
            return ""
    return component_id


def callback_audience(output: str) -> str:
    """Who may call the callback with this ``output`` key.

    ``administrator`` for any output on the admin page, ``support`` for the support units'
    screen (:data:`~data.users.SUPPORT_SCREEN_ROLES`), ``anyone`` (logged in) when every
    output belongs to the page shell, ``cases`` (roles that see incidents) otherwise: a new
    callback is closed to the administrator unless it says otherwise.
    """
    names = [_component_name(i) for i in security.output_ids(output)]
    if any(n.startswith(ADMIN_ID_PREFIX) for n in names):
        return ADMINISTRATOR
    if any(n.startswith(SUPPORT_ID_PREFIX) for n in names):
        return SUPPORT_AUDIENCE
    if names and all(n in SHELL_OUTPUTS for n in names):
        return "anyone"
    return "cases"


def permitted(role: str | None, audience: str) -> bool:
    """Whether ``role`` belongs to ``audience`` (``anyone``, ``administrator``, ``cases``)."""
    if audience == "anyone":
        return role is not None
    if audience == ADMINISTRATOR:
        return role == ADMINISTRATOR
    if audience == SUPPORT_AUDIENCE:
        return role in SUPPORT_SCREEN_ROLES
    return may_see_cases(role)


def _authorize(state: AuthState, user: UserInfo, endpoint: str | None):
    if request.path == CALLBACK_PATH and request.method == "POST":
        try:
            output = security.check_callback_request(
                request.get_json(silent=True), state.app.callback_map
            )
        except security.CallbackRequestError as err:
            return jsonify(error=str(err)), 400
        audience = callback_audience(output)
        if not permitted(user.role, audience):
            return _deny(user, f"role {user.role} may not call {output[:120]}")
        return None
    if endpoint in PAGE_ENDPOINTS or endpoint in DASH_PLUMBING:
        return None
    audience = ADMINISTRATOR if request.path.startswith(ADMIN_ROUTE_PREFIX) else "cases"
    if not permitted(user.role, audience):
        return _deny(user, f"role {user.role} may not use {request.path[:120]}")
    return None


def page_permitted(module: ModuleType) -> bool:
    """Whether the current user may see the page ``module`` renders.

    A page module may name its roles in ``ROLES``; pages that do not are pages of incidents,
    for the roles that see them.
    """
    user = current_user()
    if user is None:
        return False
    roles = getattr(module, "ROLES", None)
    return may_see_cases(user.role) if roles is None else user.role in roles


# -- logging in and out -------------------------------------------------------------------------
def safe_next(value: object) -> str | None:
    """``value`` if it is a path on this server to return to after login; None otherwise."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return None
    if value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return None
    if value.startswith((LOGIN_PATH, LOGOUT_PATH)):
        return None
    return value


def landing(user: UserInfo, next_path: str | None = None) -> str:
    """Where ``user`` goes after logging in: ``next_path`` if their role may go there, else
    their role's own screen (:func:`dashboard.web.navigation.home_path`)."""
    if user.role == ADMINISTRATOR:
        return next_path if next_path and next_path.startswith(ADMIN_PAGE) else ADMIN_PAGE
    if next_path and next_path != "/" and not next_path.startswith(ADMIN_PAGE):
        return next_path
    # No particular destination (the bare address is one): the screen made for the role.
    return navigation.home_path(user)


def _secure() -> bool:
    mode = cookie_secure()
    return mode == "on" or (mode == "auto" and request.is_secure)


def _set_cookie(
    response: Response, name: str, value: str, http_only: bool = True, **kwargs: object
) -> None:
    response.set_cookie(
        name, value, httponly=http_only, samesite="Strict", secure=_secure(), **kwargs
    )


def _lang() -> str:
    return normalise_language(request.values.get("lang") or default_language())


def _login_page(
    state: AuthState,
    lang: str,
    next_path: str | None,
    username: str = "",
    message: str | None = None,
    kind: str = "error",
    status: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(sessions.TOKEN_BYTES)
    demo = state.demo_active()
    names: dict[str, str] = {}
    if demo:
        from dashboard.parts.services import services

        names = services().station_names(Scope(user="login"), lang)
    body = login_page.render(
        lang,
        token,
        next_path or "/",
        username,
        message,
        kind,
        users.DEMO_USERS if demo else (),
        names,
    )
    response = make_response(body, status)
    _set_cookie(response, LOGIN_COOKIE, token, path=LOGIN_PATH, max_age=LOGIN_TOKEN_SECONDS)
    return response


def _login_view() -> Response:
    state = _state()
    lang = _lang()
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        user = _identify(state)
        if user is not None:
            return redirect(landing(user, next_path))
        if request.args.get("ended"):
            return _login_page(state, lang, next_path, message=t("auth.ended", lang), kind="info")
        return _login_page(state, lang, next_path)
    if not security.same_origin(request, state.extra_origins):
        return _login_page(state, lang, next_path, message=t("auth.refused", lang), status=403)
    if not security.tokens_match(request.cookies.get(LOGIN_COOKIE), request.form.get(CSRF_FIELD)):
        return _login_page(state, lang, next_path, message=t("auth.expired", lang), status=400)
    username = request.form.get("username", "").strip()
    result = users.authenticate(
        state.engine,
        username,
        request.form.get("password", ""),
        request.remote_addr,
        demo_active=state.demo_active(),
    )
    if not result.ok:
        message = t("auth.failed", lang, n=login_max_failures(), minutes=login_lock_minutes())
        return _login_page(state, lang, next_path, username, message, status=401)
    sessions.close_session(state.engine, request.cookies.get(SESSION_COOKIE))  # no fixation
    ticket = sessions.open_session(state.engine, result.user.id, request.remote_addr)
    response = redirect(landing(result.user, next_path), code=303)
    _set_cookie(response, SESSION_COOKIE, ticket.token, path="/")
    _set_cookie(response, CSRF_COOKIE, ticket.csrf_token, http_only=False, path="/")
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
    return response


def _logout_view() -> Response | tuple[Response, int]:
    state = _state()
    user = _identify(state)
    if user is not None:
        problem = _csrf_problem(state)
        if problem:
            return _deny(user, problem)
        sessions.close_session(state.engine, request.cookies.get(SESSION_COOKIE))
        audit.record(state.engine, user.username, "logout", remote_addr=request.remote_addr)
    response = redirect(f"{LOGIN_PATH}?ended=1&lang={_lang()}", code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


# -- what every page shows ------------------------------------------------------------------------
def demo_active() -> bool:
    """Whether the app serving this request is in demo mode (False outside an app)."""
    if not has_app_context():
        return False
    state = current_app.extensions.get(EXTENSION_KEY)
    return state is not None and state.demo_active()


def demo_banner(lang: str) -> html.Div | None:
    """The banner that tells every page of a demo installation that it is one."""
    if not demo_active():
        return None
    return html.Div(
        t("demo.banner", lang), id=ids.DEMO_BANNER, className="demo-banner", role="note"
    )


def user_menu(lang: str) -> html.Div | None:
    """The logged-in user's name and role, the admin link, and the logout button."""
    user = current_user()
    if user is None:
        return None
    active = g.get("anning_session")
    role = t(f"role.{user.role}", lang)
    if user.station_code:
        from dashboard.parts.services import services

        names = services().station_names(Scope(user="menu"), lang)
        role = f"{role} · {names.get(user.station_code, user.station_code)}"
    items: list = [
        html.Span(users.display_name_in(user, lang), className="user-name"),
        html.Span(role, className="user-role"),
    ]
    if user.role == ADMINISTRATOR:
        items.append(dcc.Link(t("admin.title", lang), href=ADMIN_PAGE, className="user-link"))
    items.append(
        html.Form(
            [
                dcc.Input(
                    type="hidden", name=CSRF_FIELD, value=active.csrf_token if active else ""
                ),
                dcc.Input(type="hidden", name="lang", value=lang),
                html.Button(
                    t("auth.logout", lang), type="submit", id=ids.LOGOUT, className="logout-button"
                ),
            ],
            action=LOGOUT_PATH,
            method="post",
            className="logout-form",
        )
    )
    return html.Div(items, id=ids.USER_MENU, className="user-menu")
