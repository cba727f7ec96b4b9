"""The command-centre wall (``/command``): a dark screen for a wall nobody touches.

Tiles (today, the last 7 days, open high-risk cases, cases past a service level, warning
letters and protection orders this month, each against its comparison period), the map of
hot spots with the newest incidents pulsing, the newest incidents, and an alert ticker fed by
the early-warning layer. Numbers come from :mod:`measures.wall`, the map from
:mod:`dashboard.screens.command.map`, the other components from
:mod:`dashboard.screens.command.parts`.

Refreshing: everything is recomputed every ``ANNING_WALL_REFRESH_SECONDS`` (30 by default,
:func:`data.settings.wall_refresh_seconds`) and whenever the store's data version changes,
which is polled every :data:`POLL_SECONDS`, so a pushed incident shows within seconds. The
time of the last update is always shown; a clientside check (``assets/command.js``) compares
it with the browser's clock every second and raises the "data stale" banner after
:data:`STALE_INTERVALS` refresh periods without one, which also works when the server cannot
be reached at all. The same check makes the newest incidents pulse (the radius of one MapLibre
layer, no new figure).

Only roles that see every station open the wall (:data:`ROLES`); a station chief gets the
forbidden page.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import polars as pl
from dash import (
    ClientsideFunction,
    Dash,
    Input,
    NoUpdate,
    Output,
    State,
    dcc,
    html,
    no_update,
)
from dash.development.base_component import Component

from dashboard.parts import ids
from dashboard.parts.i18n import label, t
from dashboard.parts.leaflet_map import DARK, leaflet_map, map_ids, register_map
from dashboard.parts.services import Services, layer_now, services
from dashboard.screens.command import loop
from dashboard.screens.command import map as wall_map
from dashboard.screens.command import parts as wall_parts
from dashboard.web.scope import current_scope
from dashboard.web.shell import page_frame, triggered_props
from data.access import IncidentFilter, Scope, redact_layer
from data.settings import wall_refresh_seconds
from data.users import WALL_ROLES
from layers import hotspot
from measures import service
from measures import wall as wall_data

#: The roles that see every station: the wall is theirs.
ROLES = WALL_ROLES

#: Seconds between two looks at the data version: a push shows within this plus a refresh.
POLL_SECONDS = 3
#: Milliseconds between two beats of the pulse and two looks at the staleness.
PULSE_MS = 1000
#: Refresh periods without an update after which the wall says its data are stale.
STALE_INTERVALS = 3
#: The hot spots' window and resolution (see :mod:`dashboard.screens.command.parts`).
HOT_DAYS = wall_parts.HOT_DAYS
HOT_RES = wall_parts.HOT_RES

# -- component ids (the wall's own, prefixed) ------------------------------------------------
WALL = "command-wall"
UPDATED = "command-updated"
STALE = "command-stale"
TILES = "command-tiles"
MAP = wall_map.MAP_KEY
MAP_IDS = map_ids(MAP)
MAP_NOTE = "command-map-note"
NEWEST = "command-newest"
TICKER = "command-ticker"
REFRESH = "command-refresh"
POLL = "command-poll"
PULSE = "command-pulse"
VERSION = "command-version"
STAMP = "command-stamp"
CONFIG = "command-config"
VIEWPORT = "command-viewport"
DIGEST = "command-map-digest"


tile_id = wall_parts.tile_id


# -- layout ---------------------------------------------------------------------------------
def layout(lang: str, search: str, **_: str) -> html.Div:
    """The wall in ``lang``, with placeholders until the first refresh fills them."""
    seconds = wall_refresh_seconds()
    config = {
        "staleMs": STALE_INTERVALS * seconds * 1000,
        "staleText": t("command.stale", lang),
        "staleSecondsText": t("command.stale_seconds", lang),
        "pulseRadii": list(wall_map.PULSE_RADII),
        "pulseOpacities": list(wall_map.PULSE_OPACITIES),
        "mapId": MAP,
    }
    status = html.Div(
        [
            html.H1(t("command.title", lang), className="wall-title"),
            html.Span(t("command.scope_all", lang), className="wall-scope"),
            html.Span(
                t("command.updated_never", lang),
                id=UPDATED,
                className="wall-updated",
                role="status",
            ),
            html.Span(
                t("command.refresh_every", lang, seconds=seconds, poll=POLL_SECONDS),
                className="wall-refresh",
            ),
        ],
        className="wall-status",
    )
    tiles = html.Div(
        [wall_parts.tile_placeholder(key, lang) for key in wall_data.TILE_KEYS],
        id=TILES,
        className="wall-tiles",
        **{"aria-live": "polite"},
    )
    map_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("command.map.title", lang, days=HOT_DAYS), className="wall-h2"),
                    html.Div(wall_parts.legend(lang, 0), id=MAP_NOTE, className="wall-legend"),
                ],
                className="wall-card-head",
            ),
            wall_map_part(lang),
        ],
        className="wall-card wall-map",
    )
    side = html.Section(
        [
            html.H2(t("command.newest.title", lang), className="wall-h2"),
            html.Ol(
                html.Li(t("command.loading", lang), className="wall-empty"),
                id=NEWEST,
                className="wall-newest",
            ),
        ],
        className="wall-card wall-side",
    )
    ticker = html.Div(
        [
            html.Span(t("command.ticker.title", lang), className="wall-ticker-label"),
            html.Div(
                html.Div(t("command.loading", lang), className="wall-ticker-static"),
                id=TICKER,
                className="wall-ticker-window",
            ),
        ],
        className="wall-ticker",
    )
    body = html.Div(
        [
            status,
            html.Div(id=STALE, className="wall-stale", role="alert", hidden=True),
            tiles,
            loop.strip(lang, loop.linked()),  # open support requests, those past due (issue 13)
            html.Div([map_card, side], className="wall-main"),
            ticker,
            dcc.Interval(id=REFRESH, interval=seconds * 1000),
            dcc.Interval(id=POLL, interval=POLL_SECONDS * 1000),
            dcc.Interval(id=PULSE, interval=PULSE_MS),
            dcc.Store(id=VERSION),
            dcc.Store(id=STAMP),
            dcc.Store(id=CONFIG, data=config),
            dcc.Store(id=VIEWPORT),
            dcc.Store(id=DIGEST),
        ],
        id=WALL,
        className="wall",
    )
    return page_frame(lang, [body], "page-command")


def validation_layout() -> html.Div:
    """Every component the screen's callbacks name, for Dash's validation."""
    return html.Div(
        [
            html.Div(id=WALL),
            html.Span(id=UPDATED),
            html.Div(id=STALE),
            html.Div(id=TILES),
            bare_wall_map(),
            html.Div(id=MAP_NOTE),
            html.Ol(id=NEWEST),
            html.Div(id=TICKER),
            dcc.Interval(id=REFRESH),
            dcc.Interval(id=POLL),
            dcc.Interval(id=PULSE),
            dcc.Store(id=VERSION),
            dcc.Store(id=STAMP),
            dcc.Store(id=CONFIG),
            dcc.Store(id=VIEWPORT),
            dcc.Store(id=DIGEST),
        ]
    )


# -- the map -----------------------------------------------------------------------------------
def hot_window(now: datetime, tz: str) -> IncidentFilter:
    """The incidents the hot spots are computed on: the last :data:`HOT_DAYS` local days."""
    today = now.astimezone(ZoneInfo(tz)).date()
    return IncidentFilter(start=today - timedelta(days=HOT_DAYS - 1), end=today)


def wall_map_part(lang: str) -> Component:
    """The wall's map: the scope's stations named in large type on the dark canvas."""
    svc, scope = services(), current_scope()
    return leaflet_map(
        MAP,
        stations_url=_stations_url(svc, scope),
        cells_url=_cells_url(svc, scope, HOT_RES),
        areas_url=_areas_url(svc, scope),
        stations=svc.geometry.leaves(scope.stations),
        names=svc.station_names(scope, lang),
        fit_label=t("map.fit_district", lang),
        look=DARK,
        size=wall_map.DEFAULT_SIZE,
        class_name="wall-map-graph",
    )


def bare_wall_map() -> Component:
    """The wall's map without stations (for Dash's callback validation)."""
    return leaflet_map(
        MAP,
        stations_url="/geo/stations.geojson",
        cells_url="/geo/cells/8.geojson",
        stations=(),
        names={},
        fit_label="",
        look=DARK,
    )


def map_paint(
    svc: Services,
    scope: Scope,
    incidents: pl.DataFrame,
    now: datetime,
    lang: str,
) -> tuple[dict, dict, int]:
    """The wall map's paint (hot spots), its newest incidents (GeoJSON) and how many pulse."""
    tz = svc.access.tz
    hot = svc.layer(scope, hot_window(now, tz), hotspot.LAYER_ID, {}, HOT_RES)
    points = wall_data.pulsing(incidents, now)
    shown = redact_layer(points.select("id", "lat", "lng"), scope.personal_details)
    names = svc.station_names(scope, lang)
    hover = [
        t(
            "command.map.hover_incident",
            lang,
            time=wall_parts.local_time(row["reported_at"], tz, now),
            category=escape(label("category", row["category"], lang)),
            risk=escape(label("risk", row["risk_level"], lang)),
            station=escape(names.get(row["station_code"], row["station_code"] or "—")),
        )
        for row in points.iter_rows(named=True)
    ]
    significant = hot.filter(pl.col("gi_class") > 0) if hot.height else hot
    message = None
    if not significant.height:
        message = (
            t("command.map.no_hotspots", lang, days=HOT_DAYS),
            t("command.map.no_hotspots_hint", lang),
        )
    paint = wall_map.wall_paint(
        significant,
        cells_url=_cells_url(svc, scope, HOT_RES),
        station_names=names,
        cell_station=svc.geometry.cell_owner(scope.stations, HOT_RES),
        class_labels={k: label("gi_class", hotspot.CLASS_LABELS[k], lang) for k in (1, 2, 3)},
        cell_hover=t(
            "command.map.hover_cell",
            lang,
            station="{station}",
            cls="{cls}",
            days=HOT_DAYS,
            count="{count}",
        ),
        message=message,
    )
    return paint, wall_map.newest_points(shown, hover), points.height


