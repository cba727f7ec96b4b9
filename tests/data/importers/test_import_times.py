"""Local time text to UTC: formats in order, daylight-saving gaps and repeats."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from data.importers.times import parse_local_times, strptime_any

FORMATS = ("%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S")


def test_each_row_is_read_with_the_first_format_that_fits():
    text = pl.Series(["7/19/2017 13:45", "2017-07-19 13:45:00", "19.07.2017", None])
    assert strptime_any(text, FORMATS).to_list() == [
        datetime(2017, 7, 19, 13, 45),
        datetime(2017, 7, 19, 13, 45),
        None,
        None,
    ]


def test_chicago_times_in_and_around_daylight_saving():
    text = pl.Series(["1/15/2018 12:00", "3/11/2018 2:30", "11/4/2018 1:30", "7/1/2018 12:00"])
    times, shifted = parse_local_times(text, FORMATS, "America/Chicago")
    assert shifted == 1  # 02:30 on 11 March 2018 never happened in Chicago
    assert times.to_list() == [
        datetime(2018, 1, 15, 18, 0, tzinfo=UTC),  # CST, UTC-6
        datetime(2018, 3, 11, 8, 30, tzinfo=UTC),  # read as 03:30 CDT
        datetime(2018, 11, 4, 6, 30, tzinfo=UTC),  # the first (CDT) of the two 01:30s
        datetime(2018, 7, 1, 17, 0, tzinfo=UTC),  # CDT, UTC-5
    ]
