"""The command-centre wall (``/command``): a dark screen for a wall nobody touches.

Tiles (today, the last 7 days, open high-risk cases, cases past a service level, warning
letters and protection orders this month, each against its comparison period), the map of
hot spots with the newest incidents pulsing, the newest incidents, and an alert ticker fed by
the early-warning layer. Numbers come from :mod:`dashboard.wall_data`, the map from
:mod:`dashboard.wall_map`.

Refreshing: everything is recomputed every ``ANNING_WALL_REFRESH_SECONDS`` (30 by default,
:func:`data.settings.wall_refresh_seconds`) and whenever the store's data version changes,
which is polled every :data:`POLL_SECONDS`, so a pushed incident shows within seconds. The
time of the last update is always shown; a clientside check (``assets/command.js``) compares
it with the browser's clock every second and raises the "data stale" banner after
:data:`STALE_INTERVALS` refresh periods without one, which also works when the server cannot
be reached at all. The same check makes the newest incidents pulse (``Plotly.restyle`` of one
trace's marker size, no new figure).

Only roles that see every station open the wall (:data:`ROLES`); a station chief gets the
forbidden page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
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

from dashboard import ids, wall_data, wall_map
from dashboard.i18n import label, t
from dashboard.pages.overview import areas_geo_url, cells_url, geo_urls
from dashboard.scope import current_scope
from dashboard.services import Services, services
from dashboard.shell import page_frame
from data.access import IncidentFilter, Scope, redact_layer
from data.settings import wall_refresh_seconds
from data.users import ANALYST, COMMAND_CENTER, LEADERSHIP
from geo.h3cells import cell_to_str
from layers import hotspot

#: The roles that see every station: the wall is theirs.
ROLES: tuple[str, ...] = (COMMAND_CENTER, LEADERSHIP, ANALYST)

#: Seconds between two looks at the data version: a push shows within this plus a refresh.
POLL_SECONDS = 3
#: Milliseconds between two beats of the pulse and two looks at the staleness.
PULSE_MS = 1000
#: Refresh periods without an update after which the wall says its data are stale.
STALE_INTERVALS = 3
#: The hot spots are those of the last this many days (local), at this resolution (~0.7 km²).
HOT_DAYS = 30
HOT_RES = 8

# -- component ids (the wall's own, prefixed) ------------------------------------------------
WALL = "command-wall"
UPDATED = "command-updated"
STALE = "command-stale"
TILES = "command-tiles"
MAP = "command-map"
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

#: The arrow beside a change (with its sign and words: never colour alone).
ARROWS = {"up": "▲", "down": "▼", "same": "＝"}


def tile_id(key: str) -> str:
    """The id of the number of tile ``key`` (tests read it)."""
    return f"command-tile-{key}"


# -- layout ---------------------------------------------------------------------------------
def layout(lang: str, search: str, **_: str) -> html.Div:
    """The wall in ``lang``, with placeholders until the first refresh fills them."""
    seconds = wall_refresh_seconds()
    config = {
        "staleMs": STALE_INTERVALS * seconds * 1000,
        "staleText": t("command.stale", lang),
        "pulseTrace": wall_map.PULSE_TRACE,
        "pulseSizes": list(wall_map.PULSE_SIZES),
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
        [_tile_placeholder(key, lang) for key in wall_data.TILE_KEYS],
        id=TILES,
        className="wall-tiles",
        **{"aria-live": "polite"},
    )
    map_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("command.map.title", lang, days=HOT_DAYS), className="wall-h2"),
                    html.Div(_legend(lang, 0), id=MAP_NOTE, className="wall-legend"),
                ],
                className="wall-card-head",
            ),
            dcc.Graph(
                id=MAP,
                figure=wall_map.loading_figure(t("command.loading", lang)),
                config={"displayModeBar": False, "responsive": True, "scrollZoom": False},
                className="wall-map-graph",
                style={"height": "100%", "width": "100%"},
            ),
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
            dcc.Graph(id=MAP),
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


def _tile_placeholder(key: str, lang: str) -> html.Div:
    return html.Div(
        [
            html.Div(t(f"command.tile.{key}", lang), className="wall-tile-label"),
            html.Div("…", id=tile_id(key), className="wall-tile-value is-loading"),
            html.Div(t("command.loading", lang), className="wall-tile-compare"),
        ],
        className="wall-tile",
    )


def _legend(lang: str, newest: int) -> list[Component]:
    """The map's key: the three hot-spot classes and the pulsing newest incidents."""
    items = [
        html.Span(
            [
                html.Span(className="wall-swatch", style={"background": wall_map.HOT_COLOURS[k]}),
                label("gi_class", hotspot.CLASS_LABELS[k], lang),
            ],
            className="wall-key",
        )
        for k in (3, 2, 1)
    ]
    items.append(
        html.Span(
            [
                html.Span(className="wall-swatch wall-dot"),
                t("command.map.newest", lang, hours=wall_data.PULSE_HOURS, n=f"{newest:,}"),
            ],
            className="wall-key",
        )
    )
    return items


