"""The map every screen shows: Leaflet on a canvas (dash-leaflet), drawn without WebGL.

Chosen by measurement (``benchmarks/bench_map_engine.py``): plotly's ``Choroplethmap`` needs
WebGL and took seconds to draw and to recolour on a PC without a graphics card. Here the
station and hexagon geometry is fetched once by URL (:mod:`dashboard.parts.geometry`) and
drawn once on one canvas; what the server sends after a filter change is a *paint*
(:mod:`dashboard.parts.map_paint`): per cell a colour class and its tooltip, which
``assets/leaflet_map.js`` applies by restyling the shapes in place.

:func:`leaflet_map` builds the component; :func:`paint_callback` wires the paint store to
the browser. Every id derives from the map's ``key`` (:func:`map_ids`). Station names are
drawn on the map as text in the page's own fonts (no glyph download), with a scale bar, the
zoom buttons and a "fit" button.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dash_leaflet as dl
from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from data.settings import basemap
from geo.jurisdictions import Jurisdiction

#: Leaflet's zoom counts 256-pixel tiles (MapLibre's 512): one more for the same view.
MAX_ZOOM = 18
#: Pixels kept free around the stations when fitting the view.
FIT_PADDING_PX = 24


@dataclass(frozen=True)
class MapIds:
    """The ids of one map's parts, all derived from its key."""

    key: str

    @property
    def map(self) -> str:
        """The Leaflet map container (its ``zoom``/``center`` follow the reader)."""
        return self.key

    @property
    def cells(self) -> str:
        """The hexagon cells layer (``url`` and ``clickData``)."""
        return f"{self.key}-cells"

    @property
    def stations(self) -> str:
        """The station polygons (``clickData``)."""
        return f"{self.key}-stations"

    @property
    def places(self) -> str:
        """The place names written as the reader zooms in."""
        return f"{self.key}-places"

    @property
    def points(self) -> str:
        """The point layer (``data`` and ``clickData``)."""
        return f"{self.key}-points"

    @property
    def labels(self) -> str:
        """The station (and place) names drawn on the map."""
        return f"{self.key}-labels"

    @property
    def paint(self) -> str:
        """The store the server writes each new paint into."""
        return f"{self.key}-paint"

    @property
    def painted(self) -> str:
        """How many paints the browser applied (a counter, for tests)."""
        return f"{self.key}-painted"

    @property
    def basemap(self) -> str:
        """The basemap's tile layer (present only with ``ANNING_BASEMAP``)."""
        return f"{self.key}-basemap"

    @property
    def fit(self) -> str:
        """The "fit to my stations" button."""
        return f"{self.key}-fit"

    @property
    def fit_bounds(self) -> str:
        """The bounds the fit button flies to."""
        return f"{self.key}-fit-bounds"


def map_ids(key: str) -> MapIds:
    """The ids of the map called ``key``."""
    return MapIds(key)


@dataclass(frozen=True)
class MapLook:
    """The static colours and line widths of a map (light pages or the dark wall)."""

    station_fill: str = "#eceff3"
    station_line: str = "#5b6573"
    station_weight: float = 1.6
    station_fill_opacity: float = 1.0
    area_line: str = "#1f2933"
    area_weight: float = 2.6
    cell_line: str = "#ffffff"
    selection: str = "#000000"
    background: str = "#ffffff"
    label_class: str = "map-labels-light"


#: The wall's look: dark stations with light outlines.
DARK = MapLook(
    station_fill="#172236",
    station_line="#4f6283",
    station_weight=1.0,
    area_line="#8fa3c4",
    area_weight=2.4,
    cell_line="#0b1220",
    selection="#ffffff",
    background="#0b1220",
    label_class="map-labels-dark",
)
LIGHT = MapLook()


