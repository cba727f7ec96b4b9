"""The wall's map: hot spots and the newest incidents on a dark background, without tiles.

A pure figure function, like :mod:`dashboard.parts.figures`, but drawn for a dark wall screen: the
station polygons are a dark fill with light outlines, hot spots (Gi* classes 1–3) use the
hot half of ColorBrewer's RdBu (colour-blind safe) and the newest incidents are sky-blue
Okabe–Ito dots with a halo trace (:data:`PULSE_TRACE`) whose radius the page's clientside
callback toggles on its MapLibre layer: the figure itself never changes while it pulses,
so a wall running all day does not grow its memory.

Every clickable point carries ``customdata = [kind, id, …]``: ``["cell", hex, …]`` for a hot
spot, ``["station", code, …]`` for a station and ``["case", incident id, …]`` for an incident.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl

from dashboard.parts.figures import FONT_FAMILY, station_click_trace, station_layers
from dashboard.parts.legends import DIVERGING_COLOURS
from geo.h3cells import cell_to_str
from geo.jurisdictions import Jurisdiction

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
NEWEST_SIZE = 11
#: The halo's two states: the clientside pulse switches between them every second (sizes
#: at the default map size; the figure's ``meta.pulseSizes`` holds them scaled).
PULSE_SIZES = (14, 30)
PULSE_OPACITIES = (0.55, 0.12)

HOT_TRACE = "hotspots"
PULSE_TRACE = "pulse"
NEWEST_TRACE = "newest"
#: Web-Mercator tile size MapLibre's zoom refers to.
_TILE = 512
#: The map's size before the browser has measured it (the wall's map at 1920 × 1080).
DEFAULT_SIZE = (1200, 760)


def dark_canvas() -> dict:
    """A map layer painting the whole world in :data:`BACKGROUND`, beneath everything.

    The map keeps plotly's ``white-bg`` style (no tiles, no glyphs): a style of our own would
    be an object MapLibre keeps and changes, so plotly would take it for a new style on every
    update and rebuild the map.
    """
    world = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]],
        },
    }
    return {
        "sourcetype": "geojson",
        "source": world,
        "type": "fill",
        "color": BACKGROUND,
        "below": "traces",
    }


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


def wall_map_figure(
    hot: pl.DataFrame,
    points: pl.DataFrame,
    *,
    stations_url: str,
    cells_url: str,
    areas_url: str | None,
    stations: Sequence[Jurisdiction],
    station_names: Mapping[str, str],
    cell_station: Mapping[int, str],
    class_labels: Mapping[int, str],
    cell_hover: str,
    point_hover: Sequence[str],
    size: tuple[int, int] = DEFAULT_SIZE,
    message: tuple[str, str] | None = None,
) -> go.Figure:
    """The wall's map.

    Parameters
    ----------
    hot : polars.DataFrame
        Hot-spot cells: ``cell`` (int H3), ``count`` and ``gi_class`` (1–3); other rows are
        ignored. ``cells_url`` is the cell GeoJSON at their resolution.
    points : polars.DataFrame
        The newest incidents to pulse: ``id``, ``lat``, ``lng`` (already masked as the scope
        requires), newest first.
    stations_url, areas_url : str
        GeoJSON of the stations (feature id = code) and of the areas (None: none nest).
    station_names, cell_station : mappings
        Station code → name, and cell → station code, for the hover text.
    class_labels : mapping
        Gi* class → its words.
    cell_hover : str
        Hover template of a cell, with ``%{customdata[i]}`` fields: 2 station, 3 class words,
        4 count.
    point_hover : sequence of str
        One hover text per point (already in the page's language).
    size : (int, int)
        The map's size in pixels, to fit the stations.
    message : (title, hint), optional
        Shown over the map (why it has no hot spot).
    """
    hot = hot.filter(pl.col("gi_class") > 0) if hot.height else hot
    station_trace = station_click_trace(
        stations_url, stations, station_names, "<b>%{customdata[2]}</b><extra></extra>"
    )
    cells = hot["cell"].to_list() if hot.height else []
    classes = hot["gi_class"].to_list() if hot.height else []
    hexes = [cell_to_str(c) for c in cells]
    hot_trace = go.Choroplethmap(
        name=HOT_TRACE,
        geojson=cells_url,
        featureidkey="id",
        locations=np.asarray(hexes, dtype=object),
        z=np.asarray(classes, dtype=np.int8),
        zmin=0.5,
        zmax=3.5,
        colorscale=[
            [0.0, HOT_COLOURS[1]],
            [1 / 3, HOT_COLOURS[1]],
            [1 / 3, HOT_COLOURS[2]],
            [2 / 3, HOT_COLOURS[2]],
            [2 / 3, HOT_COLOURS[3]],
            [1.0, HOT_COLOURS[3]],
        ],
        showscale=False,
        marker={"opacity": 0.95, "line": {"width": 0.6, "color": BACKGROUND}},
        customdata=np.array(
            [
                ["cell", h, station_names.get(cell_station.get(c, ""), "—"), class_labels[k], n]
                for c, h, k, n in zip(
                    cells, hexes, classes, hot["count"].to_list() if hot.height else [], strict=True
                )
            ],
            dtype=object,
        ).reshape(len(cells), 5),
        hovertemplate=cell_hover + "<extra></extra>",
    )
    # Marker sizes are pixels: a 4K wall's map is twice as wide and its dots grow with it.
    scale = max(1.0, size[0] / DEFAULT_SIZE[0])
    pulse_sizes = [round(s * scale) for s in PULSE_SIZES]
    lat = points["lat"].to_numpy() if points.height else np.zeros(0)
    lng = points["lng"].to_numpy() if points.height else np.zeros(0)
    ids = points["id"].to_list() if points.height else []
    pulse_trace = go.Scattermap(
        name=PULSE_TRACE,
        lat=lat,
        lon=lng,
        mode="markers",
        marker={"size": pulse_sizes[0], "color": NEWEST_COLOUR, "opacity": PULSE_OPACITIES[0]},
        hoverinfo="skip",
    )
    newest_trace = go.Scattermap(
        name=NEWEST_TRACE,
        lat=lat,
        lon=lng,
        mode="markers",
        marker={"size": round(NEWEST_SIZE * scale), "color": NEWEST_COLOUR},
        customdata=[["case", i] for i in ids],
        text=list(point_hover),
        hovertemplate="%{text}<extra></extra>",
    )
    centre, zoom = fit(stations, size)
    outlines = [
        dark_canvas(),
        *station_layers(
            stations_url,
            areas_url,
            fill=STATION_FILL,
            line=STATION_LINE,
            widths=(1.0, 2.4),
            area_line=AREA_LINE,
        ),
    ]
    layout: dict = {
        "autosize": True,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "paper_bgcolor": BACKGROUND,
        "plot_bgcolor": BACKGROUND,
        "font": {"family": FONT_FAMILY, "color": TEXT, "size": 14},
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 15}},
        "map": {
            "style": "white-bg",
            "center": centre,
            "zoom": zoom,
            "layers": outlines,
        },
        "uirevision": f"wall-{size[0]}x{size[1]}",
        "clickmode": "event",
        "hovermode": "closest",
        "showlegend": False,
        "meta": {
            "hot": len(cells),
            "newest": len(ids),
            "size": list(size),
            "pulseSizes": pulse_sizes,
        },
    }
    if message is not None:
        layout["annotations"] = [
            {
                "text": f"<b>{message[0]}</b><br><span style='font-size:0.8em'>{message[1]}</span>",
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.04,
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 16, "color": TEXT},
                "bgcolor": "rgba(11,18,32,0.85)",
                "bordercolor": STATION_LINE,
                "borderpad": 10,
            }
        ]
    traces = [station_trace, hot_trace, pulse_trace, newest_trace]
    return go.Figure(data=traces, layout=layout)


def loading_figure(text: str) -> go.Figure:
    """A dark placeholder saying the map is loading."""
    return go.Figure(
        layout={
            "autosize": True,
            "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
            "paper_bgcolor": BACKGROUND,
            "plot_bgcolor": BACKGROUND,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "annotations": [
                {
                    "text": text,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "showarrow": False,
                    "font": {"family": FONT_FAMILY, "size": 18, "color": TEXT},
                }
            ],
            "meta": {"loading": True},
        }
    )
