"""Writing incidents to the system of record in batches.

Each call writes one batch inside one transaction: either all of it lands or none of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Engine, delete, insert, select

from data.frames import FOLLOW_UP_SCHEMA, INCIDENT_SCHEMA, STATUS_EVENT_SCHEMA, conform
from data.models import FollowUpVisit, Incident, Station, StatusEvent
from geo.jurisdictions import Jurisdiction


def _naive_utc(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetime columns as naive UTC, the form stored in the database."""
    return frame.with_columns(
        pl.col(c).dt.replace_time_zone(None)
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime) and t.time_zone is not None
    )


def save_stations(engine: Engine, stations: Iterable[Jurisdiction]) -> int:
    """Insert or replace station rows; returns how many were written."""
    rows = [
        {
            "code": s.code,
            "name_zh": s.name_zh,
            "name_en": s.name_en,
            "boundary_geojson": s.boundary_geojson(),
        }
        for s in stations
    ]
    with engine.begin() as conn:
        for row in rows:
            existing = conn.execute(select(Station.code).where(Station.code == row["code"]))
            if existing.first() is None:
                conn.execute(insert(Station), row)
            else:
                conn.execute(Station.__table__.update().where(Station.code == row["code"]), row)
    return len(rows)


def insert_incidents(
    engine: Engine,
    incidents: pl.DataFrame,
    status_events: pl.DataFrame | None = None,
    follow_ups: pl.DataFrame | None = None,
) -> int:
    """Insert new incidents with their status events and follow-up visits, in one transaction.

    Events and visits refer to their incident by ``incident_no`` (within this batch, whose
    incidents all share one ``source_system``). ``created_at`` and ``updated_at`` are set to
    the time of writing. Returns the number of incidents inserted.
    """
    written = datetime.now(UTC).replace(tzinfo=None)
    incidents = _naive_utc(
        conform(incidents, {k: v for k, v in INCIDENT_SCHEMA.items() if k != "id"})
    ).with_columns(
        # updated_at is when the row was written: the snapshot refreshes on it.
        pl.lit(written).alias("created_at"),
        pl.lit(written).alias("updated_at"),
    )
    if incidents.is_empty():
        return 0
    systems = incidents["source_system"].unique().to_list()
    if len(systems) != 1:
        raise ValueError(f"one batch holds one source system, got {systems}")
    with engine.begin() as conn:
        result = conn.execute(
            insert(Incident).returning(
                Incident.id, Incident.incident_no, sort_by_parameter_order=True
            ),
            incidents.to_dicts(),
        )
        ids = dict((no, i) for i, no in result.all())
        for frame, schema, model in (
            (status_events, STATUS_EVENT_SCHEMA, StatusEvent),
            (follow_ups, FOLLOW_UP_SCHEMA, FollowUpVisit),
        ):
            if frame is None or frame.is_empty():
                continue
            frame = _naive_utc(conform(frame, schema))
            unknown = frame.filter(~pl.col("incident_no").is_in(list(ids)))
            if not unknown.is_empty():
                raise ValueError(
                    f"{model.__tablename__} rows refer to incidents not in this batch: "
                    f"{unknown['incident_no'].head(5).to_list()}"
                )
            rows = frame.with_columns(
                pl.col("incident_no")
                .replace_strict(ids, return_dtype=pl.Int64)
                .alias("incident_id")
            ).drop("incident_no")
            conn.execute(insert(model), rows.to_dicts())
    return len(ids)


def delete_source_system(engine: Engine, source_system: str) -> None:
    """Remove every incident of one source system (with its events and visits)."""
    with engine.begin() as conn:
        ids = select(Incident.id).where(Incident.source_system == source_system)
        conn.execute(delete(StatusEvent).where(StatusEvent.incident_id.in_(ids)))
        conn.execute(delete(FollowUpVisit).where(FollowUpVisit.incident_id.in_(ids)))
        conn.execute(delete(Incident).where(Incident.source_system == source_system))