def station_bounds(stations: Sequence[Jurisdiction]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` around ``stations`` (Leaflet's order); None without."""
    if not stations:
        return None
    west = min(s.boundary.bounds[0] for s in stations)
    south = min(s.boundary.bounds[1] for s in stations)
    east = max(s.boundary.bounds[2] for s in stations)
    north = max(s.boundary.bounds[3] for s in stations)
    return [[south, west], [north, east]]


def initial_view(
    bounds: list[list[float]] | None, size: tuple[int, int]
) -> tuple[list[float], float]:
    """Centre ``[lat, lng]`` and zoom showing ``bounds`` in a map of ``size`` pixels.

    dash-leaflet 1.1.3 crashes on a map given ``bounds`` without a ``center``, so the map is
    always given a centre and a zoom; the fit button uses bounds once the map exists.
    """
    if bounds is None:
        return [22.6, 113.9], 10.0
    (south, west), (north, east) = bounds

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    width = max(size[0] - 2 * FIT_PADDING_PX, 100)
    height = max(size[1] - 2 * FIT_PADDING_PX, 100)
    dx = max((east - west) / 360, 1e-9)
    dy = max(abs(merc(north) - merc(south)), 1e-9)
    zoom = math.log2(min(width / (256 * dx), height / (256 * dy)))
    # Leaflet snaps to whole zooms by default; a quarter step keeps the district filling the map.
    zoom = math.floor(min(max(zoom, 1.0), MAX_ZOOM) * 4) / 4
    y_mid = (merc(north) + merc(south)) / 2
    lat_mid = math.degrees(2 * math.atan(math.exp(y_mid * 2 * math.pi)) - math.pi / 2)
    return [lat_mid, (west + east) / 2], zoom


def label_point(shape: BaseGeometry) -> Point:
    """Where a polygon's name is written: the pole of inaccessibility of its largest part
    (the point inside farthest from its edges, so the name sits in the open middle)."""
    parts = list(getattr(shape, "geoms", [shape]))
    biggest = max(parts, key=lambda g: g.area)
    if biggest.geom_type != "Polygon" or biggest.is_empty:
        return shape.representative_point()
    tolerance = max(math.sqrt(biggest.area) / 200, 1e-6)
    return polylabel(biggest, tolerance=tolerance)


#: English station names end in one of these; on a map of station areas the word is
#: redundant and makes the names twice as wide (they collide on a small district).
_EN_SUFFIXES = (" Police Station", " Station")


def map_label(name: str) -> str:
    """A station's name as written on its area: ``"Xixiang Station"`` → ``"Xixiang"``.

    Chinese names keep 派出所 (short, and how police maps name station areas); the full
    name stays in the area's tooltip.
    """
    for suffix in _EN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def station_label_features(stations: Sequence[Jurisdiction], names: Mapping[str, str]) -> dict:
    """GeoJSON points, one per station, where its name is written (inside its polygon).

    The largest station comes first: where two names would collide on the map, the browser
    keeps the earlier one in place and moves (or, failing that, hides) the later one.
    """
    features = []
    for s in sorted(stations, key=lambda s: s.boundary.area, reverse=True):
        name = names.get(s.code)
        if not name:
            continue
        point = label_point(s.boundary)
        features.append(
            {
                "type": "Feature",
                "id": s.code,
                "properties": {"name": map_label(name), "kind": "station"},
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _look_hideout(
    key: str, look: MapLook, names: Mapping[str, str], bounds: list | None = None
) -> dict:
    return {
        "key": key,
        "bounds": bounds,
        "stationFill": look.station_fill,
        "stationLine": look.station_line,
        "stationWeight": look.station_weight,
        "stationFillOpacity": look.station_fill_opacity,
        "areaLine": look.area_line,
        "areaWeight": look.area_weight,
        "cellLine": look.cell_line,
        "selection": look.selection,
        "names": dict(names),
    }


def leaflet_map(
    key: str,
    *,
    stations_url: str,
    cells_url: str,
    stations: Sequence[Jurisdiction],
    names: Mapping[str, str],
    areas_url: str | None = None,
    fit_label: str,
    look: MapLook = LIGHT,
    size: tuple[int, int] = (900, 540),
    paint: dict | None = None,
    points: dict | None = None,
    class_name: str = "",
    extra_layers: Sequence = (),
    track_view: bool = False,
    place_labels: dict | None = None,
) -> html.Div:
    """A map of ``stations`` (named on the map) with a cell layer painted from the server.

    ``stations_url``/``cells_url``/``areas_url`` are the GeoJSON documents (fetched once);
    ``names`` station code → name in the page's language; ``size`` the map's expected size in
    pixels (for the first view); ``paint`` an initial paint (else the page's callback sends
    it); ``points`` an initial point layer (GeoJSON); ``extra_layers`` more of the map's
    children (a drawing tool); ``track_view`` whether the map reports its zoom and centre
    to the page (only a page that reads them: each report is a round of Dash props, and a
    report timed after the page changed would reach a map already gone); ``place_labels``
    the place names written as the reader zooms in
    (:func:`dashboard.parts.place_labels.place_label_features`). The map's parts have the ids
    of :func:`map_ids`.
    """
    ids = map_ids(key)
    bounds = station_bounds(stations)
    centre, zoom = initial_view(bounds, size)
    hideout = _look_hideout(key, look, names, bounds)
    tiles = basemap()
    layers: list = []
    if tiles is not None:
        # The police network's tile server, or Anning's own MBTiles route (ANNING_BASEMAP);
        # under the stations and hexagons. Without it the map is tile-free.
        layers.append(
            dl.TileLayer(
                id=ids.basemap,
                url=tiles.url,
                attribution=tiles.attribution or None,
                maxZoom=MAX_ZOOM,
                className="map-basemap",
            )
        )
    layers += [
        dl.GeoJSON(
            id=ids.stations,
            url=stations_url,
            style={"variable": "anningMap.stationStyle"},
            onEachFeature={"variable": "anningMap.eachStation"},
            hideout=hideout,
            zoomToBounds=False,
            zoomToBoundsOnClick=False,
        ),
        dl.GeoJSON(
            id=ids.cells,
            url=cells_url,
            style={"variable": "anningMap.cellStyle"},
            onEachFeature={"variable": "anningMap.eachCell"},
            hideout=hideout,
            zoomToBounds=False,
            zoomToBoundsOnClick=False,
        ),
    ]
    if areas_url:
        layers.append(
            dl.GeoJSON(
                url=areas_url,
                style={"variable": "anningMap.areaStyle"},
                onEachFeature={"variable": "anningMap.eachArea"},
                hideout=hideout,
                interactive=False,
            )
        )
    layers += [
        dl.GeoJSON(
            id=ids.points,
            data=points or {"type": "FeatureCollection", "features": []},
            pointToLayer={"variable": "anningMap.point"},
            onEachFeature={"variable": "anningMap.eachPoint"},
            hideout=hideout,
        ),
        dl.GeoJSON(
            id=ids.labels,
            data=station_label_features(stations, names),
            pointToLayer={"variable": "anningMap.label"},
            hideout=hideout,
            interactive=False,
        ),
        *(
            [
                dl.GeoJSON(
                    id=ids.places,
                    data=place_labels,
                    pointToLayer={"variable": "anningMap.label"},
                    hideout=hideout,
                    interactive=False,
                )
            ]
            if place_labels and place_labels.get("features")
            else []
        ),
        dl.ScaleControl(position="bottomleft", imperial=False),
        *extra_layers,
    ]
    return html.Div(
        [
            dl.Map(
                layers,
                id=ids.map,
                center=centre,
                zoom=zoom,
                zoomSnap=0.25,
                zoomDelta=0.5,
                minZoom=5,
                maxZoom=MAX_ZOOM,
                preferCanvas=True,
                trackViewport=track_view,
                attributionControl=bool(tiles and tiles.attribution),
                className=f"leaflet-map {look.label_class}",
                style={"background": look.background},
            ),
            html.Button(
                fit_label,
                id=ids.fit,
                n_clicks=0,
                className="map-fit-button",
                title=fit_label,
                type="button",
            ),
            dcc.Store(id=ids.fit_bounds, data=bounds),
            dcc.Store(id=ids.paint, data=paint),
            dcc.Store(id=ids.painted, data=0),
        ],
        className=f"leaflet-wrap {class_name}".strip(),
    )


def register_map(app: Dash, key: str) -> None:
    """Register the browser-side callbacks of the map ``key``: paint, and the fit button.

    (The stations are fitted to the map by ``assets/leaflet_map.js`` once the map has its
    real size, and again when its size changes until the reader moves the map.)"""
    ids = map_ids(key)
    app.clientside_callback(
        ClientsideFunction("anning_leaflet", "paint"),
        Output(ids.painted, "data"),
        Input(ids.paint, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("anning_leaflet", "fit"),
        Output(ids.map, "viewport"),
        Input(ids.fit, "n_clicks"),
        State(ids.fit_bounds, "data"),
        prevent_initial_call=True,
    )
