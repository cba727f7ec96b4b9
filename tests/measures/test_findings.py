"""The review's findings from planted numbers: the station made worse is the one named."""

from __future__ import annotations

import polars as pl

from measures import findings
from measures.targets import DEFAULT_TARGETS


def _league(rows):
    return pl.DataFrame(
        rows,
        schema={
            "station_code": pl.String,
            "change": pl.Int64,
            "change_pct": pl.Float64,
            "sla_compliance": pl.Float64,
            "median_days_to_close": pl.Float64,
        },
        orient="row",
    )


def test_the_station_made_worse_leads_the_rises_and_the_misses():
    league = _league(
        [
            ("A", 1, 10.0, 0.95, 3.0),
            ("B", 12, 60.0, 0.62, 20.0),  # planted: much worse
            ("C", -4, -20.0, 0.91, 2.0),
            ("D", 0, 0.0, 0.85, 4.0),
            ("E", None, None, None, None),  # no comparison, nothing judged
        ]
    )
    rises, falls = findings.largest_changes(league)
    assert [(c.station_code, c.delta) for c in rises] == [("B", 12), ("A", 1)]
    assert [(c.station_code, c.delta) for c in falls] == [("C", -4)]
    past = findings.stations_past_target(league, DEFAULT_TARGETS)
    assert past["sla_compliance"] == [("B", 0.62), ("D", 0.85)]  # worst first
    assert past["median_days_to_close"] == [("B", 20.0)]
    assert "repeat_share" not in past  # not in the league given


def test_new_hot_spots_are_named_by_their_station_and_escalations_picked_from_warnings():
    emerging = pl.DataFrame(
        {"cell": [1, 2, 3], "category": ["new_hotspot", "persistent_hotspot", "new_hotspot"]}
    )
    incidents = pl.DataFrame(
        {"h3_cell": [1, 1, 1, 3, 2, None], "station_code": ["A", "A", "B", "C", "C", "C"]}
    )
    hot = findings.new_hot_spots(emerging, incidents)
    assert hot.rows() == [(1, "A", 3), (3, "C", 1)]
    detail = pl.Struct(
        {"incidents": pl.Int64, "last_gap_days": pl.Float64, "previous_gap_days": pl.Float64}
    )
    warnings = pl.DataFrame(
        {
            "rank": [2, 1, 3],
            "kind": ["household", "case", "address"],
            "reasons": [["escalating"], ["escalating"], ["high_risk"]],
            "detail": [
                {"incidents": 4, "last_gap_days": 3.0, "previous_gap_days": 20.0},
                {"incidents": 1, "last_gap_days": None, "previous_gap_days": None},
                {"incidents": 2, "last_gap_days": None, "previous_gap_days": None},
            ],
            "station_code": ["B", "A", "C"],
            "community": ["x", "y", "z"],
        },
        schema_overrides={"detail": detail},
    )
    out = findings.escalating_households(warnings)
    assert out.rows() == [("B", "x", 4, 3.0, 20.0)]
