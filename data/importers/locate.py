"""Placing incidents: datum conversion, swapped coordinates, jurisdictions and H3 cells.

A point is *located* when it lies inside a stored jurisdiction (or when no jurisdictions are
stored at all, so none can be checked); it is *outside* when it lies in none of them, and then
it gets no H3 cell and no station from its position, so it is never counted on the map or in a
station by accident. Rows without usable coordinates are *unlocated* until an earlier incident at
the same normalised address places them (:func:`fill_from_addresses`).

When stations nest (districts and their beats), points are placed in the finest level: the
*leaf* stations, those no station lies under. A row's named station agrees with its point when
it is that leaf or one of the areas above it (a beat's district); the row then gets the leaf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from geo.datums import DATUMS, to_wgs84
from geo.h3cells import latlng_to_cells
from geo.jurisdictions import Jurisdiction, assign_stations

MAX_LAT = 90.0
MAX_LNG = 180.0
#: Columns :func:`place_points` returns.
PLACED_COLUMNS = (
    "lng",
    "lat",
    "h3_cell",
    "location_state",
    "station_code",
    "source_lng",
    "source_lat",
)


@dataclass(frozen=True)
class Placement:
    """Where each row landed, and what was fixed or found on the way.

    Attributes
    ----------
    frame : polars.DataFrame
        :data:`PLACED_COLUMNS`, one row per input row. ``lng``/``lat`` (WGS-84) are set only
        for ``located`` rows; a row that is not located keeps the coordinates it was given in
        ``source_lng``/``source_lat`` (as written, in its datum) and has no ``lng``/``lat``.
    zero : numpy.ndarray of bool
        Rows given ``(0, 0)``, the placeholder of an export that has no position (unlocated).
    swapped : numpy.ndarray of bool
        Rows whose latitude and longitude were swapped in the source and have been put back.
    invalid : numpy.ndarray of bool
        Rows with coordinates that are no position in either order (dropped, unlocated).
    disagrees : numpy.ndarray of bool
        Rows whose named station is neither the leaf polygon their point falls in nor an area
        above it (name kept).
    """

    frame: pl.DataFrame
    swapped: np.ndarray
    invalid: np.ndarray
    disagrees: np.ndarray
    zero: np.ndarray


def place_points(
    lng: np.ndarray,
    lat: np.ndarray,
    datum: np.ndarray,
    named_station: np.ndarray,
    jurisdictions: list[Jurisdiction],
) -> Placement:
    """Convert, check and place source coordinates.

    Parameters
    ----------
    lng, lat : numpy.ndarray of float
        Source longitude and latitude as given (NaN where missing), in ``datum``.
    datum : numpy.ndarray of str
        Datum per row (one of :data:`geo.datums.DATUMS`); any other value (e.g. None) leaves
        the row unlocated.
    named_station : numpy.ndarray of object
        Known station code the row names, or None.
    jurisdictions : list of Jurisdiction
        Stored station polygons (WGS-84), areas and leaves. Points are placed in the leaves
        (stations that are no station's parent). When empty, points are not checked against any.

    Returns
    -------
    Placement

    Notes
    -----
    Coordinates are taken as swapped when the given latitude is beyond ±90° but the longitude
    is not, or when the given point lies in no jurisdiction while the swapped one lies in one.

    A located row whose named station agrees (the leaf, or an area above it) gets the leaf; any
    other row with a named station keeps the name; the rest get the leaf they are in, if any.
    """
    areas = {j.parent_code for j in jurisdictions if j.parent_code is not None}
    leaves = [j for j in jurisdictions if j.code not in areas]
    parent_of = {j.code: j.parent_code for j in jurisdictions}
    jurisdictions = leaves
    x = np.asarray(lng, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    datum = np.asarray(datum, dtype=object)
    numbers = ~(np.isnan(x) | np.isnan(y))
    zero = numbers & (x == 0) & (y == 0)
    given = numbers & ~zero & np.isin(datum, DATUMS)
    fits = given & (np.abs(y) <= MAX_LAT) & (np.abs(x) <= MAX_LNG)
    fits_swapped = given & (np.abs(x) <= MAX_LAT) & (np.abs(y) <= MAX_LNG)

    wlng, wlat = _convert(x, y, datum, fits)
    station = _assign(wlng, wlat, fits, jurisdictions)
    swapped = given & ~fits & fits_swapped
    if jurisdictions:
        retry = fits_swapped & fits & (station == None)  # noqa: E711 - elementwise on objects
        swapped |= retry & _inside_any(y, x, datum, retry, jurisdictions)
    if swapped.any():
        sx, sy = _convert(y, x, datum, swapped)
        wlng = np.where(swapped, sx, wlng)
        wlat = np.where(swapped, sy, wlat)
        station = np.where(swapped, _assign(wlng, wlat, swapped, jurisdictions), station)

    usable = fits | swapped
    inside = station != None  # noqa: E711
    located = usable & (inside if jurisdictions else True)
    state = np.where(located, "located", np.where(usable, "outside", "unlocated"))
    named = np.asarray(named_station, dtype=object)
    has_name = named != None  # noqa: E711
    agrees = located & has_name & inside & _agrees(station, named, parent_of)
    disagrees = located & has_name & inside & ~agrees
    final_station = np.where(
        agrees, station, np.where(has_name, named, np.where(located, station, None))
    )
    cells = latlng_to_cells(np.where(located, wlat, np.nan), np.where(located, wlng, np.nan))
    kept_apart = numbers & ~located
    frame = pl.DataFrame(
        {
            "lng": np.where(located, wlng, np.nan),
            "lat": np.where(located, wlat, np.nan),
            "h3_cell": cells,
            "location_state": state,
            "station_code": pl.Series(final_station.tolist(), dtype=pl.String),
            "source_lng": np.where(kept_apart, x, np.nan),
            "source_lat": np.where(kept_apart, y, np.nan),
        }
    ).with_columns(
        *(pl.col(c).fill_nan(None) for c in ("lng", "lat", "source_lng", "source_lat")),
        pl.when(pl.col("h3_cell") >= 0).then(pl.col("h3_cell")).alias("h3_cell"),
    )
    return Placement(frame, swapped, given & ~usable, disagrees, zero)


def fill_from_addresses(frame: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Locate unlocated rows from a located incident at the same address key.

    Parameters
    ----------
    frame : polars.DataFrame
        Canonical rows with ``address_key``, ``reported_at`` and :data:`PLACED_COLUMNS`.
    known : polars.DataFrame
        Located incidents already stored, with ``address_key``, ``reported_at``, ``lng``,
        ``lat``, ``h3_cell``, ``station_code``.

    Returns
    -------
    (polars.DataFrame, int)
        The rows, with those that could be placed now ``located`` (their named station kept,
        else the station of the incident they were placed from), and how many were placed.

    Notes
    -----
    Among the located incidents at an address (in the file and in the database) the most
    recent one is used: an address is a place, so any of them places it equally well.
    """
    cols = ["address_key", "reported_at", "lng", "lat", "h3_cell", "station_code"]
    pool = pl.concat(
        [
            frame.filter(pl.col("location_state") == "located").select(cols),
            known.select(cols).cast(dict(frame.select(cols).schema)),
        ]
    ).filter(pl.col("address_key").is_not_null())
    needs = (pl.col("location_state") == "unlocated") & pl.col("address_key").is_not_null()
    if pool.is_empty() or frame.filter(needs).is_empty():
        return frame, 0
    best = (
        pool.sort("reported_at")
        .unique(subset="address_key", keep="last")
        .select(
            "address_key",
            *(pl.col(c).alias(f"_{c}") for c in ("lng", "lat", "h3_cell", "station_code")),
        )
    )
    joined = frame.join(best, on="address_key", how="left", maintain_order="left")
    hit = needs & pl.col("_lat").is_not_null()
    filled = joined.with_columns(
        pl.when(hit).then(pl.col("_lng")).otherwise(pl.col("lng")).alias("lng"),
        pl.when(hit).then(pl.col("_lat")).otherwise(pl.col("lat")).alias("lat"),
        pl.when(hit).then(pl.col("_h3_cell")).otherwise(pl.col("h3_cell")).alias("h3_cell"),
        pl.when(hit)
        .then(pl.coalesce("station_code", "_station_code"))
        .otherwise(pl.col("station_code"))
        .alias("station_code"),
        pl.when(hit)
        .then(pl.lit("located"))
        .otherwise(pl.col("location_state"))
        .alias("location_state"),
    )
    count = joined.select(hit.sum()).item()
    return filled.drop("_lng", "_lat", "_h3_cell", "_station_code"), int(count)


def _agrees(station: np.ndarray, named: np.ndarray, parent_of: dict) -> np.ndarray:
    """Whether each row's named code is its leaf ``station`` or an area above that leaf."""
    chains: dict[str, set[str]] = {}
    out = np.zeros(station.shape, dtype=bool)
    for i, (leaf, name) in enumerate(zip(station.tolist(), named.tolist(), strict=True)):
        if leaf is None or name is None:
            continue
        if leaf not in chains:
            chain, code = set(), leaf
            while code is not None and code not in chain:
                chain.add(code)
                code = parent_of.get(code)
            chains[leaf] = chain
        out[i] = name in chains[leaf]
    return out


def _convert(x: np.ndarray, y: np.ndarray, datum: np.ndarray, rows: np.ndarray):
    """WGS-84 ``(lng, lat)`` of the selected rows (NaN elsewhere), datum by datum."""
    out_x = np.full(x.shape, np.nan)
    out_y = np.full(y.shape, np.nan)
    for name in DATUMS:
        idx = np.flatnonzero(rows & (datum == name))
        if idx.size:
            out_x[idx], out_y[idx] = to_wgs84(x[idx], y[idx], name)
    return out_x, out_y


def _assign(
    wlng: np.ndarray, wlat: np.ndarray, rows: np.ndarray, jurisdictions: list[Jurisdiction]
) -> np.ndarray:
    codes = np.full(wlng.shape, None, dtype=object)
    if jurisdictions and rows.any():
        idx = np.flatnonzero(rows)
        codes[idx] = assign_stations(wlng[idx], wlat[idx], jurisdictions)
    return codes


def _inside_any(x, y, datum, rows, jurisdictions) -> np.ndarray:
    wx, wy = _convert(x, y, datum, rows)
    return _assign(wx, wy, rows, jurisdictions) != None  # noqa: E711
