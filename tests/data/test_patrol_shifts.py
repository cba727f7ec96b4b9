"""Patrol shifts: the setting, the hours each covers, and the filter by hour of the day."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from data.access import IncidentFilter
from data.settings import SettingsError, patrol_shifts, shift_hours


def test_the_default_shifts_cover_the_day_once():
    shifts = patrol_shifts()
    assert shifts == ((8, 16), (16, 24), (0, 8))
    hours = [h for s in shifts for h in shift_hours(s)]
    assert sorted(hours) == list(range(24))


def test_a_shift_may_run_past_midnight(monkeypatch):
    monkeypatch.setenv("ANNING_PATROL_SHIFTS", "22-06,06-14,14-22")
    assert shift_hours(patrol_shifts()[0]) == (22, 23, 0, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("value", "words"),
    [("8-16,15-20", "overlaps"), ("evening", "HH-HH"), ("25-03", "HH-HH"), ("08-08", "HH-HH")],
)
def test_bad_shifts_are_refused_naming_the_setting(monkeypatch, value, words):
    monkeypatch.setenv("ANNING_PATROL_SHIFTS", value)
    with pytest.raises(SettingsError, match="ANNING_PATROL_SHIFTS") as err:
        patrol_shifts()
    assert words in str(err.value)


def test_the_hour_filter_reads_the_local_hour():
    # 12:00 and 13:30 UTC are 20:00 and 21:30 in Shanghai; 02:00 UTC is 10:00 there.
    frame = pl.DataFrame(
        {
            "reported_at": [
                datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
                datetime(2026, 3, 1, 13, 30, tzinfo=UTC),
                datetime(2026, 3, 1, 2, 0, tzinfo=UTC),
            ]
        }
    )
    evening = IncidentFilter(hours=shift_hours((16, 24)))
    kept = frame.filter(evening.expression("Asia/Shanghai"))
    assert kept.height == 2
    in_chicago = frame.filter(evening.expression("America/Chicago"))  # 06:00, 07:30, 20:00
    assert in_chicago.height == 1
