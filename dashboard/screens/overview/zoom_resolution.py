"""The hexagon size that suits the map's zoom: the finest H3 resolution whose hexagons are
still :data:`MIN_CELL_PX` pixels across on screen.

The overview's resolution control defaults to "automatic": the map reports its zoom and
centre after each zoom or pan (plotly's ``relayoutData``), :func:`resolution_of_view` turns
them into a resolution, and the map is redrawn only when that resolution changes. The figure
keeps the reader's zoom and centre across redraws through its ``uirevision``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from geo.h3cells import DISPLAY_RESOLUTIONS

#: Width (km, flat side to flat side) of an average H3 hexagon: √3 × the mean edge length
#: that the H3 documentation tabulates per resolution (3.7245, 1.4065, 0.5314, 0.2008 km).
HEX_WIDTH_KM: dict[int, float] = {6: 6.451, 7: 2.436, 8: 0.920, 9: 0.348}
#: Smallest on-screen width of a hexagon (px): below it hexagons blur into a texture and are
#: hard to click. The Bao'an district at its fitted view (zoom ≈ 9.8) then shows resolution 8,
#: the hexagon size the overview always started with.
MIN_CELL_PX = 8.0
#: Metres per pixel at zoom 0 on the equator: MapLibre's 512-px tiles over the equator.
EQUATOR_M_PER_PX = 40_075_016.686 / 512
#: Latitude used when the map has not reported its centre (Shenzhen).
DEFAULT_LATITUDE = 22.6


def metres_per_pixel(zoom: float, lat: float = DEFAULT_LATITUDE) -> float:
    """Ground metres per screen pixel of a Web-Mercator map at ``zoom`` and latitude ``lat``."""
    return EQUATOR_M_PER_PX * math.cos(math.radians(lat)) / 2**zoom


def resolution_for_zoom(zoom: float, lat: float = DEFAULT_LATITUDE) -> int:
    """The finest resolution of :data:`geo.h3cells.DISPLAY_RESOLUTIONS` whose hexagons are at
    least :data:`MIN_CELL_PX` wide at ``zoom`` (the coarsest when none is).

    Parameters
    ----------
    zoom : float
        MapLibre zoom level (0 = the world in one 512-px tile).
    lat : float
        Latitude of the map's centre in degrees (Mercator stretches towards the poles).
    """
    if not math.isfinite(zoom):
        raise ValueError(f"'zoom' should be a finite number, got {zoom!r}")
    m_per_px = metres_per_pixel(zoom, lat)
    for res in sorted(DISPLAY_RESOLUTIONS, reverse=True):
        if HEX_WIDTH_KM[res] * 1000 / m_per_px >= MIN_CELL_PX:
            return res
    return min(DISPLAY_RESOLUTIONS)


def view_of(relayout: Mapping[str, object] | None) -> tuple[float, float] | None:
    """``(zoom, centre latitude)`` from plotly's ``relayoutData`` of a map; None when the
    event did not move the map (a resize, a hover)."""
    if not relayout:
        return None
    zoom = relayout.get("map.zoom")
    if not isinstance(zoom, int | float) or isinstance(zoom, bool) or not math.isfinite(zoom):
        return None
    centre = relayout.get("map.center")
    lat = centre.get("lat") if isinstance(centre, Mapping) else None
    if not isinstance(lat, int | float) or not -85 < lat < 85:
        lat = DEFAULT_LATITUDE
    return float(zoom), float(lat)


def resolution_of_view(relayout: Mapping[str, object] | None) -> int | None:
    """The resolution for the view in ``relayoutData``; None when the view did not change."""
    view = view_of(relayout)
    return None if view is None else resolution_for_zoom(*view)
