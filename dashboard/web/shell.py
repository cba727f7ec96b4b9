"""The page shell: the root layout, the router, the header and the language switch.

Routing is explicit rather than through ``dash.register_page``: Dash Pages keeps its registry
and its callbacks in module-level globals, so a second app in the same process (the tests
build several) would lose them. Each page module offers ``layout(lang, search, **params)``,
``validation_layout()`` and ``register_callbacks(app)``.

The router re-renders the page when the path or the language changes, never when only the
query string does: filters write their state to the query string (for bookmarks, the back
link and the language switch) without re-rendering themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from types import ModuleType

from dash import Dash, Input, Output, State, ctx, dcc, html, set_props
from dash.development.base_component import Component
from dash.exceptions import MissingCallbackContextException, PreventUpdate
from flask import g, has_app_context

from dashboard.parts import ids
from dashboard.parts.filters import language_of, with_language
from dashboard.parts.i18n import LANGUAGES, t
from dashboard.web import auth, navigation
from data.settings import default_language
from data.storage import StorageError, is_storage_error

logger = logging.getLogger(__name__)


def root_layout() -> html.Div:
    """The layout served on every path; the router fills :data:`ids.PAGE`."""
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.LANG_STORE, storage_type="local"),
            html.Div(id=ids.PAGE, className="page"),
        ],
        className="shell",
    )


def header(lang: str) -> html.Header:
    """Product name, subtitle and the language switch, in ``lang``."""
    return html.Header(
        [
            html.Div(
                [
                    html.Span(t("app.name", lang), className="brand-name"),
                    html.Span(t("app.subtitle", lang), className="brand-subtitle"),
                ],
                className="brand",
            ),
            _screen_links(lang),
            html.Div(
                [
                    html.Span(t("lang.switch", lang), className="visually-hidden"),
                    dcc.RadioItems(
                        id=ids.LANG_SWITCH,
                        options=[
                            {"label": t(f"lang.{code}", lang), "value": code} for code in LANGUAGES
                        ],
                        value=lang,
                        inline=True,
                        className="lang-switch",
                        inputClassName="lang-input",
                        labelClassName="lang-option",
                    ),
                    auth.user_menu(lang),
                ],
                className="header-tools",
            ),
        ],
        id=ids.HEADER,
        className="header",
    )


def _screen_links(lang: str) -> html.Nav:
    user = auth.current_user()
    first = None
    if user is not None and user.station_code is None:
        from dashboard.parts.services import services
        from data.access import Scope

        names = services().station_names(Scope(user="menu"), lang)
        first = min(names) if names else None
    current = g.get("anning_path", "/") if has_app_context() else "/"
    return navigation.nav_bar(user, lang, current, first)


def page_frame(lang: str, body: list, page_class: str) -> html.Div:
    """Header, error banner and ``body``, tagged with the page's language."""
    return html.Div(
        [
            auth.demo_banner(lang),
            header(lang),
            dcc.Store(id=ids.PAGE_LANG, data=lang),
            html.Div(
                t("error.callback", lang),
                id=ids.ERROR_BANNER,
                className="error-banner",
                role="alert",
                hidden=True,
            ),
            html.Main(body, className=f"content {page_class}"),
        ],
        className=f"frame lang-{lang}",
        lang="zh-CN" if lang == "zh" else "en",
    )


def not_found(lang: str, search: str) -> html.Div:
    """The page for an unknown path."""
    return page_frame(
        lang,
        [
            html.Div(
                [
                    html.P(t("page.not_found", lang)),
                    dcc.Link(t("page.to_overview", lang), href="/" + (search or "")),
                ],
                className="card notice",
            )
        ],
        "page-missing",
    )


def forbidden(lang: str) -> html.Div:
    """The page for a path the user's role may not see (see :func:`auth.page_permitted`)."""
    return page_frame(
        lang,
        [html.Div(html.P(t("page.forbidden", lang)), className="card notice", role="alert")],
        "page-forbidden",
    )


Route = tuple[re.Pattern[str], ModuleType]


def register_router(app: Dash, routes: list[Route]) -> None:
    """Register the router and the language switch on ``app``."""

    @app.callback(
        Output(ids.PAGE, "children"),
        Input(ids.URL, "pathname"),
        Input(ids.LANG_STORE, "data"),
        State(ids.URL, "search"),
    )
    def route(pathname: str | None, stored_lang: str | None, search: str | None) -> Component:
        lang = language_of(search, stored_lang, default_language())
        return render(routes, pathname or "/", search or "", lang)

    @app.callback(
        Output(ids.LANG_STORE, "data"),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.LANG_SWITCH, "value"),
        State(ids.URL, "search"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )
    def switch_language(lang: str | None, search: str | None, shown: str | None) -> tuple[str, str]:
        # The switch reports its value when it is mounted, too: only a change counts.
        chosen = language_of(f"?lang={lang}" if lang else "")
        if chosen == shown:
            raise PreventUpdate
        return chosen, with_language(search, chosen)


def render(routes: list[Route], pathname: str, search: str, lang: str) -> Component:
    """The page for ``pathname``; a translated error page if building it fails."""
    if has_app_context():  # the header marks the screen being shown
        g.anning_path = pathname
    for pattern, module in routes:
        match = pattern.match(pathname)
        if match:
            if not auth.page_permitted(module):
                return forbidden(lang)
            try:
                return module.layout(lang, search, **match.groupdict())
            except Exception:
                logger.exception("rendering %s failed", pathname)
                return page_frame(
                    lang,
                    [html.Div(t("error.callback", lang), className="card notice", role="alert")],
                    "page-error",
                )
    return not_found(lang, search)


def triggered_props() -> set[str]:
    """``component.prop`` of the inputs that fired the running callback (empty outside one)."""
    try:
        return {item["prop_id"] for item in ctx.triggered or ()}
    except MissingCallbackContextException:
        return set()


def error_handler() -> Callable[[Exception], None]:
    """The app's callback error handler: log the error, show the translated banner.

    Users never see a stack trace: the outputs of the failed callback stay as they were.
    """

    def on_error(err: Exception) -> None:
        if isinstance(err, StorageError) or is_storage_error(err):
            # Not a bug: the storage refuses writes (data.storage logs the outage once).
            logger.error("callback refused: the database cannot be written: %s", err)
        else:
            logger.error("callback failed: %r", err, exc_info=err)
        set_props(ids.ERROR_BANNER, {"hidden": False})

    return on_error
