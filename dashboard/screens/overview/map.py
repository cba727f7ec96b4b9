"""The overview map: the chosen layer over the filtered incidents, painted by the pure
functions of :mod:`dashboard.parts.map_paint`, with its legend (:mod:`dashboard.parts.legends`).

:func:`draw_map` is what the overview's map callback calls once it has parsed the controls
into an :class:`~dashboard.parts.filters.OverviewState` (whose ``incident_filter`` already carries
the time slider's window and whose resolution already follows the zoom). Geometry travels by
URL (:mod:`dashboard.parts.geometry`), versioned by content so browser caches stay correct;
the answer is a paint for the Leaflet map of :mod:`dashboard.parts.leaflet_map`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import dash_leaflet as dl
import numpy as np
import polars as pl
from dash import html
from dash.development.base_component import Component

from dashboard.parts import palettes
from dashboard.parts.figures import EMPTY_REASONS, colour_top, point_sizes
from dashboard.parts.filters import DEFAULT_LAYER, OverviewState
from dashboard.parts.i18n import t
from dashboard.parts.layer_views import hover_text, point_cells, with_station
from dashboard.parts.leaflet_map import leaflet_map
from dashboard.parts.legends import accuracy_note, build_legend, colour_scale, legend_component
from dashboard.parts.map_paint import (
    OVERLAY_OUTLINE,
    cell_paint,
    colours_of,
    outline_overlay,
    place_lines,
    point_features,
    tooltip,
)
from dashboard.parts.place_labels import place_label_features
from dashboard.parts.services import Services
from data.access import IncidentFilter, Scope
from geo import areas
from geo.h3cells import cell_resolution, cell_to_str
from layers.emerging_hotspot import CATEGORIES as REGISTRY_CATEGORIES
from layers.refusal import LayerRefusedError
from layers.registry import REGISTRY

#: The overview map's key: its component ids derive from it (:mod:`dashboard.parts.leaflet_map`).
MAP_KEY = "map"
#: The overview map's size on a 1440-pixel-wide screen (for the first view).
MAP_SIZE = (720, 540)


def overview_map_part(svc: Services, scope: Scope, res: int, lang: str) -> Component:
    """The overview's map: the scope's stations, named, and the hexagons at ``res``."""
    stations_url, cells = geo_urls(svc, scope, res)
    fit = "map.fit_station" if scope.stations is not None else "map.fit_district"
    stations = svc.geometry.leaves(scope.stations)
    return leaflet_map(
        MAP_KEY,
        stations_url=stations_url,
        cells_url=cells,
        areas_url=areas_geo_url(svc, scope),
        place_labels=place_label_features(svc.places().places, lang, stations),
        stations=stations,
        names=svc.station_names(scope, lang),
        fit_label=t(fit, lang),
        size=MAP_SIZE,
        class_name="map-graph",
        extra_layers=[draw_tool()],
        track_view=True,  # the hexagon size follows its zoom
    )


#: The overview map's drawing tool (a circle or a polygon: the area of a report).
DRAW = "map-draw"


def draw_tool() -> Component:
    """Leaflet.draw's toolbar: a circle (its radius in metres) or a polygon, one at a time."""
    return dl.FeatureGroup(
        dl.EditControl(
            id=DRAW,
            position="topleft",
            draw={
                "polyline": False,
                "marker": False,
                "circlemarker": False,
                "rectangle": False,
                "polygon": {"allowIntersection": False, "showArea": False},
                "circle": {"metric": True, "feet": False},
            },
            edit={"edit": False, "remove": True},
        )
    )


def drawn_areas(geojson: object) -> list[str]:
    """Every area drawn with :func:`draw_tool` and still on the map, in drawing order, as
    :mod:`geo.areas` text (shapes that are not an area are left out)."""
    features = geojson.get("features") if isinstance(geojson, dict) else None
    if not isinstance(features, list):
        return []
    return [a for a in (_feature_area(f) for f in features) if a is not None]