def _stations_url(svc: Services, scope: Scope) -> str:
    """URL of the station GeoJSON, versioned by content (browsers cache it)."""
    return f"/geo/stations.geojson?v={svc.geometry.stations_document(scope.stations).etag[:12]}"


def _cells_url(svc: Services, scope: Scope, res: int) -> str:
    """URL of the cell GeoJSON at ``res``, versioned by content."""
    document = svc.geometry.cells_document(scope.stations, res)
    return f"/geo/cells/{res}.geojson?v={document.etag[:12]}"


def _areas_url(svc: Services, scope: Scope) -> str | None:
    """URL of the area GeoJSON, versioned by content; None when stations do not nest."""
    if not svc.geometry.areas(scope.stations):
        return None
    return f"/geo/areas.geojson?v={svc.geometry.areas_document(scope.stations).etag[:12]}"


# -- callbacks ---------------------------------------------------------------------------------
def refresh(
    _ticks: int | None,
    _version: int | None,
    viewport: dict | None,
    lang: str | None,
    digest: str | None,
    now: datetime | None = None,
) -> tuple:
    """Callback: recompute the whole wall (tiles, map, newest incidents, ticker, update time).

    The map's paint and dots are sent only when they changed (``digest``), so the browser
    does not restyle the map every period on a quiet day. ``viewport`` (the map's measured
    size) only triggers the first refresh: the map fits its stations itself.
    """
    lang = lang or "zh"
    now = now or datetime.now(UTC)
    svc, scope = services(), current_scope()
    tz = svc.access.tz
    incidents = svc.access.incidents(scope, IncidentFilter())
    # Judged at the same cut "now" as the review and the API, so their numbers agree.
    judged = layer_now(None, tz, now)
    levels = service.checks(incidents, svc.access.follow_up_visits(scope), judged)
    tiles = wall_data.compute_tiles(incidents, levels, judged, tz)
    paint, newest_dots, pulsing = map_paint(svc, scope, incidents, judged, lang)
    drawn = json.dumps([paint, newest_dots], sort_keys=True, ensure_ascii=False)
    new_digest = hashlib.sha1(drawn.encode("utf-8")).hexdigest()
    names = svc.station_names(scope, lang)
    why = t("command.newest.empty", lang)
    newest = wall_parts.newest_items(wall_data.newest(incidents), lang, names, tz, now, why)
    warnings = svc.layer(scope, IncidentFilter(), "early_warning", {})
    ticker = wall_parts.ticker_content(wall_data.alerts(warnings), lang, names, judged)
    local = now.astimezone(ZoneInfo(tz))
    return (
        wall_parts.tile_components(tiles, lang, judged),
        no_update if new_digest == digest else paint,
        no_update if new_digest == digest else newest_dots,
        new_digest,
        wall_parts.legend(lang, pulsing, judged, tz),
        newest,
        ticker,
        t("command.updated", lang, time=local.strftime("%Y-%m-%d %H:%M:%S")),
        int(now.timestamp() * 1000),
    )


