"""An area drawn on a map, written into a URL so that a link reproduces its report.

Two forms (WGS-84 longitude, latitude; the radius in metres, on the ground):

* ``circle:LNG,LAT,R`` — every point within ``R`` metres of the centre (10 m to 20 km);
* ``poly:LNG LAT;LNG LAT;…`` — a polygon of 3 to :data:`MAX_VERTICES` vertices (closed by
  itself; a self-crossing outline is repaired).

:func:`parse` reads one (an :class:`AreaError` says what is wrong), :meth:`Area.text` writes it
back canonically (6 decimals, ~0.1 m) and :meth:`Area.contains` tells which points lie in it:
great-circle distance for a circle, point in polygon for a polygon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: Radius bounds of a circle, metres.
MIN_RADIUS_M = 10.0
MAX_RADIUS_M = 20_000.0
MAX_VERTICES = 200
#: Longest area text accepted in a URL.
MAX_TEXT = 6_000
_EARTH_RADIUS_M = 6_371_008.8


class AreaError(ValueError):
    """The area text cannot be read; the message says why."""


@dataclass(frozen=True)
class Area:
    """A circle (``radius_m`` set, one point) or a polygon (``points`` its vertices)."""

    points: tuple[tuple[float, float], ...]
    radius_m: float | None = None

    @property
    def is_circle(self) -> bool:
        """Whether the area is a circle."""
        return self.radius_m is not None

    def text(self) -> str:
        """The canonical URL form."""
        if self.is_circle:
            lng, lat = self.points[0]
            return f"circle:{lng:.6f},{lat:.6f},{self.radius_m:.0f}"
        return "poly:" + ";".join(f"{lng:.6f} {lat:.6f}" for lng, lat in self.points)

    def geometry(self) -> BaseGeometry:
        """The area as a shapely polygon in longitude/latitude (a circle: 64 sides)."""
        if not self.is_circle:
            return shapely.make_valid(shapely.Polygon(self.points))
        lng, lat = self.points[0]
        angles = np.linspace(0, 2 * math.pi, 65)[:-1]
        dlat = np.degrees(self.radius_m / _EARTH_RADIUS_M) * np.sin(angles)
        dlng = np.degrees(self.radius_m / _EARTH_RADIUS_M) * np.cos(angles)
        dlng = dlng / max(math.cos(math.radians(lat)), 1e-6)
        return shapely.Polygon(np.column_stack([lng + dlng, lat + dlat]))

    def contains(self, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which of the points lie in the area (NaN coordinates: no)."""
        lng = np.asarray(lng, dtype=float)
        lat = np.asarray(lat, dtype=float)
        if self.is_circle:
            return haversine_m(lng, lat, *self.points[0]) <= self.radius_m
        inside = shapely.contains_xy(self.geometry(), lng, lat)
        return inside & ~(np.isnan(lng) | np.isnan(lat))

    def bounds(self) -> tuple[float, float, float, float]:
        """West, south, east, north."""
        return tuple(self.geometry().bounds)


def haversine_m(lng: np.ndarray, lat: np.ndarray, lng0: float, lat0: float) -> np.ndarray:
    """Great-circle distance in metres from ``(lng0, lat0)`` to each point."""
    p1, p2 = np.radians(lat), math.radians(lat0)
    dp, dl = p2 - p1, np.radians(lng0 - lng)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AreaError(f"{what}: {text.strip()[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise AreaError(f"{what}: {text.strip()[:20]!r} is not a number")
    return value


def _point(lng_text: str, lat_text: str, what: str) -> tuple[float, float]:
    lng, lat = _number(lng_text, f"{what} longitude"), _number(lat_text, f"{what} latitude")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise AreaError(f"{what}: ({lng}, {lat}) is not a longitude and latitude")
    return lng, lat


def parse(text: str) -> Area:
    """Read ``circle:…`` or ``poly:…`` (module docstring); :class:`AreaError` if it cannot."""
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise AreaError(f"area: longer than {MAX_TEXT} characters")
    kind, _, rest = text.partition(":")
    if kind == "circle":
        parts = rest.split(",")
        if len(parts) != 3:
            raise AreaError("area: a circle is circle:LNG,LAT,RADIUS_M")
        centre = _point(parts[0], parts[1], "circle centre")
        radius = _number(parts[2], "circle radius")
        if not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
            raise AreaError(
                f"area: a radius of {MIN_RADIUS_M:g} to {MAX_RADIUS_M:g} m, got {radius:g}"
            )
        return Area((centre,), radius)
    if kind == "poly":
        vertices = [v.split() for v in rest.split(";") if v.strip()]
        if not 3 <= len(vertices) <= MAX_VERTICES or any(len(v) != 2 for v in vertices):
            raise AreaError(
                f"area: a polygon is poly:LNG LAT;LNG LAT;… with 3 to {MAX_VERTICES} vertices"
            )
        points = tuple(_point(v[0], v[1], f"vertex {i + 1}") for i, v in enumerate(vertices))
        area = Area(points)
        if area.geometry().area == 0:
            raise AreaError("area: the polygon encloses nothing")
        return area
    raise AreaError("area: circle:LNG,LAT,RADIUS_M or poly:LNG LAT;LNG LAT;…")