def _feature_area(feature: object) -> str | None:
    """One drawn shape as :mod:`geo.areas` text: a circle comes as a point with ``_mRadius``
    (metres; ``_radius`` is in screen pixels), a polygon as its ring."""
    if not isinstance(feature, dict):
        return None
    geometry, props = feature.get("geometry") or {}, feature.get("properties") or {}
    coords = geometry.get("coordinates")
    try:
        if props.get("type") == "circle" and geometry.get("type") == "Point":
            text = f"circle:{float(coords[0])},{float(coords[1])},{float(props['_mRadius'])}"
        elif geometry.get("type") == "Polygon":
            ring = coords[0][:-1] if coords[0][0] == coords[0][-1] else coords[0]
            text = "poly:" + ";".join(f"{float(x)} {float(y)}" for x, y in ring)
        else:
            return None
        return areas.parse(text).text()
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def bare_map(lang: str) -> Component:
    """The map without stations (for Dash's callback validation)."""
    return leaflet_map(
        MAP_KEY,
        stations_url="/geo/stations.geojson",
        cells_url="/geo/cells/8.geojson",
        stations=(),
        names={},
        fit_label=t("map.fit_district", lang),
        track_view=True,
    )


@dataclass(frozen=True)
class MapAnswer:
    """What the overview's map callback sends: the paint, the cell geometry it refers to,
    the point layer (GeoJSON) and the legend."""

    paint: dict
    cells_url: str
    points: dict
    legend: Component


def draw_map(svc: Services, scope: Scope, state: OverviewState, lang: str) -> MapAnswer:
    """The map of ``state``'s layer over its incidents, with its overlay when one is chosen
    (:func:`with_overlay`), and the legends."""
    main = layer_map(svc, scope, state, lang)
    if state.overlay is None:
        return MapAnswer(
            {**main.paint, "opacity": state.opacity[0] / 100},
            main.cells_url,
            faded(main.points, state.opacity[0]),
            main.legend,
        )
    return with_overlay(svc, scope, state, lang, main)


def layer_map(
    svc: Services, scope: Scope, state: OverviewState, lang: str, *, findings: bool = False
) -> MapAnswer:
    """The map of ``state``'s layer alone; with ``findings`` only the cells the layer finds
    (:func:`finding_rows`: what an overlay outlines)."""
    if state.layer.id == DEFAULT_LAYER:
        return counts_map(svc, scope, state, lang)
    flt = state.incident_filter()
    spec = state.layer.spec
    try:
        frame = svc.layer(scope, flt, spec.id, state.layer.values(), state.filters.res)
    except ValueError as err:
        # The layer refused this range (e.g. a window longer than the history): an empty
        # map, and the layer's reason under the legend.
        frame = pl.DataFrame(schema={"cell": pl.Int64, spec.value_column: pl.String})
        refusal = t("layer.refused", lang, reason=refusal_reason(err, lang))
        refused: Component | None = html.Div(refusal, className="legend-note layer-refused")
    else:
        refused = None
    if findings:
        frame = finding_rows(spec.id, frame)
    selected = state.selection.to_data() if state.selection else None
    empty = layer_empty_reason(svc, scope, flt, frame)
    if spec.geometry == "points":
        answer = points_map(frame, spec.id, lang, svc, scope, selected, empty, state.filters.res)
    else:
        answer = cells_map(
            frame, spec.id, lang, svc, scope, selected, empty, state.filters.res, findings
        )
    legend = legend_component(build_legend(spec, frame, lang))
    if refused is not None:
        return MapAnswer(answer.paint, answer.cells_url, answer.points, html.Div([legend, refused]))
    if spec.id == "patrol_plan":
        # The plan's own track record, beside the plan: what the chief reads before trusting it.
        values = state.layer.values()
        tested = {k: values[k] for k in ("method", "budget_share", "train_weeks")}
        panel = svc.layer(scope, flt, "patrol_accuracy", tested, state.filters.res)
        legend = html.Div([legend, accuracy_note(panel, lang)])
    return MapAnswer(answer.paint, answer.cells_url, answer.points, legend)


#: What a layer drawn as an overlay's outlines keeps: the hexagons that are its finding (hot
#: spots and emerging hot spots; every cell of a near-repeat zone or of a patrol plan).
OVERLAY_FINDINGS: dict[str, tuple[str, frozenset[str]]] = {
    "hotspot": ("label", frozenset({"hot_99", "hot_95", "hot_90"})),
    "emerging_hotspot": (
        "category",
        frozenset(c for c in REGISTRY_CATEGORIES if c.endswith("_hotspot")),
    ),
}


