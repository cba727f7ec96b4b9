"""The overview map: the chosen layer over the filtered incidents, drawn by the pure figure
functions of :mod:`dashboard.parts.figures`, with its legend (:mod:`dashboard.parts.legends`).

:func:`draw_map` is what the overview's map callback calls once it has parsed the controls
into an :class:`~dashboard.parts.filters.OverviewState` (whose ``incident_filter`` already carries
the time slider's window and whose resolution already follows the zoom). Geometry travels by
URL (:mod:`dashboard.parts.geometry`), versioned by content so browser caches stay correct.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from dash import html
from dash.development.base_component import Component

from dashboard.parts.figures import cell_layer_figure, map_figure, point_layer_figure, point_sizes
from dashboard.parts.filters import DEFAULT_LAYER, OverviewState, Selection
from dashboard.parts.i18n import t
from dashboard.parts.layer_views import hover_text, point_cells, with_station
from dashboard.parts.legends import accuracy_note, build_legend, colour_scale, legend_component
from dashboard.parts.services import Services
from data.access import IncidentFilter, Scope
from geo.h3cells import DISPLAY_RESOLUTIONS, cell_resolution, cell_to_str, str_to_cell
from layers.refusal import LayerRefusedError
from layers.registry import REGISTRY


def draw_map(
    svc: Services, scope: Scope, state: OverviewState, lang: str
) -> tuple[go.Figure, Component]:
    """The map of ``state``'s layer over its incidents, and the layer's legend."""
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
    stations_url, _ = geo_urls(svc, scope, state.filters.res)
    outline = selection_outline(svc, scope, state.selection, stations_url)
    empty = layer_empty_reason(svc, scope, flt, frame)
    if spec.geometry == "points":
        figure = points_map(frame, spec.id, lang, stations_url, svc, scope, outline, empty)
    else:
        figure = cells_map(
            frame, spec.id, lang, stations_url, svc, scope, outline, empty, state.filters.res
        )
    legend = legend_component(build_legend(spec, frame, lang))
    if refused is not None:
        return figure, html.Div([legend, refused])
    if spec.id == "patrol_plan":
        # The plan's own track record, beside the plan: what the chief reads before trusting it.
        values = state.layer.values()
        tested = {k: values[k] for k in ("method", "budget_share", "train_weeks")}
        panel = svc.layer(scope, flt, "patrol_accuracy", tested, state.filters.res)
        legend = html.Div([legend, accuracy_note(panel, lang)])
    return figure, legend


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


def selection_outline(
    svc: Services, scope: Scope, selection: Selection | None, stations_url: str
) -> tuple[str, str] | None:
    """The GeoJSON URL holding the selection and its feature id (None: nothing to outline)."""
    if selection is None:
        return None
    if selection.kind == "station":
        return stations_url, selection.id
    res = cell_resolution(str_to_cell(selection.id))
    if res not in DISPLAY_RESOLUTIONS:
        return None
    return cells_url(svc, scope, res), selection.id


def cells_map(
    frame: pl.DataFrame,
    layer_id: str,
    lang: str,
    stations_url: str,
    svc: Services,
    scope: Scope,
    outline: tuple[str, str] | None,
    empty: str | None,
    res: int,
) -> go.Figure:
    """A cell layer: its value per hexagon, at the resolution of its cells (patrol plans and
    near-repeat zones are always resolution 9; the others follow the chosen ``res``)."""
    spec = REGISTRY[layer_id]
    frame, layer_res = named_cells(svc, scope, frame, res)
    names = svc.station_names(scope, lang)
    labels, values = hover_text(frame, layer_id, lang, names, svc.access.tz)
    outside = t("map.outside", lang)
    return cell_layer_figure(
        [cell_to_str(c) for c in frame["cell"].to_list()],
        colour_scale(spec, frame),
        lang,
        stations_url,
        cells_url(svc, scope, layer_res),
        layer_id=layer_id,
        res=layer_res,
        cell_names=[names.get(c, outside) if c else outside for c in frame["station"].to_list()],
        hover_labels=labels,
        hover_values=values,
        stations=svc.geometry.stations(scope.stations),
        areas_url=areas_geo_url(svc, scope),
        selection=outline,
        empty_reason=empty,
    )


def counts_map(
    svc: Services, scope: Scope, state: OverviewState, lang: str
) -> tuple[go.Figure, Component]:
    """The base layer: incidents per hexagon at the chosen resolution."""
    flt = state.incident_filter()
    counts = svc.access.cell_counts(scope, flt, state.filters.res)
    stations_url, cells_url_ = geo_urls(svc, scope, state.filters.res)
    shown = state.selection
    if (
        shown is not None
        and shown.kind == "cell"
        and cell_resolution(str_to_cell(shown.id)) != state.filters.res
    ):
        shown = None
    figure = map_figure(
        counts,
        state.filters.res,
        lang,
        stations_url,
        cells_url_,
        stations=svc.geometry.stations(scope.stations),
        areas_url=areas_geo_url(svc, scope),
        cell_station=svc.geometry.cell_owner(scope.stations, state.filters.res),
        selection=shown.to_data() if shown else None,
        empty_reason=None if counts.height else empty_reason(svc, scope, flt),
        show_scale=False,
    )
    legend = build_legend(REGISTRY[DEFAULT_LAYER], counts, lang)
    return figure, legend_component(legend)


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
    stations_url: str,
    svc: Services,
    scope: Scope,
    outline: tuple[str, str] | None,
    empty: str | None,
) -> go.Figure:
    """A point layer (repeat addresses): circles sized and coloured by the count."""
    spec = REGISTRY[layer_id]
    placed = frame.filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null()).sort(
        spec.value_column, descending=True
    )
    names = svc.station_names(scope, lang)
    labels, values = hover_text(placed, layer_id, lang, names, svc.access.tz)
    return point_layer_figure(
        placed["lat"].to_numpy(),
        placed["lng"].to_numpy(),
        point_sizes(placed[spec.value_column].to_numpy()),
        colour_scale(spec, placed),
        lang,
        stations_url,
        layer_id=layer_id,
        cells=point_cells(placed),
        names=[str(v) if v else "" for v in placed["address_raw"].to_list()]
        if "address_raw" in placed.columns
        else [""] * placed.height,
        hover_labels=labels,
        hover_values=values,
        stations=svc.geometry.stations(scope.stations),
        areas_url=areas_geo_url(svc, scope),
        selection=outline,
        empty_reason=empty or (None if placed.height else "no_layer_rows"),
    )


def layer_empty_reason(
    svc: Services, scope: Scope, flt: IncidentFilter, frame: pl.DataFrame
) -> str | None:
    """Why a layer's map says nothing: no incidents match (a layer of zeros would look like
    an answer), or the layer found nothing; None when there is something to show."""
    if not svc.access.incidents(scope, flt, ["id"]).height:
        return empty_reason(svc, scope, flt)
    return None if frame.height else "no_layer_rows"
