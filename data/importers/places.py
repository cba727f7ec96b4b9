"""Importing places (communities, compounds, urban villages, landmarks, roads, street areas).

``python app.py places FILE --name-field F --kind-field F`` reads a vector file (GeoJSON,
Shapefile, GeoPackage; any CRS, reprojected to WGS-84 like the stations) or a table with
coordinates (CSV in UTF-8 or GB18030, Excel; ``--lng-field``/``--lat-field``, detected when
named ``lng``/``lon``/``经度`` and ``lat``/``纬度``). Coordinates written in GCJ-02 or BD-09
(Chinese web maps) are converted with ``--datum``, as incidents are.

Every feature needs a name and a kind (from ``--kind-field``: ``community``/``社区``,
``compound``/``小区``, ``urban_village``/``城中村``, ``landmark``/``地标``, ``road``/``道路``,
``street``/``街道``; or one ``--kind`` for the whole file) and a point, line or polygon. Bad
features are reported by number and reason and skipped; the good ones replace the places
loaded from a file of the same name before (so a corrected file can be loaded again). Places
with no English name get one in pinyin when shown in English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine

from data import audit
from data.importers.readers import ReadError, read_table
from data.importers.stations import WGS84, attribute_text, read_vector, source_crs_of
from data.places import save_places
from geo.datums import DATUMS, to_wgs84
from geo.places import KINDS, Place, kind_of

#: Suffixes read as tables with coordinate columns (the rest as vector files).
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
#: Column names taken for longitude and latitude when none is given.
LNG_NAMES = ("lng", "lon", "longitude", "经度", "x")
LAT_NAMES = ("lat", "latitude", "纬度", "y")
#: Longest name the store holds.
MAX_NAME = 100
#: Audit action of a places import.
AUDIT_PLACES = "import_places"
#: How many bad features the summary lists.
PROBLEMS_LISTED = 10
_GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


class PlaceImportError(ValueError):
    """The file cannot be imported at all; the message names the file and the problem."""


@dataclass
class PlaceSummary:
    """What a places import did."""

    path: Path
    features: int
    stored: int
    source_crs: str
    by_kind: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as the command line prints it."""
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(self.by_kind.items()))
        out = [
            f"{self.path.name}: {self.stored:,} places from {self.features:,} features "
            f"(CRS {self.source_crs} → {WGS84}){': ' + kinds if kinds else ''}"
        ]
        if self.problems:
            out.append(f"  {len(self.problems):,} features skipped:")
            out += [f"    {p}" for p in self.problems[:PROBLEMS_LISTED]]
            if len(self.problems) > PROBLEMS_LISTED:
                out.append(f"    … and {len(self.problems) - PROBLEMS_LISTED:,} more")
        return out


