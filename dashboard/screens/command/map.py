"""The wall's map: hot spots and the newest incidents on a dark background, without tiles.

Drawn by the Leaflet map of :mod:`dashboard.parts.leaflet_map` in its dark look: the
station polygons are a dark fill with light outlines and their names are written large
enough to read across a room; hot spots (Gi* classes 1–3) use the hot half of ColorBrewer's
RdBu (colour-blind safe) and the newest incidents are sky-blue Okabe–Ito dots over a halo
whose radius the page's clientside beat toggles on the canvas (``anningMap.pulse``): nothing
is rebuilt while it pulses, so a wall running all day does not grow its memory.

A click on a hot spot, a station or an incident reaches the page as the clicked feature:
its ``id`` for cells and stations, ``properties.kind``/``properties.id`` for an incident.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import polars as pl

from dashboard.parts.legends import DIVERGING_COLOURS
from dashboard.parts.map_paint import class_paint
from geo.h3cells import cell_to_str
from geo.jurisdictions import Jurisdiction

#: The wall map's key: its component ids derive from it (:mod:`dashboard.parts.leaflet_map`).
MAP_KEY = "command-map"
#: The wall's dark canvas and the station polygons on it.
BACKGROUND = "#0b1220"
STATION_FILL = "#172236"
STATION_LINE = "#4f6283"
AREA_LINE = "#8fa3c4"
TEXT = "#e6edf7"
#: Hot-spot classes 1 (90 %), 2 (95 %), 3 (99 %) in RdBu's hot half, lightest first.
HOT_COLOURS: dict[int, str] = {
    1: DIVERGING_COLOURS[2],
    2: DIVERGING_COLOURS[1],
    3: DIVERGING_COLOURS[0],
}
#: Okabe–Ito sky blue: apart from every hot-spot colour, also under colour-vision deficiency.
NEWEST_COLOUR = "#56B4E9"
#: Radius (px) of a newest incident's dot, and of its halo's two beats.
NEWEST_RADIUS = 5.5
PULSE_RADII = (7, 15)
PULSE_OPACITIES = (0.55, 0.12)
#: Web-Mercator tile size MapLibre's zoom refers to.
_TILE = 512
#: The map's size before the browser has measured it (the wall's map at 1920 × 1080).
DEFAULT_SIZE = (1200, 760)


def fit(stations: Sequence[Jurisdiction], size: tuple[int, int]) -> tuple[dict, float]:
    """Centre and zoom showing every station in a map of ``size`` pixels (width, height)."""
    if not stations:
        return {"lat": 0.0, "lon": 0.0}, 1.0
    west = min(s.boundary.bounds[0] for s in stations)
    south = min(s.boundary.bounds[1] for s in stations)
    east = max(s.boundary.bounds[2] for s in stations)
    north = max(s.boundary.bounds[3] for s in stations)

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)

    width, height = max(size[0], 100), max(size[1], 100)
    dx = max((east - west) / 360, 1e-9)
    dy = max(abs(merc(north) - merc(south)), 1e-9)
    zoom = math.log2(min(width * 0.94 / (_TILE * dx), height * 0.94 / (_TILE * dy)))
    y_mid = (merc(north) + merc(south)) / 2
    lat_mid = math.degrees(2 * math.atan(math.exp(y_mid * 2 * math.pi)) - math.pi / 2)
    return {"lat": lat_mid, "lon": (west + east) / 2}, round(min(max(zoom, 0.0), 18.0), 2)


def wall_paint(
    hot: pl.DataFrame,
    *,
    cells_url: str,
    station_names: Mapping[str, str],
    cell_station: Mapping[int, str],
    class_labels: Mapping[int, str],
    cell_hover: str,
    message: tuple[str, str] | None = None,
) -> dict:
    """The paint of the wall's hot spots.

    ``hot`` holds ``cell`` (int H3), ``count`` and ``gi_class``; rows of class 0 are left
    out. ``cell_hover`` is a tooltip template with ``{station}``, ``{cls}`` and ``{count}``
    (already in the page's language; the values are escaped). ``message`` (title, hint) says
    why there is no hot spot.
    """
    hot = hot.filter(pl.col("gi_class") > 0) if hot.height else hot
    cells = hot["cell"].to_list() if hot.height else []
    classes = [int(k) for k in hot["gi_class"].to_list()] if hot.height else []
    counts = hot["count"].to_list() if hot.height else []
    tips = [
        cell_hover.format(
            station=html.escape(station_names.get(cell_station.get(c, ""), "—")),
            cls=html.escape(class_labels[k]),
            count=n,
        )
        for c, k, n in zip(cells, classes, counts, strict=True)
    ]
    paint = class_paint(
        MAP_KEY,
        [cell_to_str(c) for c in cells],
        [k - 1 for k in classes],
        [HOT_COLOURS[1], HOT_COLOURS[2], HOT_COLOURS[3]],
        tips,
        classes,
        cells_url=cells_url,
        empty=message,
        meta={"hot": len(cells)},
        opacity=0.95,
    )
    paint["note"] = True  # the browser writes ``empty`` over the map
    return paint


def newest_points(points: pl.DataFrame, hover: Sequence[str]) -> dict:
    """GeoJSON of the newest incidents (``id``, ``lat``, ``lng``, already masked as the
    scope requires), each drawn twice: a pulsing halo beneath, a clickable dot over it."""
    features = []
    rows = points.iter_rows(named=True) if points.height else []
    for row, tip in zip(rows, hover, strict=False):
        if row["lat"] is None or row["lng"] is None:
            continue
        where = {"type": "Point", "coordinates": [float(row["lng"]), float(row["lat"])]}
        features.append(
            {
                "type": "Feature",
                "geometry": where,
                "properties": {
                    "r": PULSE_RADII[0],
                    "colour": NEWEST_COLOUR,
                    "line": NEWEST_COLOUR,
                    "halo": True,
                },
            }
        )
        features.append(
            {
                "type": "Feature",
                "geometry": where,
                "properties": {
                    "r": NEWEST_RADIUS,
                    "colour": NEWEST_COLOUR,
                    "line": BACKGROUND,
                    "tip": tip,
                    "kind": "case",
                    "id": int(row["id"]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
