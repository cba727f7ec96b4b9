"""The overview's state as it travels in the URL, and its translation into an IncidentFilter.

The query string is the one place the overview's state lives between pages: the case page's
back link and the language switch keep it, and a bookmarked URL restores it. Everything read
from it is validated here; a bad value falls back to the default instead of failing.

Keys: ``lang``, ``start`` and ``end`` (``YYYY-MM-DD``), ``cat``, ``src``, ``risk``, ``st``
(comma-separated codes), ``res`` (7, 8 or 9), ``every`` (``1d``/``1w``), ``sel``
(``cell:<hex>`` or ``station:<code>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from dashboard.i18n import normalise_language
from data.access import IncidentFilter
from data.vocab import CATEGORIES, RISK_LEVELS, SOURCES
from geo.h3cells import BASE_RESOLUTION, cell_resolution, str_to_cell

#: Hexagon resolutions the overview offers, coarsest first, and the default.
MAP_RESOLUTIONS: tuple[int, ...] = (7, 8, 9)
DEFAULT_RESOLUTION = 8
#: Days in the default date range, ending on the newest incident's day.
DEFAULT_RANGE_DAYS = 90
TREND_PERIODS: tuple[str, ...] = ("1d", "1w")
#: Never matches: a station filter intersected with a station outside it selects nothing.
_NO_STATION: tuple[str, ...] = ("",)


@dataclass(frozen=True)
class Selection:
    """What the drill-down selected: a station (by code) or an H3 cell (hex string)."""

    kind: str
    id: str

    def to_data(self) -> dict[str, str]:
        """The form kept in the ``selection`` dcc.Store."""
        return {"kind": self.kind, "id": self.id}

    def to_param(self) -> str:
        """The form kept in the URL (``cell:8841…`` / ``station:BA02``)."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class OverviewState:
    """Everything the overview shows, as the URL carries it."""

    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()
    res: int = DEFAULT_RESOLUTION
    every: str = "1d"
    selection: Selection | None = None

    def incident_filter(self) -> IncidentFilter:
        """The filter of the controls (without the drill-down selection)."""
        return IncidentFilter(
            start=self.start,
            end=self.end,
            categories=self.categories,
            sources=self.sources,
            risk_levels=self.risk_levels,
            stations=self.stations,
        )

    def case_filter(self) -> IncidentFilter:
        """The filter of the case list: the controls narrowed to the selection."""
        return selection_filter(self.incident_filter(), self.selection)


def default_range(extent: tuple[date, date] | None) -> tuple[date | None, date | None]:
    """The last :data:`DEFAULT_RANGE_DAYS` days up to the newest incident (None, None if none)."""
    if extent is None:
        return None, None
    first, last = extent
    return max(first, last - timedelta(days=DEFAULT_RANGE_DAYS - 1)), last


def parse_date(value: object) -> date | None:
    """A date from ``YYYY-MM-DD`` (a time part, as date pickers may add, is ignored)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_codes(values: object, allowed: Iterable[str]) -> tuple[str, ...]:
    """Known codes from a dropdown value or a comma-separated string, in ``allowed`` order."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    if not isinstance(values, list | tuple):
        return ()
    chosen = {str(v) for v in values}
    return tuple(code for code in allowed if code in chosen)


def parse_selection(value: object) -> Selection | None:
    """A :class:`Selection` from store data (dict) or a URL parameter; None if invalid."""
    if isinstance(value, dict):
        kind, ident = value.get("kind"), value.get("id")
    elif isinstance(value, str) and ":" in value:
        kind, ident = value.split(":", 1)
    else:
        return None
    if not isinstance(ident, str) or not ident:
        return None
    if kind == "cell":
        try:
            cell = str_to_cell(ident)
        except ValueError:
            return None
        if cell_resolution(cell) > BASE_RESOLUTION:
            return None
        return Selection("cell", ident.lower())
    if kind == "station" and len(ident) <= 32:
        return Selection("station", ident)
    return None


def parse_resolution(value: object) -> int:
    """One of :data:`MAP_RESOLUTIONS`; the default for anything else."""
    try:
        res = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_RESOLUTION
    return res if res in MAP_RESOLUTIONS else DEFAULT_RESOLUTION


def parse_every(value: object) -> str:
    """``'1d'`` or ``'1w'``; daily for anything else."""
    return value if value in TREND_PERIODS else "1d"


