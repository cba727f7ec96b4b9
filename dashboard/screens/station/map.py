"""The station workspace's map: the station's cases per hexagon, its patrol cells outlined
and its repeat addresses as dots, on the Leaflet map of :mod:`dashboard.parts.leaflet_map`.

The hexagons count the station's incidents of the last :data:`MAP_DAYS` days at resolution
9; the patrol plan's cells (the plan of the side panel) carry a blue outline; the repeat
addresses are circles sized by their count, each naming its address (masked as the scope
requires) in its tooltip. A click on a hexagon or a dot opens the overview with that cell
selected, so the chief sees its cases there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from dash.development.base_component import Component

from dashboard.parts import palettes
from dashboard.parts.figures import colour_top, point_sizes
from dashboard.parts.i18n import t
from dashboard.parts.leaflet_map import leaflet_map
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
from geo.h3cells import cell_to_str, latlng_to_cells

#: The station map's key (component ids derive from it).
MAP_KEY = "station-map"
#: The hexagons count the incidents of this many days up to today.
MAP_DAYS = 90
#: Resolution of the station map's hexagons (about 0.1 km²: a few streets).
MAP_RES = 9
#: The repeat addresses drawn (the most frequent): more would hide the hexagons.
MAX_DOTS = 30
#: The map's size on the page (pixels), for its first view.
MAP_SIZE = (1100, 420)


def station_map_part(svc: Services, scope: Scope, code: str, lang: str) -> Component:
    """The map of station ``code``: fitted to it, its name and its neighbours' on the map."""
    stations = svc.geometry.leaves(scope.stations)
    own = [s for s in stations if s.code == code]
    stations_doc = svc.geometry.stations_document(scope.stations)
    cells_doc = svc.geometry.cells_document(scope.stations, MAP_RES)
    shown = own or stations
    return leaflet_map(
        MAP_KEY,
        stations_url=f"/geo/stations.geojson?v={stations_doc.etag[:12]}",
        cells_url=f"/geo/cells/{MAP_RES}.geojson?v={cells_doc.etag[:12]}",
        stations=shown,
        names=svc.station_names(scope, lang),
        fit_label=t("map.fit_station", lang),
        size=MAP_SIZE,
        class_name="station-map",
        place_labels=place_label_features(svc.places().places, lang, shown),
    )


def station_paint(
    svc: Services, scope: Scope, code: str, lang: str, now: datetime | None = None
) -> tuple[dict, dict]:
    """The station map's paint (counts, patrol cells outlined) and its repeat-address dots."""
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(svc.access.tz)).date()
    recent = IncidentFilter(stations=(code,), start=today - timedelta(days=MAP_DAYS - 1), end=today)
    counts = svc.access.cell_counts(scope, recent, MAP_RES)
    cells = counts["cell"].to_list() if counts.height else []
    n = counts["count"].to_numpy().astype(np.int64) if counts.height else np.zeros(0, np.int64)
    word = t("station.map.count", lang, days=MAP_DAYS)
    name = svc.station_names(scope, lang).get(code, code)
    every = IncidentFilter(stations=(code,))
    plan = svc.layer(scope, every, "patrol_plan")
    patrol = [cell_to_str(int(c)) for c in plan["cell"].to_list()] if plan.height else []
    patrol_word = t("station.map.patrol", lang)
    places = svc.cell_names(cells, lang, street=False)
    place_word = t("column.place", lang)
    tips = [
        tooltip(
            name,
            [*place_lines(places, c, place_word), (word, str(k))]
            + ([(patrol_word, "✓")] if cell_to_str(c) in patrol else []),
            lang,
        )
        for c, k in zip(cells, n.tolist(), strict=True)
    ]
    cells_url = f"/geo/cells/{MAP_RES}.geojson?v="
    cells_url += svc.geometry.cells_document(scope.stations, MAP_RES).etag[:12]
    paint = cell_paint(
        MAP_KEY,
        [cell_to_str(c) for c in cells],
        n,
        0.0,
        float(colour_top(n)),
        palettes.ramp(palettes.SEQUENTIAL),
        tips,
        cells_url=cells_url,
        meta={"res": MAP_RES, "patrol": len(patrol)},
    )
    paint["overlay"] = outline_overlay({c: (0, "") for c in patrol}, [OVERLAY_OUTLINE])
    return paint, repeat_dots(svc.layer(scope, every, "repeat_addresses"), lang)


def repeat_dots(repeats: pl.DataFrame, lang: str) -> dict:
    """The :data:`MAX_DOTS` most frequent repeat addresses as dots, sized and coloured by
    their count, named by address."""
    placed = (
        repeats.filter(pl.col("lat").is_not_null() & pl.col("lng").is_not_null())
        if repeats.height
        else repeats
    )
    if not placed.height:
        return {"type": "FeatureCollection", "features": []}
    placed = placed.sort("count", descending=True).head(MAX_DOTS)
    counts = placed["count"].to_numpy()
    word = t("station.map.repeat", lang)
    addresses = (
        placed["address_raw"].to_list() if "address_raw" in placed.columns else [""] * placed.height
    )
    tips = [
        tooltip(str(a or ""), [(word, str(int(k)))], lang)
        for a, k in zip(addresses, counts, strict=True)
    ]
    lat, lng = placed["lat"].to_numpy(), placed["lng"].to_numpy()
    cells = [cell_to_str(int(c)) for c in latlng_to_cells(lat, lng, MAP_RES)]
    top = float(max(colour_top(counts), 2))
    return point_features(
        lat,
        lng,
        point_sizes(counts) / 2,
        colours_of(counts, 0.0, top, palettes.ramp(palettes.SEQUENTIAL)),
        tips,
        [{"kind": "cell", "id": c} for c in cells],
    )
