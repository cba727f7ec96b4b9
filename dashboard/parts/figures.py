"""Pure figure functions: frames and parameters in, a ``plotly.graph_objects.Figure`` out.

Nothing here reads the database, the request or the clock; callbacks fetch the frames through
:class:`data.access.CaseAccess` and pass them in. Map geometry is never embedded: the figures
refer to the static GeoJSON documents by URL (see :mod:`dashboard.parts.geometry`).

The map draws no text (MapLibre would fetch glyphs from the internet); names go in hover text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import plotly.graph_objects as go
import polars as pl

from dashboard.parts import palettes
from dashboard.parts.i18n import label, t
from data.vocab import CATEGORIES
from geo.h3cells import cell_to_str
from geo.jurisdictions import Jurisdiction

#: CJK-capable font stack for text plotly draws itself (hover, axes, legend).
FONT_FAMILY = (
    '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif'
)
FONT_COLOUR = "#1f2933"

#: The colour scales live in :mod:`dashboard.parts.palettes` (tested for colour-blind readers);
#: these names stay for the modules that import them from here.
SEQUENTIAL_SCALE: tuple[str, ...] = palettes.SEQUENTIAL
CATEGORY_COLOURS: dict[str, str] = palettes.CATEGORY
FALLBACK_COLOUR = palettes.FALLBACK

STATION_FILL = "#eceff3"
STATION_LINE = "#5b6573"
#: Outline of the selected station or cell (see :data:`dashboard.parts.palettes.SELECTION_LINE`).
SELECTION_LINE = palettes.SELECTION_LINE
TRANSPARENT = "rgba(0,0,0,0)"

#: The colour scale reaches its darkest class at this count at the least, so that a map of
#: ones does not look like a map of hotspots.
MIN_ZMAX = 5
#: Cells above this quantile of the counts share the darkest colour (their hover says how many).
TOP_QUANTILE = 0.98
#: Up to this count, axes tick every whole number (plotly would tick 0.5, 1, 1.5 …).
SMALL_COUNT = 6

#: Opacity of the hexagons, so the station borders beneath stay legible.
CELL_OPACITY = 0.8
MAP_HEIGHT = 540
TREND_HEIGHT = MAP_HEIGHT
#: Size the map's initial view is fitted for (pixels); MapLibre tiles are 512 px wide.
FIT_SIZE = (720, MAP_HEIGHT)
_TILE = 512
#: Fraction of the view left around the stations when fitting.
FIT_PADDING = 0.08

#: Trace names, also used to tell click targets apart.
STATION_TRACE = "stations"
#: Outline widths (px): flat stations; leaves and the areas over them when stations nest.
STATION_LINE_WIDTH = 1.6
LEAF_LINE_WIDTH = 0.7
AREA_LINE_WIDTH = 2.6
CELL_TRACE = "cells"
SELECTION_TRACE = "selection"

#: Hover labels of the analytic layers: dark, whatever the colour of the cell or dot.
LAYER_HOVERLABEL = {
    "bgcolor": "rgba(31,41,51,0.94)",
    "bordercolor": "#1f2933",
    "font": {"family": FONT_FAMILY, "color": "white", "size": 13},
}
#: Trace names of the point layers: the circles and the dark halo beneath them.
POINT_TRACE = "points"
HALO_TRACE = "halo"
POINT_HALO = "#3e4c59"
#: Circle diameters (px) of the point layers: one step per square root of the count.
POINT_MIN_SIZE = 9.0
POINT_SIZE_STEP = 5.0
POINT_MAX_SIZE = 34.0

#: Reasons an empty figure gives, each with a title and a hint in :mod:`dashboard.parts.i18n`.
EMPTY_REASONS: tuple[str, ...] = ("no_match", "no_data", "no_located", "no_layer_rows")


@dataclass(frozen=True)
class LayerColours:
    """What plotly colours a layer by: one number per feature, its range and colour scale."""

    z: np.ndarray
    zmin: float
    zmax: float
    colorscale: list[list]


def _mercator_y(lat: float) -> float:
    """Web-Mercator y of a latitude, 0 (north edge) to 1 (south edge)."""
    rad = math.radians(lat)
    return (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2


def _mercator_lat(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))


def fit_view(
    bbox: tuple[float, float, float, float] | None,
    size: tuple[int, int] = FIT_SIZE,
    padding: float = FIT_PADDING,
) -> tuple[dict[str, float], float]:
    """Centre ``{"lat", "lon"}`` and zoom that show ``bbox`` (west, south, east, north).

    Without a box (no stations), the view is Shenzhen at zoom 9.
    """
    if bbox is None:
        return {"lat": 22.6, "lon": 113.9}, 9.0
    west, south, east, north = bbox
    width, height = size
    dx = max((east - west) / 360.0, 1e-9)
    y_north, y_south = _mercator_y(north), _mercator_y(south)
    dy = max(abs(y_south - y_north), 1e-9)
    usable = 1 - 2 * padding
    zoom = math.log2(min(width * usable / (_TILE * dx), height * usable / (_TILE * dy)))
    centre = {"lat": _mercator_lat((y_north + y_south) / 2), "lon": (west + east) / 2}
    return centre, round(min(max(zoom, 0.0), 18.0), 2)


def _station_name(station: Jurisdiction, lang: str) -> str:
    return station.name_en if lang == "en" else station.name_zh


def station_layers(
    stations_url: str,
    areas_url: str | None,
    fill: str,
    line: str,
    widths: tuple[float, float],
    area_line: str | None = None,
) -> list[dict]:
    """The map's base layers: station polygons filled beneath the traces and outlined, and
    with ``areas_url`` (stations nest) the areas outlined on top; ``widths`` = (station line,
    area line). Shared by every map so each screen only picks its colours."""
    layers: list[dict] = [
        {
            "sourcetype": "geojson",
            "source": stations_url,
            "type": "fill",
            "color": fill,
            "below": "traces",
        },
        {
            "sourcetype": "geojson",
            "source": stations_url,
            "type": "line",
            "color": line,
            "line": {"width": widths[0]},
        },
    ]
    if areas_url:
        layers.append(
            {
                "sourcetype": "geojson",
                "source": areas_url,
                "type": "line",
                "color": area_line or line,
                "line": {"width": widths[1]},
            }
        )
    return layers


def _base_layout(lang: str, height: int) -> dict:
    return {
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "font": {"family": FONT_FAMILY, "color": FONT_COLOUR, "size": 13},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "meta": {"lang": lang},
    }


def _annotation(title: str, hint: str) -> dict:
    return {
        "text": f"<b>{title}</b><br><span style='font-size:12px'>{hint}</span>",
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "align": "center",
        "font": {"size": 15, "color": "#3e4c59"},
        "bgcolor": "rgba(255,255,255,0.92)",
        "bordercolor": "#cbd2d9",
        "borderpad": 10,
    }


def empty_figure(reason: str, lang: str, height: int = TREND_HEIGHT) -> go.Figure:
    """A figure with no data that says why: ``reason`` is one of :data:`EMPTY_REASONS`."""
    if reason not in EMPTY_REASONS:
        raise ValueError(f"'reason' should be one of {EMPTY_REASONS}, got {reason!r}")
    layout = _base_layout(lang, height)
    layout.update(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[_annotation(t(f"empty.{reason}", lang), t(f"empty.{reason}_hint", lang))],
        meta={"lang": lang, "empty": reason},
    )
    return go.Figure(layout=layout)


def map_figure(
    cell_counts: pl.DataFrame,
    res: int,
    lang: str,
    stations_url: str,
    cells_url: str,
    *,
    stations: Sequence[Jurisdiction] = (),
    areas_url: str | None = None,
    cell_station: Mapping[int, str] | None = None,
    selection: Mapping[str, str] | None = None,
    empty_reason: str | None = None,
    show_scale: bool = True,
) -> go.Figure:
    """Choropleth of incident counts per H3 cell over the station polygons, without tiles.

    Parameters
    ----------
    cell_counts : polars.DataFrame
        Columns ``cell`` (int64 H3 cell at ``res``) and ``count``, as
        :meth:`data.access.CaseAccess.cell_counts` returns them.
    res : int
        H3 resolution of the cells (shown in the figure's metadata).
    lang : str
        ``'zh'`` or ``'en'``: hover text and colour-bar title.
    stations_url, cells_url : str
        URLs of the station GeoJSON (feature id = station code) and of the cell GeoJSON at
        ``res`` (feature id = hex cell string). The browser fetches each once.
    stations : sequence of Jurisdiction
        Visible stations, for the clickable station trace (leaves), names and the fitted view.
    areas_url : str, optional
        URL of the area GeoJSON when stations nest (districts over beats): drawn as thicker
        outlines over the leaves.
    cell_station : mapping of int to str, optional
        Station code of each cell, to name the station in a cell's hover text.
    selection : mapping, optional
        ``{"kind": "cell"|"station", "id": ...}`` to outline on the map.
    empty_reason : str, optional
        If there are no counts to draw, why (one of :data:`EMPTY_REASONS`): shown over the map.
    show_scale : bool
        Draw plotly's colour bar (the overview draws its own legend beside the map instead).

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 is the transparent station trace (click target), trace 1 the cells; a third
        trace outlines the selection. Every point's ``customdata`` is ``[kind, id, name]``.
    """
    names = {s.code: _station_name(s, lang) for s in stations}
    station_trace = _station_trace(stations_url, stations, lang)
    # Arrays go in as numpy: plotly validates and serialises them without a Python loop
    # (a 3-year map at resolution 9 has ~3,000 cells).
    cells = cell_counts["cell"].to_list() if cell_counts.height else []
    counts = (
        cell_counts["count"].to_numpy().astype(np.int32)
        if cell_counts.height
        else np.zeros(0, np.int32)
    )
    top = colour_top(counts)
    clipped = counts.size > 0 and int(counts.max()) > top
    owner = cell_station or {}
    outside = t("map.outside", lang)
    hex_ids = np.array([cell_to_str(c) for c in cells], dtype=object)
    cell_customdata = np.array(
        [
            ["cell", h, names.get(owner.get(c, ""), outside)]
            for c, h in zip(cells, hex_ids, strict=True)
        ],
        dtype=object,
    ).reshape(len(cells), 3)
    cell_trace = go.Choroplethmap(
        name=CELL_TRACE,
        geojson=cells_url,
        featureidkey="id",
        locations=hex_ids,
        z=counts,
        zmin=0,
        zmax=top,
        colorscale=palettes.ramp(SEQUENTIAL_SCALE),
        marker={"opacity": CELL_OPACITY, "line": {"width": 0.4, "color": "white"}},
        showscale=show_scale,
        colorbar={
            "title": {"text": t("map.colorbar", lang), "side": "top"},
            "thickness": 12,
            "len": 0.45,
            "x": 0.99,
            "xanchor": "right",
            "y": 0.97,
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.85)",
            "outlinewidth": 0,
            **_colourbar_ticks(top, clipped),
        },
        customdata=cell_customdata,
        hovertemplate=t("map.hover_cell", lang, station="%{customdata[2]}", count="%{z}")
        + "<extra></extra>",
    )
    traces = [station_trace, cell_trace]
    if selection and selection.get("kind") in ("cell", "station") and selection.get("id"):
        is_cell = selection["kind"] == "cell"
        traces.append(_selection_trace(cells_url if is_cell else stations_url, selection["id"]))
    return go.Figure(
        data=traces,
        layout=_map_layout(lang, stations_url, stations, {"res": res}, empty_reason, areas_url),
    )


def _station_trace(
    stations_url: str, stations: Sequence[Jurisdiction], lang: str
) -> go.Choroplethmap:
    """The transparent leaf station polygons of the overview's maps."""
    names = {s.code: _station_name(s, lang) for s in stations}
    hover = t("map.hover_station", lang, station="%{customdata[2]}") + "<extra></extra>"
    return station_click_trace(stations_url, stations, names, hover)


def station_click_trace(
    stations_url: str,
    stations: Sequence[Jurisdiction],
    names: Mapping[str, str],
    hovertemplate: str,
) -> go.Choroplethmap:
    """The transparent leaf station polygons: the click target for a station's cases.

    Each point's customdata is ``["station", code, name]`` (what the click handlers read);
    ``hovertemplate`` may show the name as ``%{customdata[2]}``.
    """
    codes = [s.code for s in stations if s.level == "leaf"]
    return go.Choroplethmap(
        name=STATION_TRACE,
        geojson=stations_url,
        featureidkey="id",
        locations=codes,
        z=[0] * len(codes),
        zmin=0,
        zmax=1,
        colorscale=[[0, TRANSPARENT], [1, TRANSPARENT]],
        showscale=False,
        marker={"line": {"width": 0}},
        customdata=[["station", c, names.get(c, c)] for c in codes],
        hovertemplate=hovertemplate,
    )


def _selection_trace(url: str, feature_id: str) -> go.Choroplethmap:
    """The selected cell or station, outlined (``url`` is the GeoJSON holding it)."""
    return go.Choroplethmap(
        name=SELECTION_TRACE,
        geojson=url,
        featureidkey="id",
        locations=[feature_id],
        z=[1],
        colorscale=[[0, TRANSPARENT], [1, TRANSPARENT]],
        showscale=False,
        marker={"line": {"width": 3, "color": SELECTION_LINE}},
        hoverinfo="skip",
    )


def _map_layout(
    lang: str,
    stations_url: str,
    stations: Sequence[Jurisdiction],
    meta: Mapping[str, object],
    empty_reason: str | None,
    areas_url: str | None = None,
) -> dict:
    """The map's layout: blank background, station polygons beneath, the fitted view.

    With ``areas_url`` (stations nest) the leaves get a thin line and the areas a thick one.
    """
    centre, zoom = fit_view(_bbox(stations))
    layout = _base_layout(lang, MAP_HEIGHT)
    layout.update(
        map={
            "style": "white-bg",
            "center": centre,
            "zoom": zoom,
            "layers": station_layers(
                stations_url,
                areas_url,
                fill=STATION_FILL,
                line=STATION_LINE,
                widths=(LEAF_LINE_WIDTH if areas_url else STATION_LINE_WIDTH, AREA_LINE_WIDTH),
            ),
            "uirevision": "map",
        },
        uirevision="map",
        clickmode="event",
        hovermode="closest",
        showlegend=False,
        meta={"lang": lang, **meta, "empty": empty_reason},
    )
    if empty_reason is not None:
        if empty_reason not in EMPTY_REASONS:
            raise ValueError(
                f"'empty_reason' should be one of {EMPTY_REASONS}, got {empty_reason!r}"
            )
        layout["annotations"] = [
            _annotation(t(f"empty.{empty_reason}", lang), t(f"empty.{empty_reason}_hint", lang))
        ]
    return layout


def _hovertemplate(labels: Sequence[str], first: int, lang: str) -> str:
    """Bold station (``customdata[2]``), then one ``label: value`` line per hover column."""
    sep = "：" if lang == "zh" else ": "
    lines = ["<b>%{customdata[2]}</b>"] + [
        f"{name}{sep}%{{customdata[{first + i}]}}" for i, name in enumerate(labels)
    ]
    return "<br>".join(lines) + "<extra></extra>"


def cell_layer_figure(
    cells: Sequence[str],
    colours: LayerColours,
    lang: str,
    stations_url: str,
    cells_url: str,
    *,
    layer_id: str,
    res: int,
    cell_names: Sequence[str],
    hover_labels: Sequence[str] = (),
    hover_values: Sequence[Sequence[str]] = (),
    stations: Sequence[Jurisdiction] = (),
    areas_url: str | None = None,
    selection: tuple[str, str] | None = None,
    empty_reason: str | None = None,
) -> go.Figure:
    """Choropleth of an analytic layer's value per H3 cell, over the station polygons.

    Parameters
    ----------
    cells : sequence of str
        Hex ids of the layer's cells, all at ``res``; ``cells_url`` is the cell GeoJSON at
        that resolution.
    colours : LayerColours
        The value plotly colours each cell by, its range and colour scale (from
        :func:`dashboard.parts.legends.colour_scale`, so the map and its legend agree).
    layer_id, res : str, int
        Recorded in the figure's metadata.
    cell_names : sequence of str
        The station name shown at the top of each cell's hover text.
    hover_labels, hover_values : sequences
        Names of the hover lines and, per cell, their values (words, already formatted).
    selection : (url, id), optional
        A cell or station to outline, and the GeoJSON URL that holds it.
    empty_reason : str, optional
        Why there is nothing to draw (one of :data:`EMPTY_REASONS`).

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 the station click target, trace 1 the cells (``customdata`` is
        ``["cell", hex, station, *hover values]``), then the selection outline if any.
    """
    customdata = _cell_customdata(cells, cell_names, hover_labels, hover_values)
    cell_trace = go.Choroplethmap(
        name=CELL_TRACE,
        geojson=cells_url,
        featureidkey="id",
        locations=np.asarray(cells, dtype=object),
        z=colours.z,
        zmin=colours.zmin,
        zmax=colours.zmax,
        colorscale=colours.colorscale,
        showscale=False,
        marker={"opacity": CELL_OPACITY, "line": {"width": 0.4, "color": "white"}},
        customdata=customdata,
        hovertemplate=_hovertemplate(hover_labels, 3, lang),
        hoverlabel=LAYER_HOVERLABEL,
    )
    traces = [_station_trace(stations_url, stations, lang), cell_trace]
    if selection is not None:
        traces.append(_selection_trace(*selection))
    meta = {"res": res, "layer": layer_id}
    return go.Figure(
        data=traces, layout=_map_layout(lang, stations_url, stations, meta, empty_reason, areas_url)
    )


def _cell_customdata(
    cells: Sequence[str | None],
    names: Sequence[str],
    hover_labels: Sequence[str],
    hover_values: Sequence[Sequence[str]],
) -> np.ndarray:
    """Per-feature ``["cell", hex, name, *hover values]``: what a click and the hover read."""
    n = len(cells)
    customdata = np.empty((n, 3 + len(hover_labels)), dtype=object)
    if n:
        customdata[:, 0] = "cell"
        customdata[:, 1] = list(cells)
        customdata[:, 2] = list(names)
        if hover_labels:
            customdata[:, 3:] = np.array(hover_values, dtype=object).reshape(n, len(hover_labels))
    return customdata


def point_sizes(counts: np.ndarray) -> np.ndarray:
    """Marker diameters (px) growing with the square root of the count: 2 → 14 px, 10 → 24 px."""
    counts = np.asarray(counts, dtype=np.float64)
    return np.clip(
        POINT_MIN_SIZE + POINT_SIZE_STEP * np.sqrt(np.maximum(counts - 1, 0)), 0, POINT_MAX_SIZE
    )


def point_layer_figure(
    lat: np.ndarray,
    lng: np.ndarray,
    sizes: np.ndarray,
    colours: LayerColours,
    lang: str,
    stations_url: str,
    *,
    layer_id: str,
    cells: Sequence[str | None],
    names: Sequence[str],
    hover_labels: Sequence[str] = (),
    hover_values: Sequence[Sequence[str]] = (),
    stations: Sequence[Jurisdiction] = (),
    areas_url: str | None = None,
    selection: tuple[str, str] | None = None,
    empty_reason: str | None = None,
) -> go.Figure:
    """Circles of an analytic point layer (repeat addresses) over the station polygons.

    ``lat``/``lng`` are WGS-84 degrees, ``sizes`` diameters in pixels (:func:`point_sizes`),
    ``colours`` as for :func:`cell_layer_figure`. ``cells`` is the resolution-9 cell of each
    point: a click selects it, so the case list shows the cases there. ``names`` head each
    point's hover text. Circles are drawn over a slightly larger dark halo, so pale ones
    stay visible on the grey station fill (MapLibre circles have no outline in plotly).
    """
    customdata = _cell_customdata(cells, names, hover_labels, hover_values)
    halo = go.Scattermap(
        name=HALO_TRACE,
        lat=lat,
        lon=lng,
        mode="markers",
        marker={"size": sizes + 3, "color": POINT_HALO, "opacity": 0.9},
        hoverinfo="skip",
    )
    points = go.Scattermap(
        name=POINT_TRACE,
        lat=lat,
        lon=lng,
        mode="markers",
        marker={
            "size": sizes,
            "color": colours.z,
            "cmin": colours.zmin,
            "cmax": colours.zmax,
            "colorscale": colours.colorscale,
            "showscale": False,
            "opacity": 0.95,
        },
        customdata=customdata,
        hovertemplate=_hovertemplate(hover_labels, 3, lang),
        hoverlabel=LAYER_HOVERLABEL,
    )
    traces = [_station_trace(stations_url, stations, lang), halo, points]
    if selection is not None:
        traces.append(_selection_trace(*selection))
    meta = {"layer": layer_id}
    return go.Figure(
        data=traces, layout=_map_layout(lang, stations_url, stations, meta, empty_reason, areas_url)
    )


def stations_bbox(
    stations: Sequence[Jurisdiction],
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) around ``stations``; None without stations (for
    :func:`fit_view`)."""
    return _bbox(stations)


def _bbox(stations: Sequence[Jurisdiction]) -> tuple[float, float, float, float] | None:
    if not stations:
        return None
    west = min(s.boundary.bounds[0] for s in stations)
    south = min(s.boundary.bounds[1] for s in stations)
    east = max(s.boundary.bounds[2] for s in stations)
    north = max(s.boundary.bounds[3] for s in stations)
    return west, south, east, north


def colour_top(counts: np.ndarray) -> int:
    """The count at which the colour scale reaches its darkest class.

    The :data:`TOP_QUANTILE` of the cell counts, so that one extreme cell does not wash every
    other cell out to pale yellow, and never below :data:`MIN_ZMAX`.
    """
    if counts.size == 0:
        return MIN_ZMAX
    return max(MIN_ZMAX, math.ceil(float(np.quantile(counts, TOP_QUANTILE))))


def playback_top(week_counts: pl.DataFrame, weeks: int) -> int:
    """One colour-scale top for every position of the time slider: :func:`colour_top` of the
    per-cell counts of every window of ``weeks`` weeks in the range (``week_counts``: cell,
    week Monday, count, as :meth:`data.access.CaseAccess.cell_week_counts` gives them).
    Playback then shows a week's hexagons darker only when that week had more incidents,
    never because a quiet week stretched the scale."""
    if week_counts.is_empty():
        return MIN_ZMAX
    shifted = pl.concat(
        week_counts.with_columns(pl.col("week") + pl.duration(days=7 * k)) for k in range(weeks)
    )  # a week's count belongs to each window that ends in one of the next ``weeks`` weeks
    last = week_counts["week"].max()
    windows = (
        shifted.filter(pl.col("week") <= last).group_by("cell", "week").agg(pl.col("count").sum())
    )
    return colour_top(windows["count"].to_numpy())


def _colourbar_ticks(top: int, clipped: bool) -> dict:
    """Whole-number colour-bar ticks; the top one reads "≥ top" when counts go beyond it."""
    if not clipped:
        return _integer_ticks(top)
    middle = top // 2
    return {
        "tickmode": "array",
        "tickvals": [0, middle, top],
        "ticktext": ["0", str(middle), f"≥{top}"],
    }


def _integer_ticks(top: int) -> dict:
    """Axis settings that keep ticks on whole numbers when counts are small."""
    return {"tick0": 0, "dtick": 1} if top <= SMALL_COUNT else {}


def _stacked_max(trend: pl.DataFrame) -> int:
    return int(trend.group_by("period").agg(pl.col("count").sum())["count"].max() or 0)


def trend_figure(
    trend: pl.DataFrame,
    every: str,
    lang: str,
    *,
    empty_reason: str = "no_match",
    window: tuple[date, date] | None = None,
    clickable: bool = False,
    chosen: tuple[date, str | None] | None = None,
) -> go.Figure:
    """Incidents per day (``every='1d'``) or ISO week (``'1w'``), stacked by category.

    ``trend`` has columns ``period`` (date), ``category`` and ``count``, as
    :meth:`data.access.CaseAccess.trend` returns them. Legend entries, axis titles and date
    ticks are in ``lang``. With no incidents at all the result is :func:`empty_figure` with
    ``empty_reason``.

    ``window`` (first and last day) is shaded behind the bars: the weeks the map shows.
    ``clickable`` makes each bar its own hover and click target (the click's ``x`` is the
    period, its ``customdata`` ``[category]``) instead of one hover per period; ``chosen``
    (period, category) outlines the selected bar.
    """
    if every not in ("1d", "1w"):
        raise ValueError(f"'every' should be '1d' or '1w', got {every!r}")
    if trend.is_empty() or int(trend["count"].sum()) == 0:
        return empty_figure(empty_reason, lang)
    present = set(trend["category"].unique().to_list())
    order = [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))
    traces = []
    for category in order:
        rows = trend.filter(pl.col("category") == category).sort("period")
        name = label("category", category, lang)
        traces.append(
            go.Bar(
                name=name,
                # numpy dates and counts: ~50x faster to validate and serialise than lists
                x=rows["period"].to_numpy().astype("datetime64[D]"),
                y=rows["count"].to_numpy().astype(np.int32),
                marker={
                    "color": CATEGORY_COLOURS.get(category, FALLBACK_COLOUR),
                    **_chosen_outline(rows, category, chosen),
                },
                customdata=[[category]] * rows.height if clickable else [category] * rows.height,
                hovertemplate=(
                    t(f"map.trend_hover_{'week' if every == '1w' else 'day'}", lang, category=name)
                    if clickable
                    else t("trend.hover", lang, category=name)
                )
                + "<extra></extra>",
            )
        )
    layout = _base_layout(lang, TREND_HEIGHT)
    layout.update(
        margin={"l": 56, "r": 12, "t": 8, "b": 48},
        barmode="stack",
        bargap=0.15,
        hovermode="closest" if clickable else "x unified",
        clickmode="event" if clickable else None,
        shapes=[_window_band(window, every)] if window else [],
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "traceorder": "normal",
        },
        xaxis={
            "title": {"text": t("trend.axis_week" if every == "1w" else "trend.axis_day", lang)},
            "type": "date",
            "tickformatstops": [
                {"dtickrange": [None, "M1"], "value": t("trend.tickformat", lang)},
                {"dtickrange": ["M1", "M12"], "value": t("trend.tickformat_month", lang)},
                {"dtickrange": ["M12", None], "value": t("trend.tickformat_year", lang)},
            ],
            "hoverformat": t("trend.hoverformat", lang),
            "showgrid": False,
        },
        yaxis={
            "title": {"text": t("trend.axis_count", lang)},
            "rangemode": "tozero",
            "gridcolor": "#e4e7eb",
            **_integer_ticks(_stacked_max(trend)),
        },
        showlegend=True,
        meta={
            "lang": lang,
            "every": every,
            "window": [d.isoformat() for d in window] if window else None,
        },
    )
    return go.Figure(data=traces, layout=layout)


def _window_band(window: tuple[date, date], every: str) -> dict:
    """A grey band behind the bars from the window's first to its last day (bars are
    centred on their period's first day, so the band reaches half a period beyond)."""
    first, last = window
    half = timedelta(days=3.5 if every == "1w" else 0.5)
    if every == "1w":
        first, last = first - timedelta(days=first.weekday()), last - timedelta(days=last.weekday())
    return {
        "type": "rect",
        "xref": "x",
        "yref": "paper",
        "x0": (datetime.combine(first, time()) - half).isoformat(),
        "x1": (datetime.combine(last, time()) + half).isoformat(),
        "y0": 0,
        "y1": 1,
        "fillcolor": palettes.WINDOW_BAND,
        "line": {"width": 0},
        "layer": "below",
    }


def _chosen_outline(
    rows: pl.DataFrame, category: str, chosen: tuple[date, str | None] | None
) -> dict:
    """Marker lines outlining the chosen bar (its period, in ``category`` or in any)."""
    if chosen is None or chosen[1] not in (None, category):
        return {}
    hit = (rows["period"] == chosen[0]).to_numpy()
    if not hit.any():
        return {}
    return {
        "line": {
            "color": np.where(hit, palettes.SELECTION_LINE, "rgba(0,0,0,0)").tolist(),
            "width": np.where(hit, 2.5, 0).tolist(),
        }
    }
