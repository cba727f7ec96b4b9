"""Two areas drawn on the overview's map, compared in the review.

A reader draws two areas on the overview (a circle or a polygon each; see
:func:`dashboard.screens.overview.map.drawn_areas`) and opens the review with them
(``area_a`` and ``area_b`` in the URL, :mod:`geo.areas` text, read by
:mod:`dashboard.screens.review.state`). For each area the review's
measures (:func:`measures.review.measures`) are computed over the incidents located in it,
for the period and its comparison period, and every value opens the case list of that
measure, period and area: the same predicate (:func:`measures.cases.in_area`) selects both,
so a number and its list agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from dash import dcc, html
from dash.development.base_component import Component

from dashboard.parts import case_links
from dashboard.parts.i18n import t
from dashboard.parts.services import Services
from dashboard.screens.review.report import (
    change_tone,
    fmt_change,
    fmt_period,
    fmt_value,
    period_change,
)
from dashboard.screens.review.report import overall_row as _overall
from dashboard.screens.review.state import ReviewState
from data.access import CaseAccess, IncidentFilter, Scope
from geo import areas
from measures import cases
from measures import review as rd

#: The letters the two areas go by on the screen.
LETTERS: tuple[str, str] = ("A", "B")


@dataclass(frozen=True)
class AreaFigures:
    """The review's measures for one area: this period, and the comparison period when the
    data cover it fully (None otherwise)."""

    area: str
    totals: dict[str, float | None]
    previous: dict[str, float | None] | None

    def change(self, measure: str) -> rd.Change:
        """``measure`` this period against the comparison period."""
        return period_change(self.totals, self.previous, measure)


def area_figures(
    access: CaseAccess, scope: Scope, state: ReviewState, now: datetime
) -> list[AreaFigures]:
    """The measures of each of ``state``'s areas (none without areas), judged as of ``now``."""
    if not state.areas or state.period is None:
        return []
    tz = access.tz
    incidents = access.incidents(scope, IncidentFilter())
    visits = access.follow_up_visits(scope)
    period, comparison = state.period, state.comparison()
    full = rd.coverage(comparison, access.date_extent(scope)) == "full"
    out = []
    for text in state.areas:
        inside = incidents.filter(cases.in_area(areas.parse(text)))
        totals = _overall(rd.measures(inside, visits, period, now, tz, by=None))
        previous = (
            _overall(rd.measures(inside, visits, comparison, now, tz, by=None)) if full else None
        )
        out.append(AreaFigures(text, totals, previous))
    return out


def area_words(text: str, lang: str, svc: Services | None = None) -> str:
    """What an area is, in words: where it lies (the place at its centre, with ``svc``'s
    places) and its shape (a circle's radius, a polygon's corners)."""
    area = areas.parse(text)
    if area.is_circle:
        shape = t("caselist.area_circle", lang, r=f"{area.radius_m:,.0f}")
    else:
        shape = t("caselist.area_polygon", lang, n=len(area.points))
    if svc is None:
        return shape
    centre = area.geometry().representative_point() if not area.is_circle else None
    lng, lat = (centre.x, centre.y) if centre is not None else area.points[0]
    place = svc.places().name_point(lng, lat).text(lang, True)
    return f"{place} · {shape}" if place else shape


def _value_link(
    measure: str, value: float | None, area: str, period: rd.Period, now: datetime, lang: str
) -> dcc.Link:
    spec = replace(cases.spec_for(measure, period.start, period.end, now=now), area=area)
    return dcc.Link(
        html.Span(fmt_value(measure, value), **{"data-measure": measure}),
        href=case_links.href(spec, lang),
        className="review-area-value",
    )


def area_section(
    figures: list[AreaFigures],
    state: ReviewState,
    now: datetime,
    lang: str,
    svc: Services | None = None,
) -> list[Component]:
    """The comparison table of the two areas (nothing without areas): per measure, each
    area's value this period and in the comparison period, and the change, coloured by what
    it means; every value opens its cases. With ``svc`` each area is named by its place."""
    if not figures or state.period is None:
        return []
    period, comparison = state.period, state.comparison()
    head = [html.Th(t("review.areas_measure", lang))]
    for letter, fig in zip(LETTERS, figures, strict=False):
        head.append(
            html.Th(
                [
                    html.Div(t("review.area_name", lang, letter=letter)),
                    html.Div(area_words(fig.area, lang, svc), className="muted"),
                ],
                colSpan=3,
            )
        )
    sub = [html.Th("")]
    for _ in figures:
        sub += [
            html.Th(fmt_period(period, lang)),
            html.Th(fmt_period(comparison, lang)),
            html.Th(t("review.areas_change", lang)),
        ]
    rows = []
    for measure in rd.MEASURES:
        cells = [html.Td(t(f"review.m.{measure}", lang), title=t(f"review.def.{measure}", lang))]
        for fig in figures:
            ch = fig.change(measure)
            before = (
                _value_link(measure, fig.previous.get(measure), fig.area, comparison, now, lang)
                if fig.previous is not None
                else html.Span("–", title=t("review.areas_not_covered", lang))
            )
            cells += [
                html.Td(_value_link(measure, fig.totals.get(measure), fig.area, period, now, lang)),
                html.Td(before),
                html.Td(
                    fmt_change(measure, ch, lang),
                    className=f"review-change {change_tone(measure, ch.delta)}".strip(),
                ),
            ]
        rows.append(html.Tr(cells))
    return [
        html.Div(
            [
                html.H2(t("review.areas_title", lang), className="card-title"),
                html.Span(t("review.areas_hint", lang), className="card-hint"),
            ],
            className="card-head",
        ),
        html.Div(
            html.Table(
                [html.Thead([html.Tr(head), html.Tr(sub)]), html.Tbody(rows)],
                className="simple-table review-areas-table",
            ),
            className="review-areas-scroll",
        ),
    ]