# -- the pieces of one refresh ----------------------------------------------------------------
def tile_components(tiles: Sequence[wall_data.Tile], lang: str) -> list[html.Div]:
    """The tiles as components: label, number, and the change with arrow, sign and words."""
    out = []
    for tile in tiles:
        lines: list[Component] = []
        if tile.previous is not None:
            moved = wall_data.change(tile.value, tile.previous)
            shown = " ".join(
                p for p in (moved.difference, moved.percent and f"({moved.percent})") if p
            )
            vs_key = {"today": "today_vs", "week": "week_vs"}.get(tile.key, "month_vs")
            lines.append(
                html.Span(
                    [
                        html.Span(ARROWS[moved.direction], **{"aria-hidden": "true"}),
                        html.Span(
                            t(f"command.change.{moved.direction}", lang),
                            className="visually-hidden",
                        ),
                        " "
                        + (shown if moved.direction != "same" else t("command.change.same", lang)),
                    ],
                    className=f"wall-change change-{moved.direction}",
                )
            )
            lines.append(
                html.Span(
                    t(f"command.tile.{vs_key}", lang, n=f"{tile.previous:,}"), className="wall-vs"
                )
            )
        if tile.note is not None:
            lines.append(
                html.Span(
                    t(f"command.tile.{tile.key}_note", lang, n=f"{tile.note:,}"),
                    className="wall-vs",
                )
            )
        tone = (
            " tone-alert" if tile.key in ("high_risk_open", "sla_breached") and tile.value else ""
        )
        out.append(
            html.Div(
                [
                    html.Div(t(f"command.tile.{tile.key}", lang), className="wall-tile-label"),
                    html.Div(f"{tile.value:,}", id=tile_id(tile.key), className="wall-tile-value"),
                    html.Div(lines, className="wall-tile-compare"),
                ],
                className=f"wall-tile{tone}",
            )
        )
    return out


def _local_time(moment: datetime, tz: str, now: datetime) -> str:
    local = moment.astimezone(ZoneInfo(tz))
    if local.date() == now.astimezone(ZoneInfo(tz)).date():
        return local.strftime("%H:%M")
    return local.strftime("%m-%d %H:%M")


def newest_items(
    frame: pl.DataFrame, lang: str, names: Mapping[str, str], tz: str, now: datetime, why: str
) -> list[html.Li]:
    """The newest incidents as list items linking to their cases (``why`` when none)."""
    if frame.is_empty():
        return [html.Li(why, className="wall-empty")]
    items = []
    for row in frame.iter_rows(named=True):
        unit, n = wall_data.age_parts(row["reported_at"], now)
        risk = row["risk_level"]
        items.append(
            html.Li(
                dcc.Link(
                    [
                        html.Span(_local_time(row["reported_at"], tz, now), className="wall-time"),
                        html.Span(t(f"command.age.{unit}", lang, n=n), className="wall-age"),
                        html.Span(label("category", row["category"], lang), className="wall-cat"),
                        html.Span(
                            t("command.newest.risk", lang, risk=label("risk", risk, lang)),
                            className=f"wall-risk risk-{risk}",
                        ),
                        html.Span(
                            names.get(row["station_code"], row["station_code"] or "—"),
                            className="wall-station",
                        ),
                    ],
                    href=f"/case/{int(row['id'])}?lang={lang}",
                    className="wall-newest-link",
                ),
                className="wall-newest-item",
            )
        )
    return items


