"""Playback keeps one colour scale: every week of the time slider is coloured against the
same top, so a week looks darker only when it had more incidents."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest

from dashboard.parts.figures import MIN_ZMAX, colour_top, playback_top
from dashboard.parts.filters import from_query
from dashboard.parts.services import Services
from dashboard.screens.overview.map import draw_map
from data.access import CaseAccess, IncidentFilter, Scope


def test_the_top_covers_every_window_of_the_range():
    monday = date(2026, 11, 2)
    weekly = pl.DataFrame(
        {
            "cell": [1, 1, 1, 2, 2],
            "week": [monday, monday + timedelta(7), monday + timedelta(14), monday, monday],
            "count": [30, 30, 1, 2, 2],
        }
    )
    weekly = weekly.group_by("cell", "week").agg(pl.col("count").sum())
    one = playback_top(weekly, 1)
    assert one == colour_top(weekly["count"].to_numpy())
    two = playback_top(weekly, 2)  # two-week windows: 30 + 30 in one of them
    assert two > one
    assert playback_top(weekly.clear(), 1) == MIN_ZMAX


def _legend_top(answer) -> int:
    """The top of the legend's ramp ("≥6" where a hexagon goes beyond it: 6)."""
    ticks = re.findall(r"'≥?(\d+)'", str(answer.legend))
    return int(ticks[-1])


@pytest.fixture(scope="module")
def svc(demo_engine):
    return Services(CaseAccess(demo_engine))


def test_every_week_of_the_slider_gets_the_same_scale(svc):
    scope = Scope(user="t")
    first, last = svc.access.date_extent(scope)
    weeks = [last - timedelta(days=last.weekday() + 7 * k) for k in (1, 4, 9)]
    tops, own = [], []
    for monday in weeks:
        query = f"?start={first}&end={last}&week={monday}&win=4&res=7"
        answer = draw_map(svc, scope, from_query(query, (first, last), (), 7), "en")
        tops.append(_legend_top(answer))
        flt = IncidentFilter(start=monday - timedelta(days=21), end=monday + timedelta(days=6))
        counts = svc.access.cell_counts(scope, flt, 7)["count"].to_numpy()
        own.append(colour_top(counts))
    assert len(set(tops)) == 1, tops
    assert len(set(own)) > 1, "each week's own scale should differ: the test would be vacuous"
    # and the whole range, no window, keeps its own scale
    whole = draw_map(
        svc, scope, from_query(f"?start={first}&end={last}&res=7", (first, last), (), 7), "en"
    )
    assert _legend_top(whole) != tops[0]