def query_params(search: str | None) -> dict[str, str]:
    """The URL's query parameters, last value of each (``?a=1&b=2`` → ``{"a": "1", "b": "2"}``)."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {k: v[-1] for k, v in parsed.items()}


def language_of(search: str | None, stored: object = None, default: str = "zh") -> str:
    """The interface language: the URL's ``lang`` first, then the stored choice, then default."""
    params = query_params(search)
    if "lang" in params:
        return normalise_language(params["lang"])
    if stored:
        return normalise_language(stored)
    return normalise_language(default)


def from_query(
    search: str | None,
    extent: tuple[date, date] | None,
    station_codes: Sequence[str] = (),
) -> OverviewState:
    """The overview state in ``search``, defaults where a value is missing or invalid.

    ``extent`` (first and last day with incidents) gives the default date range;
    ``station_codes`` are the stations the user may see (others are dropped).
    """
    params = query_params(search)
    default_start, default_end = default_range(extent)
    start = parse_date(params.get("start")) or default_start
    end = parse_date(params.get("end")) or default_end
    if start is not None and end is not None and start > end:
        start, end = end, start
    return OverviewState(
        start=start,
        end=end,
        categories=parse_codes(params.get("cat"), CATEGORIES),
        sources=parse_codes(params.get("src"), SOURCES),
        risk_levels=parse_codes(params.get("risk"), RISK_LEVELS),
        stations=parse_codes(params.get("st"), station_codes),
        res=parse_resolution(params.get("res")),
        every=parse_every(params.get("every")),
        selection=parse_selection(params.get("sel")),
    )


def from_controls(
    start: object,
    end: object,
    categories: object,
    sources: object,
    risk_levels: object,
    stations: object,
    res: object = DEFAULT_RESOLUTION,
    every: object = "1d",
    selection: object = None,
) -> OverviewState:
    """The overview state from the controls' values (as callbacks receive them)."""
    start_day, end_day = parse_date(start), parse_date(end)
    if start_day is not None and end_day is not None and start_day > end_day:
        start_day, end_day = end_day, start_day
    station_values = stations if isinstance(stations, list | tuple) else ()
    return OverviewState(
        start=start_day,
        end=end_day,
        categories=parse_codes(categories, CATEGORIES),
        sources=parse_codes(sources, SOURCES),
        risk_levels=parse_codes(risk_levels, RISK_LEVELS),
        stations=tuple(dict.fromkeys(str(s) for s in station_values)),
        res=parse_resolution(res),
        every=parse_every(every),
        selection=parse_selection(selection),
    )


def to_query(state: OverviewState, lang: str) -> str:
    """The URL query string (with the leading ``?``) that :func:`from_query` reads back."""
    params: dict[str, str] = {"lang": normalise_language(lang)}
    if state.start is not None:
        params["start"] = state.start.isoformat()
    if state.end is not None:
        params["end"] = state.end.isoformat()
    for key, values in (
        ("cat", state.categories),
        ("src", state.sources),
        ("risk", state.risk_levels),
        ("st", state.stations),
    ):
        if values:
            params[key] = ",".join(values)
    if state.res != DEFAULT_RESOLUTION:
        params["res"] = str(state.res)
    if state.every != "1d":
        params["every"] = state.every
    if state.selection is not None:
        params["sel"] = state.selection.to_param()
    return "?" + urlencode(params, safe=",:")


def with_language(search: str | None, lang: str) -> str:
    """``search`` with its ``lang`` parameter set to ``lang`` (other parameters kept)."""
    params = query_params(search)
    params["lang"] = normalise_language(lang)
    return "?" + urlencode(params, safe=",:")


def selection_filter(flt: IncidentFilter, selection: Selection | None) -> IncidentFilter:
    """``flt`` narrowed to the incidents of ``selection`` (unchanged without one)."""
    if selection is None:
        return flt
    if selection.kind == "cell":
        return replace(flt, cells=(str_to_cell(selection.id),))
    if flt.stations and selection.id not in flt.stations:
        return replace(flt, stations=_NO_STATION)
    return replace(flt, stations=(selection.id,))


def with_selection(state: OverviewState, selection: Selection | None) -> OverviewState:
    """``state`` with another drill-down selection."""
    return replace(state, selection=selection)
