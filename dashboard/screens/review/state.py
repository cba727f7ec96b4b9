"""The review screen's state as it travels in the URL (and in the export links).

Keys: ``lang``; ``period`` (``week``, ``month`` or ``custom``); ``day`` (``YYYY-MM-DD``, any
day of the week or month); ``start`` and ``end`` (the custom range); ``cmp`` (``previous``
or ``last_year``); ``sort`` (a league-table column) and ``dir`` (``asc``/``desc``); ``area_a``
and ``area_b`` (two areas drawn on the overview's map, compared side by side). Anything
missing or invalid falls back to its default, so every link renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from dashboard.parts.filters import parse_date, query_params
from dashboard.parts.i18n import normalise_language
from geo import areas as drawn
from measures import better_direction
from measures.review import (
    COMPARISONS,
    LEAGUE_COLUMNS,
    MEASURES,
    PERIOD_KINDS,
    Period,
    comparison_of,
    default_period,
    period_of,
)

#: The league table's first order: worst first on service-level compliance (the lowest share
#: of checks met on top), the measure a meeting reviews stations by.
DEFAULT_SORT = ("sla_compliance", False)
DEFAULT_KIND = "month"
DEFAULT_COMPARE = "previous"


#: The URL keys of the two drawn areas compared.
AREA_KEYS: tuple[str, str] = ("area_a", "area_b")


def parse_areas(first: object, second: object) -> tuple[str, ...]:
    """Both areas as canonical :mod:`geo.areas` text, or ``()`` unless both are valid (one
    area alone is not a comparison; a bad one says nothing rather than half a table)."""
    if not isinstance(first, str) or not isinstance(second, str):
        return ()
    try:
        return (drawn.parse(first).text(), drawn.parse(second).text())
    except drawn.AreaError:
        return ()


@dataclass(frozen=True)
class ReviewState:
    """What the review shows: the period, the comparison and the league table's order."""

    kind: str = DEFAULT_KIND
    period: Period | None = None
    compare: str = DEFAULT_COMPARE
    sort: str = DEFAULT_SORT[0]
    descending: bool = DEFAULT_SORT[1]
    #: Two drawn areas to compare (:mod:`geo.areas` text), or none.
    areas: tuple[str, ...] = ()

    def comparison(self) -> Period:
        """The comparison period (the state must have its period)."""
        if self.period is None:
            raise ValueError("the review state has no period yet")
        return comparison_of(self.period, self.kind, self.compare)


def resolve(
    kind: object,
    day: object,
    start: object,
    end: object,
    compare: object,
    sort: object,
    direction: object,
    extent: tuple[date, date] | None,
    today: date,
    areas: tuple[object, object] = (None, None),
) -> ReviewState:
    """A complete state from raw values (URL parameters or control values), leniently.

    A week or month is the one holding ``day``; a custom range runs from ``start`` to
    ``end`` (swapped when reversed). Missing values take :func:`default_period`. ``areas``
    are the two drawn areas' raw texts (kept only when both are valid).
    """
    kind = kind if kind in PERIOD_KINDS else DEFAULT_KIND
    if kind == "custom":
        first, last = parse_date(start), parse_date(end)
        if first is None or last is None:
            period = default_period(kind, extent, today)
        else:
            period = Period(min(first, last), max(first, last))
    else:
        anchor = parse_date(day)
        period = period_of(kind, anchor) if anchor else default_period(kind, extent, today)
    column = sort if sort in LEAGUE_COLUMNS else DEFAULT_SORT[0]
    if direction in ("asc", "desc"):
        descending = direction != "asc"
    else:  # a column without its direction: worst first on it
        descending = better_direction(column if column in MEASURES else "incidents") != "up"
    return ReviewState(
        kind=kind,
        period=period,
        compare=compare if compare in COMPARISONS else DEFAULT_COMPARE,
        sort=column,
        descending=descending,
        areas=parse_areas(*areas),
    )


def from_query(search: str | None, extent: tuple[date, date] | None, today: date) -> ReviewState:
    """The state in the query string ``search`` (defaults where missing or invalid)."""
    return from_params(query_params(search), extent, today)


def from_params(
    params: Mapping[str, object] | None, extent: tuple[date, date] | None, today: date
) -> ReviewState:
    """The state in the store's parameters (:func:`to_params`' keys), leniently."""
    p = params or {}
    return resolve(
        p.get("period"),
        p.get("day"),
        p.get("start"),
        p.get("end"),
        p.get("cmp"),
        p.get("sort"),
        p.get("dir"),
        extent,
        today,
        (p.get(AREA_KEYS[0]), p.get(AREA_KEYS[1])),
    )


def to_params(state: ReviewState) -> dict[str, str]:
    """The state's URL parameters (without ``lang``)."""
    params = {"period": state.kind}
    if state.period is not None:
        if state.kind == "custom":
            params["start"] = state.period.start.isoformat()
            params["end"] = state.period.end.isoformat()
        else:
            params["day"] = state.period.start.isoformat()
    params["cmp"] = state.compare
    if (state.sort, state.descending) != DEFAULT_SORT:
        params["sort"] = state.sort
        params["dir"] = "desc" if state.descending else "asc"
    params.update(zip(AREA_KEYS, state.areas, strict=False))
    return params


def to_query(state: ReviewState, lang: str) -> str:
    """The query string (leading ``?``) that :func:`from_query` reads back."""
    return "?" + urlencode({"lang": normalise_language(lang), **to_params(state)}, safe=",:")


def with_sort(state: ReviewState, column: str, descending: bool) -> ReviewState:
    """``state`` with the league table ordered by ``column``."""
    if column not in LEAGUE_COLUMNS:
        return state
    return replace(state, sort=column, descending=descending)
