"""Repeat victims and offenders: one history per person, across every address they lived at.

People are followed only through the pseudonymous keys the importers write
(``victim_key``, ``offender_key``), never through an ID-card or phone number: a key that
looks like one (18- or 15-digit resident ID, 11-digit mainland mobile number) is refused.
Because the key, not the address, defines the person, a victim who moved keeps one history
(``address_count`` says across how many address keys).

One row per (role, person key) with at least ``min_incidents`` incidents with a reported
time in the window ``start <= reported_at < end``. Counts, gaps, ``escalating`` and
``marac_flag`` follow exactly the rules of ``layers.repeat_addresses`` (the same
functions): escalation is each of the last three gaps strictly shorter than the one
before, over at least two gaps; the MARAC flag is three or more incidents within 365 days.
``latest_station`` is the station of the person's most recent incident that names one.
A person who is a victim in some incidents and an offender in others has one row per role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from layers.repeat_addresses import (
    MIN_INCIDENTS,
    check_repeat_params,
    history_summary,
    prepare_incidents,
    select_repeats,
)

__all__ = [
    "LAYER_ID",
    "OUTPUT_SCHEMA",
    "RAW_IDENTIFIER_PATTERN",
    "REQUIRED_COLUMNS",
    "ROLES",
    "RepeatPeopleParams",
    "compute",
]

#: Stable id of this layer in the layer registry.
LAYER_ID = "repeat_people"
#: Roles a person key can have, and the incident column holding each.
ROLES: dict[str, str] = {"victim": "victim_key", "offender": "offender_key"}
#: Columns every incident frame must have; plus ``incident_no`` or ``id`` and the key column
#: of each requested role. ``address_key`` or ``address_raw`` is read when present.
REQUIRED_COLUMNS: tuple[str, ...] = ("reported_at", "category", "station_code")
#: Keys that look like raw identifiers: resident ID (18 or 15 digits) or mainland mobile.
RAW_IDENTIFIER_PATTERN = r"^(?:\d{17}[\dXx]|\d{15}|1[3-9]\d{9})$"

_CATEGORY_COUNT = pl.Struct({"category": pl.String, "count": pl.UInt32})

#: Columns of the frame :func:`compute` returns, in order.
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "person_key": pl.String,
    "role": pl.String,
    "count": pl.UInt32,
    "address_count": pl.UInt32,
    "first_at": pl.Datetime("us", "UTC"),
    "last_at": pl.Datetime("us", "UTC"),
    "gaps_days": pl.List(pl.Float64),
    "median_gap_days": pl.Float64,
    "escalating": pl.Boolean,
    "marac_flag": pl.Boolean,
    "categories": pl.List(_CATEGORY_COUNT),
    "latest_station": pl.String,
    "incident_ids": pl.List(pl.String),
}


@dataclass(frozen=True)
class RepeatPeopleParams:
    """Parameters of the repeat-people layer.

    Parameters
    ----------
    min_incidents : int
        Smallest number of incidents in the window for a person to be listed (>= 1).
    start, end : datetime or None
        Time window ``start <= reported_at < end``; timezone-aware; ``None`` leaves that side
        open.
    roles : tuple of str
        Which roles to list, from :data:`ROLES`; only their key columns are required.
    """

    min_incidents: int = MIN_INCIDENTS
    start: datetime | None = None
    end: datetime | None = None
    roles: tuple[str, ...] = tuple(ROLES)

    def __post_init__(self) -> None:
        check_repeat_params(self.min_incidents, self.start, self.end)
        unknown = [r for r in self.roles if r not in ROLES]
        if unknown or not self.roles:
            raise ValueError(
                f"'roles' should be a non-empty subset of {tuple(ROLES)}, got {self.roles!r}"
            )


def compute(incidents: pl.DataFrame, params: RepeatPeopleParams | None = None) -> pl.DataFrame:
    """List the repeat victims and offenders of an incident frame.

    Parameters
    ----------
    incidents : polars.DataFrame
        Incident frame (``data.frames``) with ``incident_no`` or ``id``, ``reported_at``,
        ``category``, ``station_code``, the key column of each requested role
        (``victim_key``, ``offender_key``) and, optionally, ``address_key`` or
        ``address_raw`` (without them ``address_count`` is 0).
    params : RepeatPeopleParams, optional
        Defaults: two or more incidents, no window, both roles.

    Returns
    -------
    polars.DataFrame
        One row per (role, person key) with the columns of :data:`OUTPUT_SCHEMA`, most
        incidents first, then most recent.

    Raises
    ------
    TypeError
        If ``incidents`` is not a polars DataFrame.
    ValueError
        If a needed column is missing, or a person key looks like a raw ID-card or phone
        number.
    """
    params = params or RepeatPeopleParams()
    key_columns = [ROLES[role] for role in params.roles]
    frame = prepare_incidents(incidents, (*REQUIRED_COLUMNS, *key_columns), address_required=False)
    for column in key_columns:
        _refuse_raw_identifiers(frame, column)

    people = pl.concat(
        [
            frame.select(
                pl.col(ROLES[role]).cast(pl.String).alias("person_key"),
                pl.lit(role, pl.String).alias("role"),
                "incident_id",
                "reported_at",
                "category",
                "address_key",
                pl.col("station_code").cast(pl.String),
            ).filter(pl.col("person_key").is_not_null())
            for role in params.roles
        ],
        how="vertical",
    )
    people = select_repeats(
        people, ["role", "person_key"], params.start, params.end, params.min_incidents
    )
    summary = history_summary(
        people,
        ["role", "person_key"],
        extra_aggs=(
            pl.col("address_key").drop_nulls().n_unique().alias("address_count"),
            pl.col("station_code").drop_nulls().last().alias("latest_station"),
        ),
    )
    return summary.select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()]).sort(
        ["count", "last_at", "role", "person_key"], descending=[True, True, False, False]
    )


def _refuse_raw_identifiers(frame: pl.DataFrame, column: str) -> None:
    raw = frame.filter(pl.col(column).cast(pl.String).str.contains(RAW_IDENTIFIER_PATTERN))
    if raw.height:
        first = raw.get_column("incident_id")[0]
        raise ValueError(
            f"column '{column}' holds {raw.height} value(s) that look like a raw ID-card or "
            f"phone number (first: incident {first!r}); person keys must be pseudonymised "
            "by the importer"
        )
