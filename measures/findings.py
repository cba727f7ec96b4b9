"""What a meeting should hear first, taken from the numbers: the findings of a review.

Pure functions over the review's league table (:func:`measures.review.league_table`), the
targets (:mod:`measures.targets`), the emerging hot spots (:func:`layers.emerging_hotspot.compute`)
and the early warnings (:func:`layers.early_warning.compute`). The meeting pack writes them as
sentences with their numbers (``dashboard/screens/review/pdf.py``).

``largest_changes``
    The stations whose incidents rose (fell) most against the comparison period, by the
    difference in incidents, largest first; stations without a change are left out.
``stations_past_target``
    Per measure with a target, the stations whose value misses it, worst first.
``new_hot_spots``
    Cells whose emerging-hot-spot category is ``new_hotspot`` (hot in the final step only,
    never cold before), each with the station holding most of its incidents.
``escalating_households``
    Early-warning entries of kind ``household`` or ``address`` with an ``escalating`` or
    ``escalating_victim`` reason (the gaps between their incidents shrink).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from measures import better_direction
from measures.targets import past_target

__all__ = [
    "Change",
    "escalating_households",
    "largest_changes",
    "new_hot_spots",
    "stations_past_target",
]

#: How many stations a finding names at most.
TOP = 3
#: Early-warning reasons that make a household or address escalating.
ESCALATING_REASONS = ("escalating", "escalating_victim")


@dataclass(frozen=True)
class Change:
    """A station's incidents against the comparison period."""

    station_code: str
    delta: int
    pct: float | None


def largest_changes(league: pl.DataFrame, top: int = TOP) -> tuple[list[Change], list[Change]]:
    """The ``top`` largest rises and the ``top`` largest falls of incidents by station
    (``change`` column of the league table; empty when there is no comparison)."""
    rows = [
        Change(r["station_code"], int(r["change"]), r["change_pct"])
        for r in league.iter_rows(named=True)
        if r["change"] is not None and r["change"] != 0
    ]
    rises = sorted((c for c in rows if c.delta > 0), key=lambda c: (-c.delta, c.station_code))
    falls = sorted((c for c in rows if c.delta < 0), key=lambda c: (c.delta, c.station_code))
    return rises[:top], falls[:top]


def stations_past_target(
    league: pl.DataFrame, targets: Mapping[str, float]
) -> dict[str, list[tuple[str, float]]]:
    """Measure → the stations (code, value) missing its target, worst first; measures where
    every station meets the target are left out."""
    out: dict[str, list[tuple[str, float]]] = {}
    for measure in targets:
        if measure not in league.columns:
            continue
        missed = [
            (r["station_code"], float(r[measure]))
            for r in league.iter_rows(named=True)
            if past_target(measure, r[measure], targets)
        ]
        if missed:
            up = better_direction(measure) == "up"
            out[measure] = sorted(missed, key=lambda m: (m[1] if up else -m[1], m[0]))
    return out


def new_hot_spots(emerging: pl.DataFrame, incidents: pl.DataFrame) -> pl.DataFrame:
    """The ``new_hotspot`` cells of ``emerging`` with the station (``station_code``) and the
    number of incidents (``incidents``) of each in ``incidents`` (``h3_cell`` at the
    analysis resolution), most incidents first."""
    cells = emerging.filter(pl.col("category").cast(pl.String) == "new_hotspot").select("cell")
    counts = (
        incidents.filter(pl.col("h3_cell").is_not_null())
        .group_by(pl.col("h3_cell").alias("cell"), "station_code")
        .agg(pl.len().cast(pl.Int64).alias("incidents"))
        .sort(["cell", "incidents", "station_code"], descending=[False, True, False])
    )
    main = counts.group_by("cell", maintain_order=True).agg(
        pl.col("station_code").first(), pl.col("incidents").sum()
    )
    return (
        cells.join(main, on="cell", how="left")
        .with_columns(pl.col("incidents").fill_null(0))
        .sort(["incidents", "cell"], descending=[True, False])
    )


def escalating_households(warnings: pl.DataFrame) -> pl.DataFrame:
    """The early-warning entries (households and addresses) whose incidents escalate, in the
    list's rank order: ``station_code``, ``community``, ``incidents`` (in the lookback
    window), ``last_gap_days`` and ``previous_gap_days``."""
    escalating = pl.col("reasons").list.eval(pl.element().is_in(ESCALATING_REASONS)).list.any()
    return (
        warnings.filter(pl.col("kind").is_in(["household", "address"]) & escalating)
        .sort("rank")
        .select(
            "station_code",
            "community",
            pl.col("detail").struct.field("incidents").alias("incidents"),
            pl.col("detail").struct.field("last_gap_days").alias("last_gap_days"),
            pl.col("detail").struct.field("previous_gap_days").alias("previous_gap_days"),
        )
    )
