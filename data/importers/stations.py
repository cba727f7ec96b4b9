"""Importing station jurisdictions from GeoJSON, Shapefile or GeoPackage, in any CRS.

Features are reprojected to WGS-84 (EPSG:4326). Invalid polygons are repaired with
``shapely.make_valid``; a feature that has no polygon left after that (a line, a point, an empty
or missing geometry), or no code, is reported by feature number and nothing is written, so a
layer is never half-imported. Features that share a code (a station in several parts) are
merged into one station.

Stations may nest: with a parent field (a Chicago beat's ``DISTRICT``) each station is put under
an area already stored (import the districts first). Numeric codes are matched whatever their
leading zeros (``'008'`` and ``8`` name district ``'8'``); a parent that is not stored is
reported by feature and value, and nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select

from data import audit
from data.models import Station
from data.store import save_stations
from geo.jurisdictions import Jurisdiction

#: The CRS stations are stored in.
WGS84 = "EPSG:4326"
#: Longest station code and name the store holds.
MAX_CODE = 32
MAX_NAME = 100
#: Audit action of a station import.
AUDIT_STATIONS = "import_stations"
#: How many bad features an error message lists.
PROBLEMS_LISTED = 5
_POLYGONAL = ("Polygon", "MultiPolygon")


class StationImportError(ValueError):
    """The layer cannot be imported; the message names the file, feature and problem."""


@dataclass
class StationSummary:
    """What a station import did."""

    path: Path
    stations: int
    features: int
    source_crs: str
    repaired: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    #: Areas the stations were put under (with ``--parent-field``).
    parents: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as the command line prints it."""
        out = [
            f"{self.path.name}: {self.stations:,} stations from {self.features:,} features "
            f"(CRS {self.source_crs} → {WGS84})"
        ]
        if self.parents:
            out.append(f"  under {len(self.parents):,} areas: {', '.join(self.parents)}")
        if self.merged:
            out.append(f"  codes in several features, merged: {', '.join(self.merged)}")
        if self.repaired:
            out.append(f"  invalid geometries repaired: {', '.join(self.repaired)}")
        return out


def read_stations(
    path: Path | str,
    code_field: str,
    name_field: str,
    name_en_field: str | None = None,
    layer: str | None = None,
    parent_field: str | None = None,
    parents: Iterable[str] = (),
) -> tuple[list[Jurisdiction], StationSummary]:
    """Read station polygons from a vector file.

    Parameters
    ----------
    path : path-like
        GeoJSON, Shapefile (``.shp``) or GeoPackage (``.gpkg``).
    code_field, name_field : str
        Attribute holding the station code, and the (Chinese) name shown to users.
    name_en_field : str, optional
        Attribute holding the English name; default the name.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage); default the first.
    parent_field : str, optional
        Attribute holding the code of the area each station lies in; default none (flat).
    parents : iterable of str
        Codes a parent may name (the stored stations); numeric codes match whatever their
        leading zeros.

    Returns
    -------
    (list of Jurisdiction, StationSummary)
        Stations in code order.

    Raises
    ------
    StationImportError
        If the file cannot be read, a field is missing, the CRS is unknown, or features have
        no code or no polygon even after repair.
    """
    path = Path(path)
    frame = read_vector(path, layer)
    fields = [c for c in frame.columns if c != frame.geometry.name]
    for option, name in (
        ("--code-field", code_field),
        ("--name-field", name_field),
        ("--name-en-field", name_en_field),
        ("--parent-field", parent_field),
    ):
        if name is not None and name not in fields:
            raise StationImportError(
                f"{path}: {option} {name!r} is not a field; the fields are: {', '.join(fields)}"
            )
    source_crs = source_crs_of(frame, path)
    frame = frame.to_crs(WGS84) if source_crs != WGS84 else frame
    codes = attribute_text(frame[code_field])
    names = attribute_text(frame[name_field])
    names_en = attribute_text(frame[name_en_field]) if name_en_field else names
    parent_values = attribute_text(frame[parent_field]) if parent_field else [None] * len(frame)
    known_parents = _code_lookup(parents)
    parent_of: dict[str, str | None] = {}
    problems: list[str] = []
    repaired: list[str] = []
    parts: dict[str, list[BaseGeometry]] = {}
    labels: dict[str, tuple[str, str]] = {}
    for i, (code, geom) in enumerate(zip(codes, frame.geometry, strict=True)):
        where = f"feature {i + 1}" + (f" ({code_field}={code})" if code else "")
        if not code:
            problems.append(f"{where}: {code_field} is empty")
            continue
        if len(code) > MAX_CODE:
            problems.append(f"{where}: code longer than {MAX_CODE} characters")
            continue
        polygon, problem, was_repaired = _polygon(geom)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        parent = None
        if parent_field:
            value = parent_values[i]
            parent = _match_code(value, known_parents) if value else None
            if value is None:
                problems.append(f"{where}: {parent_field} is empty")
                continue
            if parent is None:
                problems.append(
                    f"{where}: {parent_field}={value!r} is not a stored station "
                    "(import the areas first)"
                )
                continue
            if parent == code:
                problems.append(f"{where}: {parent_field}={value!r} is the station itself")
                continue
            if parent_of.setdefault(code, parent) != parent:
                problems.append(
                    f"{where}: {parent_field}={value!r} differs from the other parts' "
                    f"{parent_of[code]!r}"
                )
                continue
        if was_repaired:
            repaired.append(code)
        parts.setdefault(code, []).append(polygon)
        labels.setdefault(code, ((names[i] or code)[:MAX_NAME], (names_en[i] or code)[:MAX_NAME]))
    if problems:
        listed = "; ".join(problems[:PROBLEMS_LISTED])
        more = (
            f" (and {len(problems) - PROBLEMS_LISTED} more)"
            if len(problems) > PROBLEMS_LISTED
            else ""
        )
        raise StationImportError(f"{path}: nothing imported: {listed}{more}")
    if not parts:
        raise StationImportError(f"{path}: no features")
    stations = [
        Jurisdiction(code, *labels[code], _merge(parts[code]), parent_code=parent_of.get(code))
        for code in sorted(parts)
    ]
    merged = sorted(c for c, p in parts.items() if len(p) > 1)
    areas = sorted({p for p in parent_of.values() if p}, key=_code_order)
    summary = StationSummary(path, len(stations), len(frame), source_crs, repaired, merged, areas)
    return stations, summary


