"""The time slider: positions, labels, bounds and playback, without a browser."""

from __future__ import annotations

from datetime import date

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard.parts.filters import TimeWindow
from dashboard.screens.overview import time_slider as ts

START, END = date(2026, 8, 23), date(2026, 11, 20)  # a Sunday, a Friday
FIRST, LAST = date(2026, 8, 17), date(2026, 11, 16)  # their Mondays


def test_the_slider_runs_over_the_mondays_with_the_whole_range_before_them():
    low, high = ts.slider_bounds(START, END)
    assert (date.fromordinal(low + 7), date.fromordinal(high)) == (FIRST, LAST)
    assert ts.slider_value(None, START, END) == low
    assert (
        ts.slider_value(TimeWindow(date(2026, 10, 5)), START, END) == date(2026, 10, 5).toordinal()
    )


def test_a_position_is_a_window_inside_the_range_or_none():
    week = date(2026, 10, 5).toordinal()
    assert ts.window_of(week, 4, "2026-08-23", "2026-11-20") == TimeWindow(date(2026, 10, 5), 4)
    low, _ = ts.slider_bounds(START, END)
    assert ts.window_of(low, 1, START, END) is None  # "all"
    assert ts.window_of(None, 1, START, END) is None
    assert ts.window_of(date(2027, 1, 4).toordinal(), 1, START, END) is None


def test_marks_name_the_months_and_the_whole_range():
    marks = ts.slider_marks(START, END, "zh")
    low, _ = ts.slider_bounds(START, END)
    assert marks[low] == "全部"
    assert [marks[k] for k in sorted(marks)[1:]] == ["9月", "10月", "11月"]
    assert date.fromordinal(sorted(marks)[1]) == date(2026, 9, 7)  # the first Monday of September
    long = ts.slider_marks(date(2024, 1, 1), date(2026, 11, 20), "en")
    assert len(long) <= ts.MAX_MONTH_MARKS + 2 and "Apr 2025" in long.values()


def test_labels_read_as_the_locale_writes_dates():
    window = TimeWindow(date(2026, 10, 5))
    assert ts.window_label(window, START, END, "zh") == "第 41 周：2026年10月5日 至 10月11日"
    assert ts.window_label(window, START, END, "en") == "Week 41: 5 Oct 2026 – 11 Oct"
    four = ts.window_label(TimeWindow(date(2026, 8, 31), 4), START, END, "en")
    # clipped to the range's start: said, so a short window is not read as a quiet one
    assert four == "4 weeks to week 36: 23 Aug 2026 – 6 Sep (partial: 15 of 28 days)"
    last = TimeWindow(date(2026, 11, 16))  # the range ends on Friday 20 November
    assert ts.window_label(last, START, END, "en").endswith("(partial: 5 of 7 days)")
    assert ts.window_label(last, START, END, "zh").endswith("（不完整：7 天中的 5 天）")
    assert ts.window_label(None, START, END, "zh") == "全部时段：2026年8月23日 至 2026年11月20日"
    assert ts.window_label(None, None, None, "en") == "Whole range"


def test_a_new_range_keeps_the_week_when_it_is_still_inside():
    week = date(2026, 10, 5).toordinal()
    low, high, marks, value = ts.update_bounds("2026-09-01", "2026-10-31", week, "zh")
    assert value == week and date.fromordinal(high) == date(2026, 10, 26) and marks[low] == "全部"
    *_, value = ts.update_bounds("2026-10-12", "2026-10-31", week, "zh")
    assert value == ts.slider_bounds(date(2026, 10, 12), date(2026, 10, 31))[0]


def test_playback_starts_moves_week_by_week_and_stops_at_the_end():
    low, high = ts.slider_bounds(START, END)
    click, tick = {f"{ts.PLAY}.n_clicks"}, {f"{ts.TICK}.n_intervals"}
    value, stopped, symbol, _ = ts.play(1, None, low, low, high, True, click, "zh")
    assert (value, stopped, symbol) == (low + 7, False, ts.PAUSE_SYMBOL)  # from the first week
    value, stopped, *_ = ts.play(1, 1, value, low, high, False, tick, "zh")
    assert (value, stopped) == (low + 14, False)
    value, stopped, symbol, label = ts.play(1, 9, high - 7, low, high, False, tick, "en")
    assert (value, stopped, symbol, label) == (high, True, ts.PLAY_SYMBOL, "Play week by week")
    paused = ts.play(2, 3, low + 21, low, high, False, click, "zh")
    assert paused[0] is no_update and paused[1] is True
    assert ts.play(3, 3, high, low, high, True, click, "zh")[0] == low + 7  # again from the start
    with pytest.raises(PreventUpdate):
        ts.play(1, 4, low + 21, low, high, True, tick, "zh")  # a late tick after the pause


def test_playback_waits_for_the_map_to_draw_the_week_shown():
    # the slider moved when the map had painted 5 times: a tick before the 6th paint waits
    assert ts.waiting_for_draw(5, [5, 0])
    assert not ts.waiting_for_draw(6, [5, 0])  # drawn: move on
    assert not ts.waiting_for_draw(5, [5, ts.MAX_WAIT_TICKS])  # never drawn: move on anyway
    assert not ts.waiting_for_draw(None, None)  # nothing known yet: as before
