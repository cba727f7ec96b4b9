"""H3 cells: the only module that imports ``h3`` (and its polars binding).

Cells travel through Anning as signed 64-bit integers (``int64``): incidents are binned at
:data:`BASE_RESOLUTION` when stored, coarser cells are derived from that one. Every function
states its coordinate order: latitude first, as h3 does; GeoJSON output is (lng, lat).
"""

from __future__ import annotations

import h3
import h3.api.basic_int as h3i
import numpy as np
import polars as pl
import polars_h3 as plh3

#: Resolution at which every incident is binned when it is stored (~0.1 km² per cell).
BASE_RESOLUTION = 9
#: Resolutions the dashboard may show, coarsest first.
DISPLAY_RESOLUTIONS: tuple[int, ...] = (6, 7, 8, 9)


def latlng_to_cells(lat: np.ndarray, lng: np.ndarray, res: int = BASE_RESOLUTION) -> np.ndarray:
    """Vectorised cell ids (int64) for WGS-84 ``lat``/``lng`` arrays; -1 where a point is missing.

    Parameters
    ----------
    lat, lng : array-like of float
        Latitude and longitude in degrees (WGS-84). NaN marks a missing coordinate.
    res : int
        H3 resolution, 0–15.
    """
    frame = pl.DataFrame(
        {"lat": np.asarray(lat, dtype=np.float64), "lng": np.asarray(lng, dtype=np.float64)},
    ).with_columns(pl.col("lat").fill_nan(None), pl.col("lng").fill_nan(None))
    cells = frame.select(
        plh3.latlng_to_cell("lat", "lng", res, return_dtype=pl.UInt64).cast(pl.Int64).fill_null(-1)
    ).to_series()
    return cells.to_numpy()


def cells_to_parent(cells: pl.Expr | str, res: int) -> pl.Expr:
    """Polars expression turning an int64 cell column into its parent cells at ``res``."""
    expr = pl.col(cells) if isinstance(cells, str) else cells
    if res == BASE_RESOLUTION:
        return expr
    return plh3.cell_to_parent(expr.cast(pl.UInt64), res).cast(pl.Int64)


def cell_to_str(cell: int) -> str:
    """Hexadecimal string form of an int64 cell (as h3's tools and other systems write it)."""
    return h3.int_to_str(int(cell))


def str_to_cell(text: str) -> int:
    """Int64 cell from its hexadecimal string form; ``ValueError`` if it is not a valid cell."""
    if not isinstance(text, str) or not h3.is_valid_cell(text):
        raise ValueError(f"not an H3 cell: {text!r}")
    return h3.str_to_int(text)


def cell_resolution(cell: int) -> int:
    """Resolution of an int64 cell."""
    return h3i.get_resolution(int(cell))


def cells_area_km2(cells: list[int] | np.ndarray) -> float:
    """Total area of ``cells`` in km² (exact spherical cell areas, h3's ``cell_area``)."""
    return float(sum(h3i.cell_area(int(c), unit="km^2") for c in np.asarray(cells).ravel()))


def cell_to_boundary_lnglat(cell: int) -> list[list[float]]:
    """Closed ring of the cell's boundary in GeoJSON order ``[lng, lat]``."""
    ring = [[lng, lat] for lat, lng in h3i.cell_to_boundary(int(cell))]
    ring.append(ring[0])
    return ring


def cell_to_latlng(cell: int) -> tuple[float, float]:
    """Centre of the cell as ``(lat, lng)``."""
    return h3i.cell_to_latlng(int(cell))


def cells_geojson(cells: list[int] | np.ndarray) -> dict:
    """A GeoJSON FeatureCollection of cell polygons; each feature's ``id`` is the hex string."""
    features = [
        {
            "type": "Feature",
            "id": h3.int_to_str(int(c)),
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [cell_to_boundary_lnglat(int(c))]},
        }
        for c in cells
    ]
    return {"type": "FeatureCollection", "features": features}


def polygon_to_cells(geometry, res: int) -> list[int]:
    """Int64 cells whose centres fall inside a shapely (Multi)Polygon in WGS-84 (lng, lat)."""
    shape = h3i.geo_to_h3shape(geometry.__geo_interface__)
    return [int(c) for c in h3i.h3shape_to_cells(shape, res)]


def grid_disk(cell: int, k: int) -> list[int]:
    """Cells within ``k`` steps of ``cell`` (the cell itself included), as int64."""
    return [int(c) for c in h3i.grid_disk(int(cell), k)]


def grid_disks(cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`grid_disk` for many cells at once, as flat pairs.

    Parameters
    ----------
    cells : array-like of int64
        Valid H3 cells, all at one resolution.
    k : int
        Grid distance, ``k >= 0``.

    Returns
    -------
    origin : numpy.ndarray of int64
        Position in ``cells`` of the cell whose disk each pair comes from.
    neighbour : numpy.ndarray of int64
        A cell within ``k`` steps of ``cells[origin]`` (the origin itself included).

    Raises
    ------
    ValueError
        If ``k`` is negative, a cell is not a valid H3 cell, or the cells mix resolutions.
    """
    if k < 0:
        raise ValueError(f"'k' should be >= 0, got {k}")
    values = np.asarray(cells, dtype=np.int64)
    frame = pl.DataFrame({"cell": values}).with_columns(
        pl.col("cell").cast(pl.UInt64).alias("u"), pl.int_range(pl.len(), dtype=pl.Int64).alias("i")
    )
    checked = frame.select(
        plh3.is_valid_cell("u").alias("valid"), plh3.get_resolution("u").alias("res")
    )
    invalid = values[~checked["valid"].to_numpy()]
    if invalid.size:
        raise ValueError(f"not an H3 cell: {int(invalid[0])} ({invalid.size} invalid in all)")
    resolutions = checked["res"].unique().sort().to_list()
    if len(resolutions) > 1:
        raise ValueError(f"cells mix H3 resolutions {resolutions}; expected one")
    pairs = frame.select("i", plh3.grid_disk("u", k).alias("n")).explode("n")
    return pairs["i"].to_numpy(), pairs["n"].cast(pl.Int64).to_numpy()