def import_stations(
    engine: Engine,
    path: Path | str,
    code_field: str,
    name_field: str,
    name_en_field: str | None = None,
    layer: str | None = None,
    user: str = "cli",
    parent_field: str | None = None,
) -> StationSummary:
    """Read station polygons (:func:`read_stations`) and insert or replace them in the store.

    With ``parent_field`` each station is put under the stored station its value names.

    Returns
    -------
    StationSummary
    """
    stored: list[str] = []
    if parent_field:
        with engine.connect() as conn:
            stored = list(conn.execute(select(Station.code)).scalars())
    stations, summary = read_stations(
        path, code_field, name_field, name_en_field, layer, parent_field, stored
    )
    save_stations(engine, stations)
    audit.record(
        engine,
        user,
        AUDIT_STATIONS,
        target=f"file:{summary.path.name}",
        detail=json.dumps(
            {"stations": summary.stations, "features": summary.features, "crs": summary.source_crs}
        ),
    )
    return summary


def read_vector(
    path: Path, layer: str | None, error: type[Exception] = StationImportError
) -> gpd.GeoDataFrame:
    """A vector file (GeoJSON, Shapefile, GeoPackage) as a frame; ``error`` (naming the file
    and the problem) when it cannot be read or holds no feature."""
    if not path.exists():
        raise error(f"{path}: no such file")
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises several kinds for unreadable data
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise error(f"{path}: not a readable vector file: {first}") from exc
    if frame.geometry.name not in frame.columns or frame.empty:
        raise error(f"{path}: no features with a geometry")
    return frame


def source_crs_of(
    frame: gpd.GeoDataFrame, path: Path, error: type[Exception] = StationImportError
) -> str:
    """The source CRS as text; a file without one is accepted only if it is in degrees."""
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            frame.set_crs(WGS84, inplace=True)
            return WGS84
        raise error(
            f"{path}: the file names no CRS and its coordinates are not degrees; "
            "add the .prj file (Shapefile) or save it with its CRS"
        )
    crs = CRS.from_user_input(frame.crs)
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]}" if authority else crs.name


def attribute_text(values: pd.Series) -> list[str | None]:
    """Attribute values as text; whole-number floats lose their '.0' (codes like 8.0)."""
    out: list[str | None] = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        else:
            text = str(v).strip()
            out.append(text or None)
    return out


def _digits_key(code: str) -> str | None:
    """A numeric code without its leading zeros (``'008'`` → ``'8'``); None if not numeric."""
    return (code.lstrip("0") or "0") if code.isdigit() else None


def _code_lookup(codes: Iterable[str]) -> dict[str, str]:
    """Each code, and each numeric code without its leading zeros, to the stored code."""
    codes = list(codes)
    lookup: dict[str, str] = {}
    for code in codes:
        key = _digits_key(code)
        if key is not None:
            lookup.setdefault(key, code)
    lookup.update({c: c for c in codes})
    return lookup


def _match_code(value: str, lookup: dict[str, str]) -> str | None:
    """The stored code ``value`` names: exactly, else as the same number."""
    if value in lookup:
        return lookup[value]
    key = _digits_key(value)
    return lookup.get(key) if key is not None else None


def _code_order(code: str) -> tuple[int, str]:
    key = _digits_key(code)
    return (int(key), code) if key is not None else (1 << 62, code)


def _polygon(geom: BaseGeometry | None) -> tuple[BaseGeometry | None, str | None, bool]:
    """(polygon, problem, repaired): the polygonal part of a geometry, repaired if needed."""
    if geom is None or geom.is_empty:
        return None, "no geometry", False
    if geom.geom_type not in (*_POLYGONAL, "GeometryCollection"):
        return None, f"a {geom.geom_type}, not a polygon", False
    repaired = not geom.is_valid
    if repaired:
        reason = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
    polygon = _polygonal_part(geom)
    if polygon is None or polygon.is_empty or polygon.area == 0:
        problem = "no polygon" + (f" left after repairing it ({reason})" if repaired else "")
        return None, problem, repaired
    return polygon, None, repaired


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry | None:
    if geom.geom_type in _POLYGONAL:
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in _POLYGONAL]
        return shapely.union_all(polys) if polys else None
    return None


def _merge(parts: list[BaseGeometry]) -> BaseGeometry:
    return parts[0] if len(parts) == 1 else shapely.make_valid(shapely.union_all(parts))
