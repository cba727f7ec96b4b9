"""Datum conversion between WGS-84, GCJ-02 and BD-09.

GCJ-02 is the offset datum of Chinese web maps (AMap, Tencent); BD-09 is Baidu's further
offset of GCJ-02. Anning stores WGS-84 only. The forward GCJ-02 transform is the published
one; the inverse is solved by fixed-point iteration to well under a centimetre, rather than
the usual one-step approximation (which is off by up to a couple of metres).

All functions take and return ``(lng, lat)`` in degrees, as NumPy arrays or floats.
Points outside mainland China are not offset in GCJ-02 and are returned unchanged.
"""

from __future__ import annotations

import numpy as np

DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEG = 1e-10
_INVERSE_MAX_STEPS = 30


def _outside_china(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _outside_china(lng, lat)
    return np.where(outside, 0.0, dlng), np.where(outside, 0.0, dlat)


def _arrays(lng, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _out(lng: np.ndarray, lat: np.ndarray, scalar: bool):
    return (float(lng), float(lat)) if scalar else (lng, lat)


def wgs84_to_gcj02(lng, lat):
    """Convert WGS-84 ``(lng, lat)`` to GCJ-02."""
    scalar = np.ndim(lng) == 0
    x, y = _arrays(lng, lat)
    dx, dy = _gcj_offset(x, y)
    return _out(x + dx, y + dy, scalar)


def gcj02_to_wgs84(lng, lat):
    """Convert GCJ-02 ``(lng, lat)`` to WGS-84 by iterating the forward transform."""
    scalar = np.ndim(lng) == 0
    gx, gy = _arrays(lng, lat)
    x, y = gx.copy(), gy.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        fx, fy = wgs84_to_gcj02(x, y)
        ex, ey = np.asarray(fx) - gx, np.asarray(fy) - gy
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(np.concatenate([np.ravel(ex), np.ravel(ey)])), initial=0.0) < (
            _INVERSE_TOLERANCE_DEG
        ):
            break
    return _out(x, y, scalar)


def gcj02_to_bd09(lng, lat):
    """Convert GCJ-02 ``(lng, lat)`` to BD-09."""
    scalar = np.ndim(lng) == 0
    x, y = _arrays(lng, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def bd09_to_gcj02(lng, lat):
    """Convert BD-09 ``(lng, lat)`` to GCJ-02."""
    scalar = np.ndim(lng) == 0
    x, y = _arrays(lng, lat)
    x, y = x - 0.0065, y - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _out(z * np.cos(theta), z * np.sin(theta), scalar)


def to_wgs84(lng, lat, datum: str):
    """Convert ``(lng, lat)`` in ``datum`` (one of :data:`DATUMS`) to WGS-84."""
    if datum == "wgs84":
        return (float(lng), float(lat)) if np.ndim(lng) == 0 else _arrays(lng, lat)
    if datum == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if datum == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    raise ValueError(f"unknown datum {datum!r}; expected one of {', '.join(DATUMS)}")