def finding_rows(layer_id: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a cell layer's result an overlay outlines (:data:`OVERLAY_FINDINGS`;
    every row of a layer not listed there)."""
    rule = OVERLAY_FINDINGS.get(layer_id)
    if rule is None or not frame.height:
        return frame
    column, kept = rule
    return frame.filter(pl.col(column).is_in(sorted(kept)))


def with_overlay(
    svc: Services, scope: Scope, state: OverviewState, lang: str, main: MapAnswer
) -> MapAnswer:
    """``main`` (the map layer's answer) with ``state``'s overlay drawn with it.

    A point layer goes over the cells; a cell layer under the points of a point layer; over
    another cell layer, the overlay's finding cells are outlined in one blue
    (:data:`~dashboard.parts.map_paint.OVERLAY_OUTLINE`) on the first layer's fill, both at
    the first layer's hexagon size, or at the overlay's when the overlay has a fixed size
    (the resolution-9 patrol plan and near-repeat zones). Each layer has its opacity, and
    the legend shows both.
    """
    assert state.overlay is not None
    over_state = replace(state, layer=state.overlay, overlay=None)
    main_op, over_op = state.opacity
    both_cells = state.layer.spec.geometry == "cells" and state.overlay.spec.geometry == "cells"
    if both_cells:
        res = main.paint["meta"].get("res", state.filters.res)
        over = layer_map(svc, scope, _at(over_state, res), lang, findings=True)
        over_res = over.paint["meta"].get("res", res)
        if over_res != res:  # the overlay has a fixed hexagon size: the first layer follows
            main = layer_map(svc, scope, _at(state, over_res), lang)
        # one outline colour that stands out on any fill (the overlay's own palette would
        # vanish on a fill of the same hues); its values are in the tooltip
        found = {h: (0, entry[1]) for h, entry in over.paint["cells"].items()}
        paint = {
            **main.paint,
            "opacity": main_op / 100,
            "overlay": outline_overlay(found, [OVERLAY_OUTLINE], over_op / 100),
        }
        if paint.get("empty") and found:
            paint["empty"] = None  # the overlay has something to show
        points = NO_POINTS
    else:
        over = layer_map(svc, scope, over_state, lang)
        if state.layer.spec.geometry == "points":  # the overlay's cells go under the points
            cells, dots, cells_op, dots_op = over, main, over_op, main_op
        else:
            cells, dots, cells_op, dots_op = main, over, main_op, over_op
        paint = {**cells.paint, "opacity": cells_op / 100}
        if paint.get("empty") and not dots.paint.get("empty"):
            paint["empty"] = None  # the other layer has something to show
        points = faded(dots.points, dots_op)
        main = MapAnswer(paint, cells.cells_url, points, main.legend)
    meta = {**main.paint["meta"], "layer": state.layer.id, "overlay": state.overlay.id}
    if both_cells:
        meta["overlay_cells"] = len(paint["overlay"]["cells"])
    paint["meta"] = meta
    name = t(f"layer.{state.overlay.id}", lang)
    if both_cells:
        title = [
            html.Span(className="legend-outline", style={"borderColor": OVERLAY_OUTLINE}),
            t("map.overlay_legend_outline", lang, layer=name, cells=meta["overlay_cells"]),
        ]
        second = html.Div(html.Div(title, className="overlay-legend-title"))
    else:
        title = [t("map.overlay_legend", lang, layer=name)]
        second = html.Div([html.Div(title, className="overlay-legend-title"), over.legend])
    legend = html.Div([main.legend, html.Div(second, className="overlay-legend")])
    return MapAnswer(paint, main.cells_url, points, legend)


def _at(state: OverviewState, res: int) -> OverviewState:
    """``state`` at hexagon resolution ``res``."""
    return replace(state, filters=replace(state.filters, res=res))


def faded(points: dict, opacity: int) -> dict:
    """A point layer's GeoJSON with every point drawn at ``opacity`` percent."""
    if not points.get("features"):
        return points
    return {
        **points,
        "features": [
            {**f, "properties": {**f["properties"], "opacity": opacity / 100}}
            for f in points["features"]
        ],
    }


def empty_words(reason: str | None, lang: str) -> tuple[str, str] | None:
    """The title and hint shown over an empty map (None when it is not empty)."""
    if reason is None:
        return None
    if reason not in EMPTY_REASONS:
        raise ValueError(f"'empty_reason' should be one of {EMPTY_REASONS}, got {reason!r}")
    return t(f"empty.{reason}", lang), t(f"empty.{reason}_hint", lang)


def refusal_reason(err: ValueError, lang: str) -> str:
    """Why a layer refused its range, in ``lang`` when the layer keyed its reason."""
    if isinstance(err, LayerRefusedError):
        return t(err.key, lang, **err.values)
    return str(err.args[0] if err.args else err)


def empty_reason(svc: Services, scope: Scope, flt: IncidentFilter) -> str:
    """Why a view of ``flt`` has nothing to draw (a
    :data:`~dashboard.parts.figures.EMPTY_REASONS`)."""
    if svc.access.incidents(scope, flt, ["id"]).height:
        return "no_located"
    if svc.access.date_extent(scope) is None:
        return "no_data"
    return "no_match"


def geo_urls(svc: Services, scope: Scope, res: int) -> tuple[str, str]:
    """URLs of the station and cell GeoJSON, versioned by content so caches stay correct."""
    stations = svc.geometry.stations_document(scope.stations)
    cells = svc.geometry.cells_document(scope.stations, res)
    return (
        f"/geo/stations.geojson?v={stations.etag[:12]}",
        f"/geo/cells/{res}.geojson?v={cells.etag[:12]}",
    )


def areas_geo_url(svc: Services, scope: Scope) -> str | None:
    """URL of the area GeoJSON, versioned by content; None when stations do not nest."""
    if not svc.geometry.areas(scope.stations):
        return None
    return f"/geo/areas.geojson?v={svc.geometry.areas_document(scope.stations).etag[:12]}"


def cells_url(svc: Services, scope: Scope, res: int) -> str:
    """URL of the cell GeoJSON at ``res``, versioned by content."""
    return (
        f"/geo/cells/{res}.geojson?v={svc.geometry.cells_document(scope.stations, res).etag[:12]}"
    )


NO_POINTS: dict = {"type": "FeatureCollection", "features": []}


def cells_map(
    frame: pl.DataFrame,
    layer_id: str,
    lang: str,
    svc: Services,
    scope: Scope,
    selected: dict | None,
    empty: str | None,
    res: int,
    overlay: bool = False,
) -> MapAnswer:
    """A cell layer: its value per hexagon, at the resolution of its cells (patrol plans and
    near-repeat zones are always resolution 9; the others follow the chosen ``res``). As an
    ``overlay`` each tooltip holds only the layer's own lines under its name (the station
    and the place are the first layer's)."""
    spec = REGISTRY[layer_id]
    frame, layer_res = named_cells(svc, scope, frame, res)
    names = svc.station_names(scope, lang)
    labels, values = hover_text(frame, layer_id, lang, names, svc.access.tz)
    outside = t("map.outside", lang)
    if overlay:
        heading = t("map.overlay_legend", lang, layer=t(f"layer.{layer_id}", lang))
        tips = [tooltip(heading, list(zip(labels, row, strict=True)), lang) for row in values]
    else:  # the station and the place: an overlay's cells are named by the layer beneath
        titles = [names.get(c, outside) if c else outside for c in frame["station"].to_list()]
        places = svc.cell_names(frame["cell"].to_list(), lang, street=False)
        place_word = t("column.place", lang)
        tips = [
            tooltip(
                title,
                place_lines(places, c, place_word) + list(zip(labels, row, strict=True)),
                lang,
            )
            for title, c, row in zip(titles, frame["cell"].to_list(), values, strict=True)
        ]
    colours = colour_scale(spec, frame)
    url = cells_url(svc, scope, layer_res)
    paint = cell_paint(
        MAP_KEY,
        [cell_to_str(c) for c in frame["cell"].to_list()],
        colours.z,
        colours.zmin,
        colours.zmax,
        colours.colorscale,
        tips,
        cells_url=url,
        selection=selected,
        empty=empty_words(empty, lang),
        meta={"res": layer_res, "layer": layer_id, "empty": empty},
    )
    return MapAnswer(paint, url, NO_POINTS, html.Div())


def counts_map(svc: Services, scope: Scope, state: OverviewState, lang: str) -> MapAnswer:
    """The base layer: incidents per hexagon at the chosen resolution."""
    flt = state.incident_filter()
    res = state.filters.res
    counts = svc.access.cell_counts(scope, flt, res)
    url = cells_url(svc, scope, res)
    owner = svc.geometry.cell_owner(scope.stations, res)
    names = svc.station_names(scope, lang)
    outside = t("map.outside", lang)
    cells = counts["cell"].to_list() if counts.height else []
    n = counts["count"].to_numpy().astype(np.int64) if counts.height else np.zeros(0, np.int64)
    word = t("map.colorbar", lang)
    reason = None if counts.height else empty_reason(svc, scope, flt)
    top = None
    if state.window is not None:  # the time slider: one scale for all its weeks
        top = svc.playback_top(scope, state.range_filter(), res, state.window.weeks)
    places = svc.cell_names(cells, lang, street=False)
    place_word = t("column.place", lang)
    tips = [
        tooltip(
            names.get(owner.get(c, ""), outside),
            [*place_lines(places, c, place_word), (word, str(k))],
            lang,
        )
        for c, k in zip(cells, n.tolist(), strict=True)
    ]
    paint = cell_paint(
        MAP_KEY,
        [cell_to_str(c) for c in cells],
        n,
        0.0,
        float(top if top is not None else colour_top(n)),
        palettes.ramp(palettes.SEQUENTIAL),
        tips,
        cells_url=url,
        selection=state.selection.to_data() if state.selection else None,
        empty=empty_words(reason, lang),
        meta={"res": res, "layer": DEFAULT_LAYER, "empty": reason},
    )
    legend = build_legend(REGISTRY[DEFAULT_LAYER], counts, lang, top)
    return MapAnswer(paint, url, NO_POINTS, legend_component(legend))


def named_cells(
    svc: Services, scope: Scope, frame: pl.DataFrame, res: int
) -> tuple[pl.DataFrame, int]:
    """A cell layer's result with the ``station`` of each cell, and the cells' resolution
    (``res`` when there are none)."""
    layer_res = cell_resolution(int(frame["cell"][0])) if frame.height else res
    return with_station(frame, svc.geometry.cell_owner(scope.stations, layer_res)), layer_res


def points_map(
    frame: pl.DataFrame,
    layer_id: str,
    lang: str,
    svc: Services,
    scope: Scope,
    selected: dict | None,
    empty: str | None,
    res: int,
) -> MapAnswer:
    """A point layer (repeat addresses): circles sized and coloured by the count."""
    spec = REGISTRY[layer_id]
    placed = frame.filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null()).sort(
        spec.value_column, descending=True
    )
    names = svc.station_names(scope, lang)
    labels, values = hover_text(placed, layer_id, lang, names, svc.access.tz)
    titles = (
        [str(v) if v else "" for v in placed["address_raw"].to_list()]
        if "address_raw" in placed.columns
        else [""] * placed.height
    )
    tips = [
        tooltip(title, list(zip(labels, row, strict=True)), lang)
        for title, row in zip(titles, values, strict=True)
    ]
    colours = colour_scale(spec, placed)
    cells = point_cells(placed)
    points = point_features(
        placed["lat"].to_numpy(),
        placed["lng"].to_numpy(),
        point_sizes(placed[spec.value_column].to_numpy()) / 2,
        colours_of(colours.z, colours.zmin, colours.zmax, colours.colorscale),
        tips,
        [{"kind": "cell", "id": c} if c else None for c in cells],
        selected,
    )
    url = cells_url(svc, scope, res)
    reason = empty or (None if placed.height else "no_layer_rows")
    paint = cell_paint(
        MAP_KEY,
        [],
        np.zeros(0),
        0.0,
        1.0,
        colours.colorscale,
        [],
        cells_url=url,
        selection=selected,
        empty=empty_words(reason, lang),
        meta={"layer": layer_id, "points": placed.height, "empty": reason},
    )
    return MapAnswer(paint, url, points, html.Div())


def layer_empty_reason(
    svc: Services, scope: Scope, flt: IncidentFilter, frame: pl.DataFrame
) -> str | None:
    """Why a layer's map says nothing: no incidents match (a layer of zeros would look like
    an answer), or the layer found nothing; None when there is something to show."""
    if not svc.access.incidents(scope, flt, ["id"]).height:
        return empty_reason(svc, scope, flt)
    return None if frame.height else "no_layer_rows"
