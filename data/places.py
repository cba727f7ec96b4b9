"""Stored places (:class:`data.models.Place`): saving a source's places and reading them all.

A source (a file name, or ``demo``) is replaced as a whole: loading a corrected file again
leaves no stale place behind. Readers get a :class:`geo.places.PlaceIndex`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from shapely.geometry import mapping, shape
from sqlalchemy import Engine, delete, func, select

from data.models import Place as PlaceRow
from geo.places import Place, PlaceIndex


def save_places(engine: Engine, places: Iterable[Place], source: str) -> int:
    """Replace the places of ``source`` with ``places``; returns how many were stored."""
    rows = [
        {
            "name_zh": p.name_zh,
            "name_en": p.name_en,
            "kind": p.kind,
            "geometry_geojson": json.dumps(mapping(p.geometry)),
            "station_code": p.station_code,
            "source": source,
        }
        for p in places
    ]
    with engine.begin() as conn:
        conn.execute(delete(PlaceRow).where(PlaceRow.source == source))
        if rows:
            conn.execute(PlaceRow.__table__.insert(), rows)
    return len(rows)


def load_places(engine: Engine) -> PlaceIndex:
    """Every stored place, indexed for naming and search."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                PlaceRow.name_zh,
                PlaceRow.name_en,
                PlaceRow.kind,
                PlaceRow.geometry_geojson,
                PlaceRow.station_code,
            ).order_by(PlaceRow.id)
        ).all()
    return PlaceIndex(
        [
            Place(
                r.name_zh, r.kind, shape(json.loads(r.geometry_geojson)), r.name_en, r.station_code
            )
            for r in rows
        ]
    )


def places_version(engine: Engine) -> tuple[int, int]:
    """``(count, newest id)`` of the stored places: changes whenever places are loaded."""
    with engine.connect() as conn:
        count, newest = conn.execute(select(func.count(), func.max(PlaceRow.id))).one()
    return int(count), int(newest or 0)
