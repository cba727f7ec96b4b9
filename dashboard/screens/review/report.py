"""One review, computed once: what the review page, the PDF meeting pack and the Excel workbook
show, and how its numbers are written.

:func:`build_report` asks the data-access layer for the caller's incidents and visits and hands
them to the pure functions of :mod:`measures.review`; the formatting helpers write the
numbers the same way on the page and in both exports (thousands separators, shares as
percentages with one decimal, changes with their sign).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import polars as pl

from dashboard.parts.i18n import MISSING, t
from dashboard.parts.services import layer_now
from dashboard.screens.review.state import ReviewState
from data.access import CaseAccess, IncidentFilter, Scope
from measures import better_direction, findings
from measures import review as rd

#: Measures counted in whole numbers; shares are fractions; the rest are days.
COUNT_MEASURES = frozenset(
    {"incidents", "late_open", "visits_done", "warning_letters", "protection_orders", "change"}
)
SHARE_MEASURES = frozenset({"handled_24h_share", "sla_compliance", "repeat_share"})


@dataclass(frozen=True)
class Report:
    """Everything one review shows, for one scope, state and moment."""

    state: ReviewState
    period: rd.Period
    comparison: rd.Period
    extent: tuple[date, date] | None
    coverage: str
    comparison_coverage: str
    totals: dict[str, float | None]
    previous: dict[str, float | None] | None
    league: pl.DataFrame
    station_names: dict[str, str]
    trend_category: pl.DataFrame
    trend_source: pl.DataFrame
    heatmap: np.ndarray
    now: datetime
    tz: str
    #: Comparison lines of the trends (:func:`measures.review.comparison_trend`), by
    #: comparison (``previous``, ``last_year``); only those the data fully cover.
    trend_lines: dict[str, pl.DataFrame] = field(default_factory=dict)

    @property
    def comparable(self) -> bool:
        """Whether the comparison period is fully covered by the data."""
        return self.previous is not None

    @property
    def every(self) -> str:
        """``'1d'`` or ``'1w'``: the trends' step."""
        return rd.trend_every(self.period)

    def change(self, measure: str) -> rd.Change:
        """``measure`` this period against the comparison period."""
        return period_change(self.totals, self.previous, measure)


def build_report(
    access: CaseAccess,
    scope: Scope,
    state: ReviewState,
    now: datetime,
    station_names: Mapping[str, str],
) -> Report:
    """The review of ``state`` for ``scope``, judged as of ``now`` (time-zone aware).

    ``state`` must carry its period (see :func:`dashboard.screens.review.state.resolve`). Stations
    are those of ``station_names`` (the scope's, in code order).
    """
    if state.period is None:
        raise ValueError("the review state has no period")
    tz = access.tz
    extent = access.date_extent(scope)
    incidents = access.incidents(scope, IncidentFilter())
    visits = access.follow_up_visits(scope)
    period, comparison = state.period, state.comparison()
    cover = rd.coverage(period, extent)
    cmp_cover = rd.coverage(comparison, extent)
    current = rd.measures(incidents, visits, period, now, tz)
    totals = overall_row(rd.measures(incidents, visits, period, now, tz, by=None))
    previous = before = None
    if cmp_cover == "full":
        before = rd.measures(incidents, visits, comparison, now, tz)
        previous = overall_row(rd.measures(incidents, visits, comparison, now, tz, by=None))
    league = rd.sort_league(
        rd.league_table(current, before, list(station_names)), state.sort, state.descending
    )
    return Report(
        state=state,
        period=period,
        comparison=comparison,
        extent=extent,
        coverage=cover,
        comparison_coverage=cmp_cover,
        totals=totals,
        previous=previous,
        league=league,
        station_names=dict(station_names),
        trend_category=rd.trend(incidents, period, tz, "category"),
        trend_source=rd.trend(incidents, period, tz, "source_channel"),
        heatmap=rd.heatmap(incidents, period, tz),
        now=now,
        tz=tz,
        trend_lines=_trend_lines(incidents, state, extent, tz),
    )


def _trend_lines(
    incidents: pl.DataFrame, state: ReviewState, extent: tuple[date, date] | None, tz: str
) -> dict[str, pl.DataFrame]:
    """The previous period and the same period last year, per step, where the data cover
    them fully (a partly covered period would draw false zeros)."""
    period = state.period
    assert period is not None
    lines = {}
    for compare in rd.COMPARISONS:
        other = rd.comparison_of(period, state.kind, compare)
        if rd.coverage(other, extent) == "full":
            lines[compare] = rd.comparison_trend(incidents, period, other, tz)
    return lines


def overall_row(frame: pl.DataFrame) -> dict[str, float | None]:
    """The single row of an overall :func:`~measures.review.measures`; zeros if
    empty."""
    if frame.is_empty():
        return {m: (0 if m in COUNT_MEASURES else None) for m in rd.MEASURES}
    return frame.row(0, named=True)


def period_change(
    totals: Mapping[str, float | None],
    previous: Mapping[str, float | None] | None,
    measure: str,
) -> rd.Change:
    """``measure`` of ``totals`` against ``previous`` (None: the comparison period is not
    fully covered by the data, so no change is claimed)."""
    before = None if previous is None else previous.get(measure)
    return rd.change(totals.get(measure), before, previous is not None)


