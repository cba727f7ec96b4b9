"""Place names written on the maps, each from the zoom at which it can be read.

Station names are always on the map (:func:`dashboard.parts.leaflet_map.station_label_features`);
the stored places (:mod:`geo.places`: landmarks, roads, communities, urban villages,
compounds) come in as the reader zooms in, the larger kinds first, so that the district view
stays readable and a community's view names its streets and neighbours. Where two names
would collide the browser keeps the earlier one (stations, then the kinds in
:data:`MIN_ZOOM` order) and moves or hides the later (``assets/leaflet_map.js``).
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely

from dashboard.parts.leaflet_map import label_point
from geo.jurisdictions import Jurisdiction
from geo.places import Place

#: The Leaflet zoom from which each kind's names are shown (the district fits at about 11;
#: a station's area at 12–13), in the order names win a collision. Streets are left out:
#: their names repeat the station areas'.
MIN_ZOOM: dict[str, float] = {
    "landmark": 11.5,
    "community": 12.5,
    "urban_village": 12.5,
    "road": 13.0,
    "compound": 14.5,
}


def place_label_features(
    places: Sequence[Place], lang: str, stations: Sequence[Jurisdiction] | None
) -> dict:
    """GeoJSON points where the names of ``places`` are written, in ``lang``, each with the
    zoom it appears from (``minZoom``); only the places whose name falls inside one of
    ``stations`` (the areas the map shows: a station's map names no place of its
    neighbours'; None: all)."""
    frame = shapely.union_all([s.boundary for s in stations]) if stations else None
    if frame is not None:
        shapely.prepare(frame)
    rank = {kind: n for n, kind in enumerate(MIN_ZOOM)}
    chosen = [p for p in places if p.kind in MIN_ZOOM and not p.geometry.is_empty]
    chosen.sort(key=lambda p: (rank[p.kind], -p.geometry.area, p.name_zh))
    features = []
    for place in chosen:
        geometry = place.geometry
        if geometry.geom_type in ("LineString", "MultiLineString"):
            inside = geometry.intersection(frame) if frame is not None else geometry
            if inside.is_empty or inside.length == 0:
                continue
            point = inside.interpolate(0.5, normalized=True)  # a road: its middle, inside
        elif geometry.geom_type in ("Polygon", "MultiPolygon"):
            point = label_point(geometry)
        else:
            point = geometry.centroid
        if frame is not None and not frame.contains(point):
            continue
        features.append(
            {
                "type": "Feature",
                "id": f"place-{len(features)}",
                "properties": {
                    "name": place.name(lang),
                    "kind": place.kind,
                    "minZoom": MIN_ZOOM[place.kind],
                },
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
            }
        )
    return {"type": "FeatureCollection", "features": features}
