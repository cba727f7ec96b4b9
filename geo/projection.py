"""Metric projections: the one place that picks a CRS for measuring distances.

Layers work in WGS-84 degrees; before any distance they project to the UTM zone of the
data (EPSG:326zz north, 327zz south): Bao'an is UTM 49N (EPSG:32649), Chicago 16N (32616).
"""

from __future__ import annotations

import numpy as np
import pyproj

#: Data wider than this (degrees of longitude) is too wide for one UTM zone's accuracy.
MAX_LONGITUDE_SPAN_DEG = 12.0


def utm_epsg(mean_lng: float, mean_lat: float) -> int:
    """EPSG code of the WGS-84 UTM zone holding ``(mean_lng, mean_lat)``.

    Zones are 6° wide from 180° W; 326xx north of the equator, 327xx south. The Norway and
    Svalbard exceptions are ignored. ``utm_epsg(113.9, 22.6)`` is 32649 (UTM 49N, Bao'an).
    """
    zone = int(np.floor((mean_lng + 180.0) / 6.0)) % 60 + 1
    return (32600 if mean_lat >= 0 else 32700) + zone


def check_wgs84(lat: np.ndarray, lng: np.ndarray) -> None:
    """Raise ``ValueError`` naming the first row whose lat/lng is not WGS-84 degrees."""
    for name, values, limit in (("lat", lat, 90.0), ("lng", lng, 180.0)):
        bad = ~np.isfinite(values) | (np.abs(values) > limit)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"'{name}' should be WGS-84 degrees within ±{limit:g}; row {i} has {values[i]} "
                f"({int(bad.sum())} such rows: projected coordinates, or lat/lng swapped?)"
            )


def metric_transformer(epsg: int) -> pyproj.Transformer:
    """A WGS-84 → ``epsg`` transformer taking (lng, lat); the CRS must be metric."""
    crs = pyproj.CRS.from_epsg(epsg)
    # Distances are Euclidean in this CRS: it must be projected and in metres.
    if not crs.is_projected or crs.axis_info[0].unit_name != "metre":
        raise ValueError(f"{crs.to_string()} is not a projected CRS in metres")
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def to_local_metres(lat: np.ndarray, lng: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    """Project WGS-84 points to the UTM zone of their mean position, in metres.

    Parameters
    ----------
    lat, lng : numpy.ndarray of float
        WGS-84 latitude and longitude in degrees (lat first, as h3 has it); no NaN.

    Returns
    -------
    x, y : numpy.ndarray of float64
        Easting and northing in metres.
    crs : str
        The CRS used, as ``'EPSG:326zz'`` (north) or ``'EPSG:327zz'`` (south).

    Raises
    ------
    ValueError
        If a coordinate is outside the WGS-84 range (the data is probably projected or has
        lat/lng swapped), or the points span more than :data:`MAX_LONGITUDE_SPAN_DEG`.
    """
    lat = np.asarray(lat, dtype=np.float64)
    lng = np.asarray(lng, dtype=np.float64)
    check_wgs84(lat, lng)
    span = float(np.ptp(lng)) if lng.size else 0.0
    if span > MAX_LONGITUDE_SPAN_DEG:
        raise ValueError(
            f"incidents span {span:.1f}° of longitude, more than {MAX_LONGITUDE_SPAN_DEG}° "
            "fit one UTM zone's accuracy; analyse each area separately"
        )
    epsg = utm_epsg(float(lng.mean()), float(lat.mean())) if lng.size else 32649
    x, y = metric_transformer(epsg).transform(lng, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), f"EPSG:{epsg}"