def change_tone(measure: str, delta: float | None) -> str:
    """``'good'``, ``'bad'`` or ``''``: a change coloured by what it means for ``measure``
    (:func:`measures.better_direction`), not by its sign."""
    better = better_direction(measure if measure in rd.MEASURES else "incidents")
    if not delta or better is None:
        return ""
    return "good" if (delta > 0) == (better == "up") else "bad"


# -- writing numbers ---------------------------------------------------------------------------
def fmt_value(measure: str, value: float | None) -> str:
    """A measure's value as shown: counts ``1,234``, shares ``86.8%``, days ``4.8``,
    ``change_pct`` signed (``+12.5%``); missing values as a dash."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return MISSING
    if measure == "change":
        return f"{int(value):+,}"
    if measure == "change_pct":
        return f"{value:+.1f}%"
    if measure in COUNT_MEASURES:
        return f"{int(value):,}"
    if measure in SHARE_MEASURES:
        return f"{value * 100:.1f}%"
    return f"{value:.1f}"


def target_words(measure: str, lang: str, targets: Mapping[str, float]) -> str:
    """``目标 ≥ 90.0%`` / ``Target ≤ 15.0``: the target of ``measure`` in words ('' if none)."""
    if measure not in targets:
        return ""
    sign = "≥" if better_direction(measure) == "up" else "≤"
    return t("review.target", lang, sign=sign, value=fmt_value(measure, targets[measure]))


def fmt_change(measure: str, ch: rd.Change, lang: str) -> str:
    """The change of a measure in words: ``较对比期 +3（+12.5%）``, ``+2.1 个百分点`` …"""
    if ch.delta is None:
        return t("review.no_comparison", lang)
    if measure in SHARE_MEASURES:
        delta = t("review.points", lang, value=f"{ch.delta * 100:+.1f}")
        return t("review.vs_points", lang, delta=delta)
    if measure in COUNT_MEASURES:
        pct = t("review.pct_na", lang) if ch.pct is None else f"{ch.pct:+.1f}%"
        return t("review.vs", lang, delta=f"{int(ch.delta):+,}", pct=pct)
    return t("review.vs_points", lang, delta=t("review.days", lang, value=f"{ch.delta:+.1f}"))


def fmt_period(period: rd.Period, lang: str) -> str:
    """``2026-10-01 至 2026-10-31`` / ``2026-10-01 to 2026-10-31``."""
    return t(
        "review.period_label", lang, start=period.start.isoformat(), end=period.end.isoformat()
    )


def coverage_notes(report: Report, lang: str) -> list[str]:
    """What the reader must know about the data's coverage of the two periods."""
    if report.extent is None:
        return [t("review.no_data_at_all", lang)]
    first, last = (d.isoformat() for d in report.extent)
    notes = []
    if report.coverage != "full":
        notes.append(t("review.current_partial", lang, first=first, last=last))
    if report.comparison_coverage != "full":
        key = (
            "review.compare_none"
            if report.comparison_coverage == "none"
            else ("review.compare_partial")
        )
        period = fmt_period(report.comparison, lang)
        notes.append(t(key, lang, period=period, first=first, last=last))
    return notes


def station_label(report: Report, code: str) -> str:
    """The station's name (its code when it has none)."""
    return report.station_names.get(code, code)


# -- findings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Findings:
    """What the meeting pack says first (:mod:`measures.findings`), for one report.

    ``hot_spots`` and ``escalating`` are None when their layer could not be computed for
    the period; ``hot_spots_reason`` then says why (the layer's own message)."""

    rises: list[findings.Change]
    falls: list[findings.Change]
    past_target: dict[str, list[tuple[str, float]]]
    targets: dict[str, float]
    hot_spots: pl.DataFrame | None
    hot_spots_reason: str | None
    escalating: pl.DataFrame | None


def build_findings(
    access: CaseAccess, scope: Scope, report: Report, targets: Mapping[str, float]
) -> Findings:
    """The findings of ``report``: largest changes and stations past target from its league
    table; new hot spots (emerging hot spots ending with the period) and escalating
    households (early warnings at the period's end) from the scope's incidents."""
    from layers import early_warning, emerging_hotspot

    rises, falls = findings.largest_changes(report.league)
    past = findings.stations_past_target(report.league, targets)
    incidents = access.incidents(scope, IncidentFilter())
    end = layer_now(report.period.end, report.tz, report.now)
    seen = incidents.filter(pl.col("reported_at") < end)
    hot, reason = None, None
    try:
        emerging = emerging_hotspot.compute(seen, end=end)
        hot = findings.new_hot_spots(emerging, seen)
    except ValueError as error:  # too short a history, too few incidents: say so
        reason = str(error)
    escalating = None
    try:
        warnings = early_warning.compute(seen, access.follow_up_visits(scope), end)
        escalating = findings.escalating_households(warnings)
    except ValueError:
        escalating = None
    return Findings(rises, falls, past, dict(targets), hot, reason, escalating)
