"""The review screen's state as it travels in the URL (and in the export links).

Keys: ``lang``; ``period`` (``week``, ``month`` or ``custom``); ``day`` (``YYYY-MM-DD``, any
day of the week or month); ``start`` and ``end`` (the custom range); ``cmp`` (``previous``
or ``last_year``); ``sort`` (a league-table column) and ``dir`` (``asc``/``desc``). Anything
missing or invalid falls back to its default, so every link renders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from dashboard.parts.filters import parse_date, query_params
from dashboard.parts.i18n import normalise_language
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


@dataclass(frozen=True)
class ReviewState:
    """What the review shows: the period, the comparison and the league table's order."""

    kind: str = DEFAULT_KIND
    period: Period | None = None
    compare: str = DEFAULT_COMPARE
    sort: str = DEFAULT_SORT[0]
    descending: bool = DEFAULT_SORT[1]

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
) -> ReviewState:
    """A complete state from raw values (URL parameters or control values), leniently.

    A week or month is the one holding ``day``; a custom range runs from ``start`` to
    ``end`` (swapped when reversed). Missing values take :func:`default_period`.
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
    )


def from_query(search: str | None, extent: tuple[date, date] | None, today: date) -> ReviewState:
    """The state in the query string ``search`` (defaults where missing or invalid)."""
    p = query_params(search)
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
    return params


def to_query(state: ReviewState, lang: str) -> str:
    """The query string (leading ``?``) that :func:`from_query` reads back."""
    return "?" + urlencode({"lang": normalise_language(lang), **to_params(state)}, safe=",")


def with_sort(state: ReviewState, column: str, descending: bool) -> ReviewState:
    """``state`` with the league table ordered by ``column``."""
    if column not in LEAGUE_COLUMNS:
        return state
    return replace(state, sort=column, descending=descending)