def _alert_href(entry: Mapping[str, object], lang: str, today: date) -> str | None:
    """Where an alert drills down to: its case, or the overview with its cell selected."""
    case = wall_data.case_target(entry)
    if case is not None:
        return f"/case/{case}?lang={lang}"
    cell = entry.get("cell")
    if isinstance(cell, int):
        return "/" + overview_query(lang, "cell:" + cell_to_str(cell), today, res=None, layer=None)
    return None


def ticker_content(
    entries: Sequence[Mapping[str, object]], lang: str, names: Mapping[str, str], today: date
) -> Component:
    """The alert ticker: the entries twice in a row, scrolling (one static line when none)."""
    if not entries:
        return html.Div(t("command.ticker.empty", lang), className="wall-ticker-static")
    sep = "、" if lang == "zh" else ", "
    items = []
    for entry in entries:
        station = names.get(str(entry["station_code"]), str(entry["station_code"] or "—"))
        reasons = sep.join(label("reason", r, lang) for r in entry["reasons"])  # type: ignore[union-attr]
        text = [
            html.B(f"{entry['rank']}. {label('ew_kind', str(entry['kind']), lang)}"),
            f" · {station} · {reasons}",
        ]
        href = _alert_href(entry, lang, today)
        body = dcc.Link(text, href=href) if href else html.Span(text)
        items.append(html.Span(body, className="wall-alert"))
    seconds = max(30, 7 * len(entries))
    return html.Div(
        [
            html.Div(items, className="wall-ticker-run"),
            html.Div(items, className="wall-ticker-run", **{"aria-hidden": "true"}),
        ],
        className="wall-ticker-track",
        style={"animationDuration": f"{seconds}s"},
    )


def overview_query(
    lang: str,
    sel: str,
    today: date,
    res: int | None = HOT_RES,
    layer: str | None = hotspot.LAYER_ID,
) -> str:
    """The overview's query string showing the cases of ``sel`` over the hot-spot window."""
    params = {
        "lang": lang,
        "start": (today - timedelta(days=HOT_DAYS - 1)).isoformat(),
        "end": today.isoformat(),
    }
    if res is not None:
        params["res"] = str(res)
    params["sel"] = sel
    if layer is not None:
        params["layer"] = layer
    return "?" + urlencode(params, safe=",:")


def hot_window(now: datetime, tz: str) -> IncidentFilter:
    """The incidents the hot spots are computed on: the last :data:`HOT_DAYS` local days."""
    today = now.astimezone(ZoneInfo(tz)).date()
    return IncidentFilter(start=today - timedelta(days=HOT_DAYS - 1), end=today)