def _size(viewport: object) -> tuple[int, int]:
    """The map's measured size (``{"w", "h"}`` from the browser), or the default."""
    if isinstance(viewport, dict):
        try:
            w, h = int(viewport.get("w", 0)), int(viewport.get("h", 0))
        except (TypeError, ValueError):
            return wall_map.DEFAULT_SIZE
        if 100 <= w <= 10_000 and 100 <= h <= 10_000:
            return w, h
    return wall_map.DEFAULT_SIZE


def poll_version(_ticks: int | None, known: int | None) -> int | NoUpdate:
    """Callback: the store's data version when it changed (one cheap query), else no update."""
    current = services().access.data_version()
    return current if current != known else no_update


def drill_down(
    cell_click: dict | None,
    station_click: dict | None,
    point_click: dict | None,
    lang: str | None,
    now: datetime | None = None,
) -> tuple[str, str] | tuple[NoUpdate, NoUpdate]:
    """Callback: a click on an incident opens its case; on a hot spot or a station, the
    overview with it selected (its cases listed). Each argument is a clicked map feature."""
    lang = lang or "zh"
    triggered = triggered_props()
    clicked = [
        (f"{MAP_IDS.points}.clickData", point_click, None),
        (f"{MAP_IDS.cells}.clickData", cell_click, "cell"),
        (f"{MAP_IDS.stations}.clickData", station_click, "station"),
    ]
    for prop, feature, kind in clicked:
        if not isinstance(feature, dict) or (triggered and prop not in triggered):
            continue
        props = feature.get("properties") or {}
        kind = kind or props.get("kind")
        ident = feature.get("id") if kind in ("cell", "station") else props.get("id")
        if kind == "case":
            try:
                return f"/case/{int(ident)}", f"?lang={lang}"
            except (TypeError, ValueError):
                continue
        if kind in ("cell", "station") and isinstance(ident, str) and ident:
            tz = services().access.tz
            today = (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()
            if kind == "cell":
                return "/", wall_parts.overview_query(lang, f"cell:{ident}", today)
            return "/", wall_parts.overview_query(
                lang, f"station:{ident}", today, res=None, layer=None
            )
    return no_update, no_update


def register_callbacks(app: Dash) -> None:
    """Register the screen's callbacks on ``app``.

    Reads ``ANNING_WALL_REFRESH_SECONDS`` once here, so a bad value stops the server at
    start with a message naming it rather than breaking the wall later.
    """
    wall_refresh_seconds()
    register_map(app, MAP)
    loop.register_callbacks(app, REFRESH)
    app.clientside_callback(
        ClientsideFunction(namespace="command", function_name="measure"),
        Output(VIEWPORT, "data"),
        Input(CONFIG, "data"),
    )
    app.callback(
        Output(TILES, "children"),
        Output(MAP_IDS.paint, "data"),
        Output(MAP_IDS.points, "data"),
        Output(DIGEST, "data"),
        Output(MAP_NOTE, "children"),
        Output(NEWEST, "children"),
        Output(TICKER, "children"),
        Output(UPDATED, "children"),
        Output(STAMP, "data"),
        Input(REFRESH, "n_intervals"),
        Input(VERSION, "data"),
        Input(VIEWPORT, "data"),
        State(ids.PAGE_LANG, "data"),
        State(DIGEST, "data"),
    )(refresh)
    app.callback(
        Output(VERSION, "data"),
        Input(POLL, "n_intervals"),
        State(VERSION, "data"),
        prevent_initial_call=True,
    )(poll_version)
    app.clientside_callback(
        ClientsideFunction(namespace="command", function_name="watch"),
        Output(STALE, "hidden"),
        Output(STALE, "children"),
        Output(WALL, "className"),
        Input(PULSE, "n_intervals"),
        Input(STAMP, "data"),  # an update clears the banner at once, not at the next beat
        State(CONFIG, "data"),
    )
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(MAP_IDS.cells, "clickData"),
        Input(MAP_IDS.stations, "clickData"),
        Input(MAP_IDS.points, "clickData"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(drill_down)
