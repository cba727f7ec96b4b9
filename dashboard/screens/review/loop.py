"""The review's loop section (issue 13): the 通报 of support given to stations per unit, the
departments' tasks (filterable by station) and the warning-visit compliance per station.

:func:`loop_figures` reads the three tables through the data-access functions of
:mod:`data.support`, :mod:`data.tasks` and :mod:`data.warning_visits` with the caller's scope;
the page shows them (:func:`section`, :func:`update_loop`) and the PDF meeting pack and the
Excel workbook carry them (:mod:`dashboard.screens.review.pdf`, ``excel``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import has_request_context

from dashboard.parts import ids
from dashboard.parts.form import holding_place
from dashboard.parts.i18n import normalise_language, t
from dashboard.parts.loop_view import (
    COMPLIANCE_HEADER_KEYS,
    DEPARTMENT_HEADER_KEYS,
    UNIT_HEADER_KEYS,
    compliance_rows,
    department_rows,
    now_utc,
    simple_table,
    unit_rows,
)
from dashboard.parts.services import services
from dashboard.screens.review.state import resolve
from dashboard.screens.review.stations import leaf_names
from dashboard.web import auth
from dashboard.web.scope import current_scope
from data import support, tasks, warning_visits
from data.access import Scope
from data.users import REVIEW_ROLES

UNITS = "review-loop-units"
DEPARTMENTS = "review-loop-departments"
COMPLIANCE = "review-loop-compliance"
STATION = "review-loop-station"


@dataclass(frozen=True)
class LoopFigures:
    """The loop's tables for one review: per unit, per department, per station."""

    units: pl.DataFrame
    unit_names: dict[str, str]
    departments: pl.DataFrame
    compliance: pl.DataFrame
    station_names: dict[str, str]


def _utc(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def loop_figures(
    scope: Scope,
    start: date | None,
    end: date | None,
    lang: str,
    station: str | None = None,
) -> LoopFigures:
    """The loop's tables for requests filed from ``start`` to ``end`` (local dates, both
    inclusive; None: no bound); departments' tasks and warning schedules as they stand now,
    of ``station`` only when given."""
    svc = services()
    engine, tz, now = svc.access.engine, svc.access.tz, now_utc()
    stations = (station,) if station else ()
    units = support.unit_table(
        engine,
        scope,
        start=_utc(start, tz) if start else None,
        end=_utc(end + timedelta(days=1), tz) if end else None,
        stations=stations,
        now=now,
    )
    departments = tasks.department_table(engine, scope, stations=stations, now=now)
    compliance = warning_visits.compliance_table(engine, scope, now=now)
    if station:
        compliance = compliance.filter(pl.col("station_code") == station)
    return LoopFigures(
        units,
        {u.code: u.name(lang) for u in support.units(engine)},
        departments,
        compliance,
        leaf_names(lang),
    )


def section(lang: str) -> html.Section:
    """The loop's section of the review page (filled by :func:`update_loop`)."""
    names = leaf_names(lang) if has_request_context() else {}  # none in the validation layout
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t("loop.review_title", lang), className="card-title"),
                    html.Label(
                        t("loop.station_filter", lang), htmlFor=STATION, className="field-label"
                    ),
                    holding_place(
                        dcc.Dropdown(
                            id=STATION,
                            options=[{"label": n, "value": c} for c, n in names.items()],
                            placeholder=t("station.all", lang),
                            className="filter-dropdown review-loop-station",
                        )
                    ),
                ],
                className="card-head",
            ),
            html.H3(t("loop.units_title", lang)),
            html.Div(id=UNITS),
            html.H3(t("loop.departments_title", lang)),
            html.Div(id=DEPARTMENTS),
            html.H3(t("loop.compliance_title", lang)),
            html.Div(id=COMPLIANCE),
        ],
        className="card loop-section review-loop",
    )


def tables(figures: LoopFigures, lang: str) -> tuple[html.Table, html.Table, html.Table]:
    """The three tables of ``figures`` as components."""
    return (
        simple_table(
            [t(k, lang) for k in UNIT_HEADER_KEYS],
            unit_rows(figures.units, figures.unit_names, lang),
            "review-loop-unit-table",
        ),
        simple_table(
            [t(k, lang) for k in DEPARTMENT_HEADER_KEYS],
            department_rows(figures.departments, lang),
            "review-loop-department-table",
        ),
        simple_table(
            [t(k, lang) for k in COMPLIANCE_HEADER_KEYS],
            compliance_rows(figures.compliance, figures.station_names),
            "review-loop-compliance-table",
        ),
    )


def update_loop(params: dict | None, station: str | None, lang: str | None):
    """Callback: the loop's tables for the review's period and the chosen station."""
    lang = normalise_language(lang)
    user = auth.current_user()
    if user is None or user.role not in REVIEW_ROLES:
        raise PreventUpdate
    params = params or {}
    state = resolve(
        params.get("period"),
        params.get("day"),
        params.get("start"),
        params.get("end"),
        params.get("cmp"),
        params.get("sort"),
        params.get("dir"),
        services().access.date_extent(current_scope()),
        date.today(),
    )
    start, end = (state.period.start, state.period.end) if state.period else (None, None)
    names = leaf_names(lang)
    chosen = station if isinstance(station, str) and station in names else None
    return tables(loop_figures(current_scope(), start, end, lang, chosen), lang)


def register_callbacks(app: Dash, state_store: str) -> None:
    """Wire the section to the review's state store ``state_store``."""
    app.callback(
        Output(UNITS, "children"),
        Output(DEPARTMENTS, "children"),
        Output(COMPLIANCE, "children"),
        Input(state_store, "data"),
        Input(STATION, "value"),
        State(ids.PAGE_LANG, "data"),
    )(update_loop)
