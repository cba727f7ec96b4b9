"""The columnar form of incidents: one schema shared by importers, the demo, the snapshot
and the analytic layers.

An *incident frame* is a ``polars.DataFrame`` with the columns of :data:`INCIDENT_SCHEMA`
(a layer may ask for a subset). Times are UTC (``Datetime('us', 'UTC')``); coordinates are
WGS-84 degrees; ``h3_cell`` is the resolution-9 cell as int64 (null when unlocated).
"""

from __future__ import annotations

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")

#: Columns of an incident as stored (``id`` is the database key, absent before insert).
INCIDENT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "source_system": pl.String,
    "incident_no": pl.String,
    "source_channel": pl.String,
    "category": pl.String,
    "risk_level": pl.String,
    "reported_at": UTC_TIME,
    "address_raw": pl.String,
    "address_key": pl.String,
    "lat": pl.Float64,
    "lng": pl.Float64,
    "h3_cell": pl.Int64,
    "location_state": pl.String,
    "station_code": pl.String,
    "community": pl.String,
    "status": pl.String,
    "handled_at": UTC_TIME,
    "closed_at": UTC_TIME,
    "warning_letter": pl.Boolean,
    "protection_order": pl.Boolean,
    "minor_involved": pl.Boolean,
    "victim_key": pl.String,
    "offender_key": pl.String,
    "summary": pl.String,
    "source_lng": pl.Float64,
    "source_lat": pl.Float64,
    "created_at": UTC_TIME,
    "updated_at": UTC_TIME,
}

#: Columns of a status event; ``incident_no`` links it to its incident before ids exist.
STATUS_EVENT_SCHEMA: dict[str, pl.DataType] = {
    "incident_no": pl.String,
    "status": pl.String,
    "at": UTC_TIME,
    "department": pl.String,
    "note": pl.String,
}

#: Columns of a follow-up visit, linked the same way.
FOLLOW_UP_SCHEMA: dict[str, pl.DataType] = {
    "incident_no": pl.String,
    "visited_at": UTC_TIME,
    "department": pl.String,
    "outcome": pl.String,
    "note": pl.String,
}

#: Columns a frame may leave out (filled with nulls): the source coordinates of rows that are
#: not located, which only an importer knows.
OPTIONAL_COLUMNS: tuple[str, ...] = ("source_lng", "source_lat")

#: What the analytic snapshot keeps in memory: everything but the free text and the source
#: coordinates of rows not located (no map or layer may read those).
SNAPSHOT_COLUMNS: tuple[str, ...] = tuple(
    c for c in INCIDENT_SCHEMA if c not in ("summary", *OPTIONAL_COLUMNS)
)


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Return ``frame`` with exactly the columns of ``schema``, in order and cast to its types.

    :data:`OPTIONAL_COLUMNS` it lacks are added empty. Raises ``ValueError`` naming the
    columns that are missing.
    """
    missing = [
        c for c in schema if c not in frame.columns and c != "id" and c not in OPTIONAL_COLUMNS
    ]
    if missing:
        raise ValueError(f"incident frame lacks columns: {', '.join(missing)}")
    absent = [c for c in OPTIONAL_COLUMNS if c in schema and c not in frame.columns]
    frame = frame.with_columns(pl.lit(None, dtype=schema[c]).alias(c) for c in absent)
    cols = [c for c in schema if c in frame.columns]
    return frame.select([pl.col(c).cast(schema[c]) for c in cols])
