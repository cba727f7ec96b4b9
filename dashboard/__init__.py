"""The Anning dashboard: a Dash app over the data-access layer, served entirely from loopback.

:func:`create_app` builds one app for one database engine: the page shell and router
(:mod:`dashboard.web.shell`), one module per page (:mod:`dashboard.pages`), and plain Flask routes
for the health check and the static map geometry. Nothing is loaded from outside: Dash's
scripts are served locally, there are no external stylesheets, fonts or map tiles.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from dash import Dash, html
from flask import Flask, Response, g, jsonify, request
from sqlalchemy import Engine

from dashboard.parts.geometry import GeoDocument
from dashboard.parts.services import install, services
from dashboard.screens import admin, case, cases
from dashboard.screens.command import page as command
from dashboard.screens.overview import page as overview
from dashboard.screens.review import export as review_export
from dashboard.screens.review import page as review
from dashboard.screens.station import export as station_export
from dashboard.screens.station import page as station
from dashboard.screens.station import patrol_sheet, visits_sheet
from dashboard.screens.support import page as support
from dashboard.web import api, basemap, push_api, push_loop, shell
from dashboard.web.auth import install_auth
from dashboard.web.scope import current_scope
from data import storage
from data.access import CaseAccess
from geo.h3cells import DISPLAY_RESOLUTIONS

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
TITLE = "安宁"
#: Browsers may reuse geometry for an hour; the figure's URLs carry a content version.
GEO_CACHE_SECONDS = 3600

#: Path patterns and the page module that renders each.
ROUTES: list[shell.Route] = [
    (re.compile(r"^/?$"), overview),
    (re.compile(r"^/case/(?P<incident_id>[^/]*)/?$"), case),
    (re.compile(r"^/cases/?$"), cases),
    (re.compile(r"^/admin/?$"), admin),
    (re.compile(r"^/command/?$"), command),
    (re.compile(r"^/review/?$"), review),
    (re.compile(r"^/station/(?P<code>[^/]*)/?$"), station),
    (re.compile(r"^/support/?$"), support),
]

INDEX_STRING = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


#: Shown until the scripts have loaded (Dash's own placeholder says "Loading..." only).
LOADING_ENTRY = (
    '<div id="react-entry-point"><div class="_dash-loading">加载中… Loading…</div></div>'
)


class _AnningDash(Dash):
    """Dash with a bilingual loading placeholder."""

    def interpolate_index(self, **kwargs: str) -> str:
        kwargs["app_entry"] = LOADING_ENTRY
        return super().interpolate_index(**kwargs)


def create_app(engine: Engine) -> Dash:
    """The dashboard for the incidents in ``engine``; serve ``app.server`` (a Flask app).

    Routes besides the pages: ``GET /healthz`` (JSON counts), ``GET /geo/stations.geojson``
    and ``GET /geo/cells/<res>.geojson`` (static map geometry, cached per process), and the
    layer API under ``/api/v1/layers`` (:mod:`dashboard.web.api`) and the push API
    ``POST /api/v1/incidents`` (:mod:`dashboard.web.push_api`).
    """
    app = _AnningDash(
        __name__,
        title=TITLE,
        update_title=None,
        serve_locally=True,
        assets_folder=str(ASSETS_DIR),
        external_stylesheets=[],
        external_scripts=[],
        index_string=INDEX_STRING,
        on_error=shell.error_handler(),
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    install(app.server, CaseAccess(engine))
    app.layout = shell.root_layout()
    app.validation_layout = html.Div(
        [
            shell.root_layout(),
            overview.validation_layout(),
            case.validation_layout(),
            cases.validation_layout(),
            admin.validation_layout(),
            command.validation_layout(),
            review.validation_layout(),
            station.validation_layout(),
            support.validation_layout(),
        ]
    )
    shell.register_router(app, ROUTES)
    for _, module in ROUTES:
        module.register_callbacks(app)
    _register_routes(app.server)
    _register_timing(app.server)
    patrol_sheet.register(app.server)  # GET /station/<code>/patrol-sheet
    visits_sheet.register(app.server)  # GET /station/<code>/visits-sheet
    basemap.register(app.server)  # GET /basemap/<z>/<x>/<y> (a local MBTiles basemap)
    station_export.register(app.server)  # GET /station/<code>/cases.<csv|xlsx>
    app.server.register_blueprint(api.bp)
    app.server.register_blueprint(review_export.bp)  # GET /review/export.pdf|.xlsx
    install_auth(app, engine)  # login for every route; security headers; demo users
    push_api.install_push_api(app, engine)  # POST /api/v1/incidents, bearer tokens
    push_loop.install_push_loop(app, engine)  # POST /api/v1/loop/..., the same tokens
    return app


def _geo_response(doc: GeoDocument) -> Response:
    """The document, gzip-compressed when the client accepts it, with caching headers."""
    if doc.gzipped and "gzip" in request.accept_encodings:
        response = Response(doc.gzipped, mimetype="application/geo+json")
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(f"{doc.etag}-gz")
    else:
        response = Response(doc.body, mimetype="application/geo+json")
        response.set_etag(doc.etag)
    response.vary.add("Accept-Encoding")
    response.cache_control.public = True
    response.cache_control.max_age = GEO_CACHE_SECONDS
    return response.make_conditional(request)


def _register_timing(server: Flask) -> None:
    """Every response says how long the server worked on it (``Server-Timing: app;dur=ms``).

    Browsers show it in their developer tools; ``benchmarks/bench_http.py`` reads it to tell
    server time from time spent queueing and on the wire.
    """

    @server.before_request
    def _start_clock() -> None:
        g.anning_started = time.perf_counter()

    @server.after_request
    def _stop_clock(response: Response) -> Response:
        started = g.get("anning_started")
        if started is not None:
            elapsed = (time.perf_counter() - started) * 1000
            response.headers.add("Server-Timing", f"app;dur={elapsed:.1f}")
        return response


def _register_routes(server: Flask) -> None:
    @server.get("/healthz")
    def healthz() -> tuple[Response, int] | Response:
        try:
            totals = services().access.totals()
            # What this worker's columnar copy holds: under gunicorn each worker keeps its
            # own snapshot, refreshed from the shared database.
            snapshot = services().access.snapshot_rows()
        except Exception as err:
            logger.error("health check failed: %s", str(err).splitlines()[0][:200])
            return jsonify(status="error", worker=os.getpid()), 503
        # Reads work; can the storage still be written? (``degraded``: it cannot just now.)
        state, reason = storage.probe(services().access.engine)
        extra = {"storage": reason} if reason else {}
        return jsonify(
            status=state,
            incidents=totals["incidents"],
            stations=totals["stations"],
            worker=os.getpid(),
            snapshot_incidents=snapshot,
            **extra,
        )

    @server.get("/geo/stations.geojson")
    def stations_geojson() -> Response:
        return _geo_response(services().geometry.stations_document(current_scope().stations))

    @server.get("/geo/areas.geojson")
    def areas_geojson() -> Response:
        return _geo_response(services().geometry.areas_document(current_scope().stations))

    @server.get("/geo/cells/<res>.geojson")
    def cells_geojson(res: str) -> tuple[Response, int] | Response:
        try:
            value = int(res)
        except ValueError:
            value = None
        if value not in DISPLAY_RESOLUTIONS:
            allowed = ", ".join(str(r) for r in DISPLAY_RESOLUTIONS)
            return jsonify(error=f"resolution must be one of {allowed}, got {res!r}"), 400
        return _geo_response(services().geometry.cells_document(current_scope().stations, value))
