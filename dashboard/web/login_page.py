"""The login page: plain server-rendered HTML, so it works before (and without) any script.

:func:`render` fills one Jinja template (auto-escaped) with the translated words, the
pre-session form token, the page to return to and, in demo mode, the demo users and their
password. It uses the dashboard's own style sheets and nothing from outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from flask import render_template_string

from dashboard.parts.i18n import LANGUAGES, t
from data.users import DEMO_PASSWORD, DemoUser

#: The page's Jinja template (auto-escaped by Flask's render_template_string).
_TEMPLATE = (Path(__file__).resolve().parent / "templates" / "login.html").read_text(
    encoding="utf-8"
)


def _words(lang: str) -> dict[str, str]:
    keys = {
        "app": "app.name",
        "subtitle": "app.subtitle",
        "lang_switch": "lang.switch",
        "title": "auth.title",
        "username": "auth.username",
        "password": "auth.password",
        "submit": "auth.submit",
        "policy": "auth.policy",
        "role": "auth.role",
        "station": "filter.station",
        "demo_banner": "demo.banner",
        "demo_title": "demo.users",
        "demo_password": "demo.password",
    }
    return {name: t(key, lang) for name, key in keys.items()}


def render(
    lang: str,
    form_token: str,
    next_path: str = "/",
    username: str = "",
    message: str | None = None,
    message_kind: str = "error",
    demo_users: Sequence[DemoUser] = (),
    station_names: dict[str, str] | None = None,
) -> str:
    """The login page's HTML in ``lang``.

    Parameters
    ----------
    lang : str
        ``zh`` or ``en``.
    form_token : str
        The pre-session token the form must post back (it matches a cookie).
    next_path : str
        A local path to go to after logging in (already checked by the caller).
    username : str
        Prefilled user name (after a failed attempt).
    message : str, optional
        A notice above the form; ``message_kind`` is ``error`` or ``info``.
    demo_users : sequence of DemoUser
        Listed with :data:`~data.users.DEMO_PASSWORD` when not empty (demo mode).
    station_names : dict, optional
        Station code → name, for the demo users' stations.
    """
    names = station_names or {}
    languages = [
        (code, t(f"lang.{code}", lang), "/login?" + urlencode({"lang": code, "next": next_path}))
        for code in LANGUAGES
    ]
    demo_rows = [
        {
            "username": u.username,
            "role": t(f"role.{u.role}", lang),
            "station": names.get(u.station_code, u.station_code) if u.station_code else "—",
        }
        for u in demo_users
    ]
    return render_template_string(
        _TEMPLATE,
        lang=lang,
        html_lang="zh-CN" if lang == "zh" else "en",
        words=_words(lang),
        languages=languages,
        form_token=form_token,
        next=next_path,
        username=username[:64],
        message=message,
        message_kind=message_kind,
        demo=bool(demo_users),
        demo_users=demo_rows,
        demo_password=DEMO_PASSWORD,
    )
