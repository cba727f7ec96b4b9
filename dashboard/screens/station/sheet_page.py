"""The frame of the station's printable pages (patrol sheet, visits this week): a plain
HTML response with the station style sheet, never cached, and the notice shown instead of a
sheet (forbidden, unknown station, bad parameter)."""

from __future__ import annotations

from html import escape

from flask import Response

from dashboard.parts.i18n import t
from dashboard.parts.services import Services
from dashboard.screens.station.access import FORBIDDEN, OK, station_access
from data.access import Scope


def page(body: str, status: int) -> Response:
    """``body`` (a whole HTML page) as a response that no cache keeps: it names households."""
    response = Response(body, status=status, mimetype="text/html")
    response.charset = "utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response


def notice(lang: str, key: str, status: int) -> Response:
    """A page with one message, ``t(key, lang)``, and the HTTP ``status``."""
    text = escape(t(key, lang))
    return page(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{text}</title>'
        '<link rel="stylesheet" href="/assets/station.css"></head>'
        f'<body class="patrol-sheet-body"><p class="sheet-empty" role="alert">{text}</p>'
        "</body></html>",
        status,
    )


def refusal(svc: Services, scope: Scope, code: str, lang: str) -> Response | None:
    """The page shown instead of station ``code``'s sheet when ``scope`` may not have it (403)
    or there is no such station (404); None when the sheet may be printed."""
    verdict = station_access(svc.access, scope, code)
    if verdict == OK:
        return None
    forbidden = verdict == FORBIDDEN
    return notice(
        lang, "page.forbidden" if forbidden else "station.not_found", 403 if forbidden else 404
    )
