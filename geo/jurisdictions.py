"""Jurisdictions: station polygons, and which station a point falls in.

Polygons are shapely geometries in WGS-84 with (lng, lat) coordinate order, as GeoJSON has it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Jurisdiction:
    """A station's code, names and polygon (WGS-84), and where it sits among the stations.

    ``parent_code`` is the area the station lies in (None at the top); ``level`` is
    ``"area"`` for a station that has children and ``"leaf"`` for one that has none.
    """

    code: str
    name_zh: str
    name_en: str
    boundary: BaseGeometry
    parent_code: str | None = None
    level: str = "leaf"

    def boundary_geojson(self) -> str:
        """The polygon as GeoJSON geometry text."""
        return json.dumps(mapping(self.boundary))


def from_geojson_text(
    code: str,
    name_zh: str,
    name_en: str,
    text: str,
    parent_code: str | None = None,
    level: str = "leaf",
) -> Jurisdiction:
    """Build a :class:`Jurisdiction` from stored GeoJSON geometry text."""
    return Jurisdiction(code, name_zh, name_en, shape(json.loads(text)), parent_code, level)


def partition(area: BaseGeometry, seeds: dict[str, tuple[float, float]]) -> dict[str, BaseGeometry]:
    """Split ``area`` into one polygon per seed point: the Voronoi cells clipped to the area.

    Parameters
    ----------
    area : shapely Polygon or MultiPolygon
        The whole territory (WGS-84, lng/lat).
    seeds : dict of name -> (lng, lat)
        One point per part; each must lie inside ``area``.

    Notes
    -----
    Voronoi cells are computed in degrees; at Shenzhen's latitude a degree of longitude is
    0.92 of a degree of latitude, so borders lean a little towards the east-west neighbours.
    That is good enough for a demo district whose real street boundaries are not published.
    """
    outside = [name for name, (x, y) in seeds.items() if not area.contains(shapely.Point(x, y))]
    if outside:
        raise ValueError(f"seed points outside the area: {', '.join(outside)}")
    names = list(seeds)
    points = shapely.MultiPoint([seeds[n] for n in names])
    cells = shapely.voronoi_polygons(points, extend_to=area.envelope.buffer(0.1))
    parts: dict[str, BaseGeometry] = {}
    for cell in cells.geoms:
        owner = next(n for n in names if cell.contains(shapely.Point(seeds[n])))
        parts[owner] = shapely.make_valid(cell.intersection(area))
    return {n: parts[n] for n in names}


def assign_stations(
    lng: np.ndarray, lat: np.ndarray, jurisdictions: list[Jurisdiction]
) -> np.ndarray:
    """Station code of each point (object array), ``None`` where no jurisdiction contains it.

    A point on a shared border goes to the first jurisdiction in list order.
    """
    lng = np.asarray(lng, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    codes = np.full(lng.shape, None, dtype=object)
    unassigned = ~(np.isnan(lng) | np.isnan(lat))
    for j in jurisdictions:
        if not unassigned.any():
            break
        prepared = j.boundary
        shapely.prepare(prepared)
        idx = np.flatnonzero(unassigned)
        inside = shapely.contains_xy(prepared, lng[idx], lat[idx])
        hit = idx[inside]
        codes[hit] = j.code
        unassigned[hit] = False
    return codes