def read_places(
    path: Path | str,
    name_field: str,
    kind_field: str | None = None,
    kind: str | None = None,
    name_en_field: str | None = None,
    lng_field: str | None = None,
    lat_field: str | None = None,
    datum: str = "wgs84",
    layer: str | None = None,
) -> tuple[list[Place], PlaceSummary]:
    """Read the places of a file; bad features are listed in the summary, not raised.

    Raises
    ------
    PlaceImportError
        If the file cannot be read, a named field is missing, neither ``kind_field`` nor a
        valid ``kind`` is given, or the datum is unknown.
    """
    path = Path(path)
    if (kind_field is None) == (kind is None):
        raise PlaceImportError(f"{path}: give --kind-field or --kind (one of {', '.join(KINDS)})")
    if kind is not None and kind_of(kind) is None:
        raise PlaceImportError(f"{path}: --kind {kind!r} is not one of {', '.join(KINDS)}")
    if datum not in DATUMS:
        raise PlaceImportError(f"{path}: --datum {datum!r} is not one of {', '.join(DATUMS)}")
    if path.suffix.lower() in TABLE_SUFFIXES:
        fields, geoms, crs = _from_table(path, lng_field, lat_field)
    else:
        frame = read_vector(path, layer, PlaceImportError)
        crs = source_crs_of(frame, path, PlaceImportError)
        frame = frame.to_crs(WGS84) if crs != WGS84 else frame
        fields = {c: attribute_text(frame[c]) for c in frame.columns if c != frame.geometry.name}
        geoms = list(frame.geometry)
    for option, name in (
        ("--name-field", name_field),
        ("--kind-field", kind_field),
        ("--name-en-field", name_en_field),
    ):
        if name is not None and name not in fields:
            raise PlaceImportError(
                f"{path}: {option} {name!r} is not a field; the fields are: {', '.join(fields)}"
            )
    names = fields[name_field]
    kinds = fields[kind_field] if kind_field else [kind] * len(geoms)
    names_en = fields[name_en_field] if name_en_field else [None] * len(geoms)
    places: list[Place] = []
    problems: list[str] = []
    for i, geom in enumerate(geoms):
        where = f"feature {i + 1}" + (f" ({names[i]})" if names[i] else "")
        chosen = kind_of(kinds[i])
        if not names[i]:
            problems.append(f"{where}: {name_field} is empty")
        elif len(names[i]) > MAX_NAME:
            problems.append(f"{where}: name longer than {MAX_NAME} characters")
        elif chosen is None:
            problems.append(f"{where}: kind {kinds[i]!r} is not one of {', '.join(KINDS)}")
        else:
            geometry, problem = _geometry(geom, datum)
            if problem:
                problems.append(f"{where}: {problem}")
            else:
                en = (names_en[i] or None) if names_en[i] else None
                places.append(Place(names[i], chosen, geometry, en[:MAX_NAME] if en else None))
    by_kind: dict[str, int] = {}
    for p in places:
        by_kind[p.kind] = by_kind.get(p.kind, 0) + 1
    return places, PlaceSummary(path, len(geoms), len(places), crs, by_kind, problems)


def import_places(engine: Engine, path: Path | str, user: str = "cli", **options) -> PlaceSummary:
    """Read places (:func:`read_places`, same options) and replace those of the same file name.

    Raises :class:`PlaceImportError` when no feature is usable (nothing is replaced then).
    """
    places, summary = read_places(path, **options)
    if not places:
        listed = "; ".join(summary.problems[:PROBLEMS_LISTED])
        raise PlaceImportError(f"{summary.path}: no usable feature, nothing imported: {listed}")
    save_places(engine, places, source=f"file:{summary.path.name}")
    audit.record(
        engine,
        user,
        AUDIT_PLACES,
        target=f"file:{summary.path.name}",
        detail=json.dumps(
            {"stored": summary.stored, "skipped": len(summary.problems), "crs": summary.source_crs}
        ),
    )
    return summary


def _from_table(
    path: Path, lng_field: str | None, lat_field: str | None
) -> tuple[dict[str, list[str | None]], list[BaseGeometry | None], str]:
    try:
        table = read_table(path)
    except ReadError as exc:
        raise PlaceImportError(str(exc)) from None
    columns = table.columns
    lng_field = lng_field or _guess(columns, LNG_NAMES)
    lat_field = lat_field or _guess(columns, LAT_NAMES)
    for option, name in (("--lng-field", lng_field), ("--lat-field", lat_field)):
        if name is None or name not in columns:
            raise PlaceImportError(
                f"{path}: {option} {name!r} is not a column; the columns are: {', '.join(columns)}"
            )
    fields = {c: [(v or "").strip() or None for v in table.frame[c].to_list()] for c in columns}
    geoms: list[BaseGeometry | None] = []
    for x, y in zip(fields[lng_field], fields[lat_field], strict=True):
        try:
            geoms.append(shapely.Point(float(x), float(y)))
        except (TypeError, ValueError):
            geoms.append(None)
    return fields, geoms, WGS84


def _guess(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _geometry(geom: BaseGeometry | None, datum: str) -> tuple[BaseGeometry | None, str | None]:
    """The geometry in WGS-84 (converted from ``datum``, repaired), or the problem with it."""
    if geom is None or geom.is_empty:
        return None, "no geometry (or no coordinates)"
    if geom.geom_type not in _GEOMETRIES:
        return None, f"a {geom.geom_type}, not a point, line or polygon"
    if datum != "wgs84":
        geom = shapely.transform(
            geom, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum))
        )
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None, f"coordinates out of range ({minx:.4f}, {miny:.4f})"
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom, None