def map_figure(
    svc: Services,
    scope: Scope,
    incidents: pl.DataFrame,
    now: datetime,
    lang: str,
    size: tuple[int, int],
) -> tuple[go.Figure, int]:
    """The wall's map and how many incidents pulse on it."""
    tz = svc.access.tz
    hot = svc.layer(scope, hot_window(now, tz), hotspot.LAYER_ID, {}, HOT_RES)
    points = wall_data.pulsing(incidents, now)
    shown = redact_layer(points.select("id", "lat", "lng"), scope.personal_details)
    names = svc.station_names(scope, lang)
    hover = [
        t(
            "command.map.hover_incident",
            lang,
            time=_local_time(row["reported_at"], tz, now),
            category=label("category", row["category"], lang),
            risk=label("risk", row["risk_level"], lang),
            station=names.get(row["station_code"], row["station_code"] or "—"),
        )
        for row in points.iter_rows(named=True)
    ]
    stations_url, _ = geo_urls(svc, scope, HOT_RES)
    significant = hot.filter(pl.col("gi_class") > 0) if hot.height else hot
    message = None
    if not significant.height:
        message = (
            t("command.map.no_hotspots", lang, days=HOT_DAYS),
            t("command.map.no_hotspots_hint", lang),
        )
    figure = wall_map.wall_map_figure(
        significant,
        shown,
        stations_url=stations_url,
        cells_url=cells_url(svc, scope, HOT_RES),
        areas_url=areas_geo_url(svc, scope),
        stations=svc.geometry.stations(scope.stations),
        station_names=names,
        cell_station=svc.geometry.cell_owner(scope.stations, HOT_RES),
        class_labels={k: label("gi_class", hotspot.CLASS_LABELS[k], lang) for k in (1, 2, 3)},
        cell_hover=t(
            "command.map.hover_cell",
            lang,
            station="%{customdata[2]}",
            cls="%{customdata[3]}",
            days=HOT_DAYS,
            count="%{customdata[4]}",
        ),
        point_hover=hover,
        size=size,
        message=message,
    )
    return figure, points.height


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

    The map is sent only when it changed (``digest``), so MapLibre is not rebuilt every
    period on a quiet day.
    """
    lang = lang or "zh"
    now = now or datetime.now(UTC)
    svc, scope = services(), current_scope()
    tz = svc.access.tz
    incidents = svc.access.incidents(scope, IncidentFilter())
    levels = svc.layer(scope, IncidentFilter(), "service_levels", {})
    tiles = wall_data.compute_tiles(incidents, levels, now, tz)
    size = _size(viewport)
    figure, pulsing = map_figure(svc, scope, incidents, now, lang, size)
    new_digest = hashlib.sha1(figure.to_json().encode("utf-8")).hexdigest()
    names = svc.station_names(scope, lang)
    why = t("command.newest.empty", lang)
    newest = newest_items(wall_data.newest(incidents), lang, names, tz, now, why)
    warnings = svc.layer(scope, IncidentFilter(), "early_warning", {})
    today = now.astimezone(ZoneInfo(tz)).date()
    ticker = ticker_content(wall_data.alerts(warnings), lang, names, today)
    local = now.astimezone(ZoneInfo(tz))
    return (
        tile_components(tiles, lang),
        no_update if new_digest == digest else figure,
        new_digest,
        _legend(lang, pulsing),
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
    click: dict | None, lang: str | None, now: datetime | None = None
) -> tuple[str, str] | tuple[NoUpdate, NoUpdate]:
    """Callback: a click on an incident opens its case; on a hot spot or a station, the
    overview with it selected (its cases listed)."""
    lang = lang or "zh"
    for point in (click or {}).get("points") or []:
        custom = point.get("customdata")
        if not isinstance(custom, list | tuple) or len(custom) < 2:
            continue
        kind, ident = custom[0], custom[1]
        if kind == "case":
            try:
                return f"/case/{int(ident)}", f"?lang={lang}"
            except (TypeError, ValueError):
                continue
        if kind in ("cell", "station") and isinstance(ident, str) and ident:
            tz = services().access.tz
            today = (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()
            if kind == "cell":
                return "/", overview_query(lang, f"cell:{ident}", today)
            return "/", overview_query(lang, f"station:{ident}", today, res=None, layer=None)
    return no_update, no_update


def register_callbacks(app: Dash) -> None:
    """Register the screen's callbacks on ``app``.

    Reads ``ANNING_WALL_REFRESH_SECONDS`` once here, so a bad value stops the server at
    start with a message naming it rather than breaking the wall later.
    """
    wall_refresh_seconds()
    app.clientside_callback(
        ClientsideFunction(namespace="command", function_name="measure"),
        Output(VIEWPORT, "data"),
        Input(CONFIG, "data"),
    )
    app.callback(
        Output(TILES, "children"),
        Output(MAP, "figure"),
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
        State(STAMP, "data"),
        State(CONFIG, "data"),
    )
    app.callback(
        Output(ids.URL, "pathname", allow_duplicate=True),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(MAP, "clickData"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(drill_down)
