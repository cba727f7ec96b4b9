"""Downloads of the review: ``GET /review/export.pdf`` and ``GET /review/export.xlsx``.

Both take the review page's query string (:mod:`dashboard.screens.review.state`; ``lang`` chooses
the
language) and answer the same numbers the page shows, made on the server and offline
(:mod:`dashboard.screens.review.pdf`, :mod:`dashboard.screens.review.excel`). The login gate
(:mod:`dashboard.web.auth`) has already refused anonymous requests and the administrator; here
only the roles of the review page (:data:`dashboard.screens.review.page.ROLES`) are let through, and
every download is written to the audit trail (``export_review_pdf`` / ``export_review_xlsx``,
the period and comparison in its detail).
"""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import urlencode

import polars as pl
from flask import Blueprint, Response, jsonify, request

from dashboard.parts.filters import language_of
from dashboard.parts.i18n import t
from dashboard.parts.services import layer_now, services
from dashboard.screens.review.state import ReviewState, from_query, to_params
from dashboard.web.auth import current_user
from dashboard.web.scope import current_scope
from data import audit

__all__ = ["AUDIT_ACTIONS", "EXPORT_ROLES", "bp", "export_href"]

logger = logging.getLogger(__name__)

bp = Blueprint("review_export", __name__, url_prefix="/review")

#: Roles that may download the review (those of the review page).
EXPORT_ROLES = frozenset({"leadership", "command_center", "analyst"})
#: Audit action per format.
AUDIT_ACTIONS = {"pdf": "export_review_pdf", "xlsx": "export_review_xlsx"}
_SUFFIX = {"pdf": "pdf", "xlsx": "xlsx"}


def export_href(fmt: str, state: ReviewState, lang: str) -> str:
    """The download URL of the review ``state`` as ``fmt`` (``pdf`` or ``xlsx``)."""
    return f"/review/export.{_SUFFIX[fmt]}?" + urlencode({"lang": lang, **to_params(state)})


def _filename(state: ReviewState, fmt: str) -> str:
    period = state.period
    assert period is not None
    return f"anning-review-{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"


def _download(fmt: str) -> Response | tuple[Response, int]:
    user = current_user()
    svc, scope = services(), current_scope()
    lang = language_of("?" + request.query_string.decode("utf-8", "replace"))
    if user is None or user.role not in EXPORT_ROLES:
        audit.record(
            svc.access.engine,
            user.username if user else "anonymous",
            "denied",
            target=f"GET {request.path}",
            detail=f"role {user.role if user else None} may not export the review",
            remote_addr=request.remote_addr,
        )
        return jsonify(error=t("review.export_refused", lang)), 403
    from dashboard.screens.review.report import build_report
    from dashboard.screens.review.stations import leaf_names

    extent = svc.access.date_extent(scope)
    state = from_query("?" + request.query_string.decode("utf-8", "replace"), extent, date.today())
    try:
        report = build_report(
            svc.access, scope, state, layer_now(None, svc.access.tz), leaf_names(lang)
        )
        from dashboard.screens.review.loop import loop_figures

        loop = loop_figures(scope, state.period.start, state.period.end, lang)
        if fmt == "pdf":
            from dashboard.screens.review.pdf import MIME, build_pdf
            from dashboard.screens.review.report import build_findings
            from data.settings import review_targets

            found = build_findings(svc.access, scope, report, review_targets())
            hot_map = _hot_map(svc, scope, state.period.start, state.period.end, lang)
            body = build_pdf(report, lang, user.display_name or user.username, loop, found, hot_map)
        else:
            from dashboard.screens.review.excel import MIME, build_workbook
            from data.settings import review_targets

            body = build_workbook(
                report, lang, user.display_name or user.username, loop, review_targets()
            )
    except Exception:
        logger.exception("review export %s failed", fmt)
        return jsonify(error=t("error.callback", lang)), 500
    detail = " ".join(f"{k}={v}" for k, v in to_params(state).items())
    audit.record(
        svc.access.engine,
        user.username,
        AUDIT_ACTIONS[fmt],
        target=f"review:{state.period.start.isoformat()}..{state.period.end.isoformat()}",
        detail=f"{detail} lang={lang} bytes={len(body)}",
        remote_addr=request.remote_addr,
    )
    response = Response(body, mimetype=MIME)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(state, fmt)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export.pdf")
def export_pdf() -> Response | tuple[Response, int]:
    """The review as a PDF meeting pack."""
    return _download("pdf")


@bp.get("/export.xlsx")
def export_xlsx() -> Response | tuple[Response, int]:
    """The review as an Excel workbook."""
    return _download("xlsx")


def _hot_map(svc, scope, start, end, lang):
    """The map page's data: the leaf stations' areas with their names, and the period's hot
    spots at the wall's resolution (none when the layer cannot answer for the period)."""
    from dashboard.screens.review.map_page import MAP_RESOLUTION, MapPage
    from data.access import IncidentFilter

    stations = [
        (s.name_en if lang == "en" else s.name_zh, s.boundary)
        for s in svc.access.stations(scope)
        if getattr(s, "level", "leaf") == "leaf"
    ]
    try:
        hot = svc.layer(scope, IncidentFilter(start=start, end=end), "hotspot", {}, MAP_RESOLUTION)
    except ValueError:
        hot = pl.DataFrame()
    return MapPage(stations, hot)
