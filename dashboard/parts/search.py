"""Finding a place or an address to go to on a map: the search box's answers.

:func:`search` looks for ``text`` among the stored places (:mod:`geo.places`: streets,
communities, compounds, urban villages, landmarks, roads) and the addresses of the incidents
the caller may see, and answers where each is, for the map to zoom to:

* a place: its name and kind, its bounds (a point place gets :data:`POINT_PAD_M` around it);
* an address: the address as the caller may read it (house numbers masked unless the role
  sees personal details, and then searched on the masked text too, so a search for a house
  number cannot find which case lies at it), how many incidents, and the centre of its
  incidents (for a masked reader, of their resolution-9 cell).

Every search of addresses is written to the audit trail (``search``), as it reads where
people live.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from dashboard.parts.services import Services
from data import audit
from data.access import MAX_ADDRESS_QUERY, IncidentFilter, Scope, address_matches, mask_address
from geo.h3cells import cell_to_latlng, latlng_to_cells

#: Shortest text searched (one Chinese character names too much).
MIN_QUERY = 2
#: Answers of each kind.
MAX_PLACES = 8
MAX_ADDRESSES = 8
#: Metres around a point (a landmark, an address) that the map shows.
POINT_PAD_M = 250.0


@dataclass(frozen=True)
class Found:
    """One answer: what it is called, what kind, where (west, south, east, north)."""

    label: str
    kind: str  # a place kind, or "address"
    bounds: tuple[float, float, float, float]
    incidents: int = 0


def _padded(lng: float, lat: float, metres: float = POINT_PAD_M) -> tuple[float, ...]:
    dlat = metres / 111_320
    dlng = dlat / max(math.cos(math.radians(lat)), 0.1)
    return (lng - dlng, lat - dlat, lng + dlng, lat + dlat)


def search(svc: Services, scope: Scope, text: str, lang: str) -> list[Found]:
    """Places, then addresses, matching ``text`` (see the module docstring)."""
    query = (text or "").strip()[:MAX_ADDRESS_QUERY]
    if len(query) < MIN_QUERY:
        return []
    found = []
    for place in svc.places().search(query, lang, MAX_PLACES):
        west, south, east, north = place.geometry.bounds
        bounds = (
            _padded(west, south)
            if place.geometry.geom_type == "Point"
            else (west, south, east, north)
        )
        found.append(Found(place.name(lang), place.kind, tuple(bounds)))
    found += _addresses(svc, scope, query)
    return found


def _addresses(svc: Services, scope: Scope, query: str) -> list[Found]:
    frame = (
        svc.access.matching(
            scope, IncidentFilter(include_unlocated=False), ["address_raw", "lat", "lng"]
        )
        .filter(address_matches(query, scope.personal_details))
        .collect()
    )
    audit.record(
        svc.access.engine,
        scope.user,
        "search",
        target="address",
        detail=f"q={query} found={frame.height}",
        remote_addr=scope.remote_addr,
    )
    if frame.is_empty():
        return []
    if not scope.personal_details:
        frame = frame.with_columns(
            pl.col("address_raw").map_elements(mask_address, return_dtype=pl.String)
        )
    groups = (
        frame.group_by("address_raw")
        .agg(pl.len().alias("n"), pl.col("lat").mean(), pl.col("lng").mean())
        .sort(["n", "address_raw"], descending=[True, False])
        .head(MAX_ADDRESSES)
    )
    out = []
    for row in groups.iter_rows(named=True):
        lat, lng = row["lat"], row["lng"]
        if not scope.personal_details:  # where a masked reader may look: the cell's centre
            lat, lng = cell_to_latlng(int(latlng_to_cells([lat], [lng])[0]))
        out.append(Found(row["address_raw"], "address", _padded(lng, lat), int(row["n"])))
    return out
