"""Map geometry served once as static GeoJSON: station polygons and the H3 cells covering them.

The map figure refers to these documents by URL, so a callback ships only cell ids and counts
(DESIGN.md: 1.3 ms and 0.22 MB per figure instead of 416 ms and 2.7 MB with the geometry
inline). Building the documents is pure (:func:`stations_feature_collection`,
:func:`covering_cells`, :func:`cells_feature_collection`); :class:`GeometryCache` keeps them
per process, keyed by the stations a scope may see.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import mapping

from geo.h3cells import (
    cell_to_boundary_lnglat,
    cell_to_latlng,
    cells_geojson,
    grid_disks,
    latlng_to_cells,
    polygon_to_cells,
)
from geo.jurisdictions import Jurisdiction, assign_stations

#: Decimal places kept in served coordinates: 1e-6 degrees is about 0.1 m.
COORDINATE_DECIMALS = 6


def _round_coordinates(value: object) -> object:
    if isinstance(value, float):
        return round(value, COORDINATE_DECIMALS)
    if isinstance(value, list | tuple):
        return [_round_coordinates(v) for v in value]
    return value


def stations_feature_collection(stations: Sequence[Jurisdiction]) -> dict:
    """GeoJSON of the station polygons: feature ``id`` is the station code.

    Properties carry ``name_zh``, ``name_en`` (for hover text; the map draws no labels) and
    ``level`` (``"area"`` or ``"leaf"``).
    """
    features = []
    for s in stations:
        geometry = mapping(s.boundary)
        features.append(
            {
                "type": "Feature",
                "id": s.code,
                "properties": {
                    "code": s.code,
                    "name_zh": s.name_zh,
                    "name_en": s.name_en,
                    "level": s.level,
                },
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _round_coordinates(geometry["coordinates"]),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def covering_cells(stations: Sequence[Jurisdiction], res: int) -> list[int]:
    """Int64 H3 cells at ``res`` whose hexagons overlap at least one station polygon.

    ``polygon_to_cells`` keeps only cells whose centre is inside; incidents near a border fall
    into cells whose centre is outside, so the neighbours of those cells are tested as well.
    A station smaller than one cell still gets the cell of its representative point.
    """
    if not stations:
        return []
    union = shapely.union_all([s.boundary for s in stations])
    inner = set(polygon_to_cells(union, res))
    for s in stations:
        point = s.boundary.representative_point()
        inner.add(int(latlng_to_cells(np.array([point.y]), np.array([point.x]), res)[0]))
    _, neighbours = grid_disks(np.fromiter(inner, dtype=np.int64), 1)
    candidates = np.unique(neighbours)
    hexagons = np.array([shapely.Polygon(cell_to_boundary_lnglat(int(c))) for c in candidates])
    shapely.prepare(union)
    keep = shapely.intersects(union, hexagons)
    return sorted(int(c) for c in candidates[keep])


def cell_stations(cells: Sequence[int], stations: Sequence[Jurisdiction]) -> dict[int, str]:
    """The station of each cell: the one containing its centre, else the one overlapping most."""
    if not cells:
        return {}
    centres = np.array([cell_to_latlng(c) for c in cells], dtype=np.float64)
    codes = assign_stations(centres[:, 1], centres[:, 0], list(stations))
    owner: dict[int, str] = {}
    for cell, code in zip(cells, codes, strict=True):
        if code is None:
            hexagon = shapely.Polygon(cell_to_boundary_lnglat(cell))
            areas = [(s.boundary.intersection(hexagon).area, s.code) for s in stations]
            best_area, best_code = max(areas)
            if best_area <= 0:
                continue
            code = best_code
        owner[int(cell)] = str(code)
    return owner


def cells_feature_collection(cells: Sequence[int], owner: dict[int, str]) -> dict:
    """GeoJSON of cell hexagons: feature ``id`` is the hex string, ``properties.station`` its
    station code (absent if none)."""
    collection = cells_geojson(list(cells))
    for cell, feature in zip(cells, collection["features"], strict=True):
        geometry = feature["geometry"]
        geometry["coordinates"] = _round_coordinates(geometry["coordinates"])
        station = owner.get(int(cell))
        if station is not None:
            feature["properties"] = {"station": station}
    return collection


def bounds(stations: Sequence[Jurisdiction]) -> tuple[float, float, float, float] | None:
    """``(west, south, east, north)`` in degrees around every station, or None without any."""
    if not stations:
        return None
    boxes = np.array([s.boundary.bounds for s in stations])
    return (
        float(boxes[:, 0].min()),
        float(boxes[:, 1].min()),
        float(boxes[:, 2].max()),
        float(boxes[:, 3].max()),
    )


@dataclass(frozen=True)
class GeoDocument:
    """A served GeoJSON document: its bytes and an ETag for conditional requests."""

    body: bytes
    etag: str
    #: ``body`` gzip-compressed once, for clients that accept it (cell outlines compress well:
    #: the resolution-9 cells of Bao'an shrink from 1.17 MB to about a fifth).
    gzipped: bytes = b""

    @classmethod
    def of(cls, collection: dict) -> GeoDocument:
        """Serialise ``collection`` compactly, compress it and fingerprint it."""
        body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        packed = gzip.compress(body, compresslevel=6, mtime=0)
        return cls(body, hashlib.sha256(body).hexdigest()[:32], packed)


class GeometryCache:
    """Station and cell GeoJSON per set of visible stations, built once per process.

    ``load_stations(key)`` returns the jurisdictions for a cache key (the scope's station set,
    ``None`` meaning all); it is called at most once per key.
    """

    def __init__(
        self, load_stations: Callable[[frozenset[str] | None], list[Jurisdiction]]
    ) -> None:
        self._load = load_stations
        self._lock = threading.Lock()
        self._stations: dict[frozenset[str] | None, list[Jurisdiction]] = {}
        self._documents: dict[tuple[frozenset[str] | None, str], GeoDocument] = {}
        self._owners: dict[tuple[frozenset[str] | None, int], dict[int, str]] = {}

    def stations(self, key: frozenset[str] | None) -> list[Jurisdiction]:
        """The jurisdictions visible under ``key``."""
        with self._lock:
            if key not in self._stations:
                self._stations[key] = list(self._load(key))
            return self._stations[key]

    def leaves(self, key: frozenset[str] | None) -> list[Jurisdiction]:
        """The visible leaf stations (all of them when stations do not nest)."""
        return [s for s in self.stations(key) if s.level == "leaf"]

    def areas(self, key: frozenset[str] | None) -> list[Jurisdiction]:
        """The visible areas: stations other stations lie in (none when they do not nest)."""
        return [s for s in self.stations(key) if s.level == "area"]

    def stations_document(self, key: frozenset[str] | None) -> GeoDocument:
        """The leaf station polygons (what is filled and clicked) as a served document."""
        return self._document(key, "stations", self.leaves)

    def areas_document(self, key: frozenset[str] | None) -> GeoDocument:
        """The area polygons (drawn as thick outlines over the leaves) as a served document."""
        return self._document(key, "areas", self.areas)

    def _document(
        self,
        key: frozenset[str] | None,
        name: str,
        select: Callable[[frozenset[str] | None], list[Jurisdiction]],
    ) -> GeoDocument:
        stations = select(key)
        with self._lock:
            doc_key = (key, name)
            if doc_key not in self._documents:
                self._documents[doc_key] = GeoDocument.of(stations_feature_collection(stations))
            return self._documents[doc_key]

    def cell_owner(self, key: frozenset[str] | None, res: int) -> dict[int, str]:
        """Leaf station code of each covering cell at ``res``."""
        stations = self.leaves(key)
        with self._lock:
            if (key, res) not in self._owners:
                cells = covering_cells(stations, res)
                self._owners[(key, res)] = cell_stations(cells, stations)
            return self._owners[(key, res)]

    def cells_document(self, key: frozenset[str] | None, res: int) -> GeoDocument:
        """The covering cells at ``res`` as a served document."""
        owner = self.cell_owner(key, res)
        with self._lock:
            doc_key = (key, f"cells-{res}")
            if doc_key not in self._documents:
                cells = sorted(owner)
                self._documents[doc_key] = GeoDocument.of(cells_feature_collection(cells, owner))
            return self._documents[doc_key]

    def clear(self) -> None:
        """Forget everything (after the stations changed)."""
        with self._lock:
            self._stations.clear()
            self._documents.clear()
            self._owners.clear()
