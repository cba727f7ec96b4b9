"""The overview's state as it travels in the URL, and its translation into an IncidentFilter.

The query string is the one place the overview's state lives between pages: the case page's
back link and the language switch keep it, and a bookmarked URL restores it. Everything read
from it is validated here; a bad value falls back to the default instead of failing.

Keys: ``lang``, ``start`` and ``end`` (``YYYY-MM-DD``), ``cat``, ``src``, ``risk``, ``st``
(comma-separated codes), ``res`` (7, 8 or 9: a hexagon size chosen by hand; without it the
size follows the map's zoom), ``every`` (``1d``/``1w``), ``sel``
(``cell:<hex>`` or ``station:<code>``), ``layer`` (a map layer of :mod:`layers.registry`)
followed by that layer's parameters under their own names (``layer=hotspot&k=2``), ``tab``
(``cases`` or ``layer``: which list shows below the map), and ``table`` (a table-only layer
shown in the layer table instead of the map layer) with its parameters prefixed ``table.``
(``table=service_levels&table.state=breached``), ``over`` (a second map layer drawn with the
first: points over cells, cells under points, or its cells outlined over the first's fill) with
its parameters prefixed ``over.``, ``op`` (the two layers' opacity in percent, ``80,90``),
``week`` (``YYYY-MM-DD``, the Monday of the time slider's week) and ``win`` (weeks in the
slider's window, ending with that week).
A ``sel`` may also name a bar of the trend: ``period:<first day>.<1d|1w>[.<category>]``.

The filter keys (:data:`FILTER_KEYS`) are parsed by :func:`parse_filters` for the overview
and for the JSON API alike: leniently for the page (a bad value falls back to its default),
strictly for the API (a bad value raises :class:`FilterError` naming the key).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from dashboard.parts.i18n import normalise_language
from data.access import IncidentFilter
from data.vocab import CATEGORIES, RISK_LEVELS, SOURCES
from geo.h3cells import BASE_RESOLUTION, DISPLAY_RESOLUTIONS, cell_resolution, str_to_cell
from layers.registry import REGISTRY, LayerSpec

#: Hexagon resolutions the overview offers, coarsest first, and the default.
MAP_RESOLUTIONS: tuple[int, ...] = (7, 8, 9)
DEFAULT_RESOLUTION = 8
#: The resolution control's value that lets the map's zoom choose the hexagon size.
RES_AUTO = "auto"
#: Weeks the time slider's window may span (ending with the slider's week).
WINDOW_WEEKS: tuple[int, ...] = (1, 4)
#: Kinds of drill-down selection: a hexagon, a station, a bar of the trend.
SELECTION_KINDS: tuple[str, ...] = ("cell", "station", "period")
#: Days in the default date range, ending on the newest incident's day.
DEFAULT_RANGE_DAYS = 90
TREND_PERIODS: tuple[str, ...] = ("1d", "1w")
#: URL keys of the incident filter and the map resolution, shared with the JSON API.
FILTER_KEYS: tuple[str, ...] = ("start", "end", "cat", "src", "risk", "st", "res")
#: The map's base layer: incidents per hexagon.
DEFAULT_LAYER = "counts"
#: Layers the map can draw (cells or points), in registry order; the others are tables only.
MAP_LAYERS: tuple[str, ...] = tuple(i for i, s in REGISTRY.items() if s.geometry != "table")
TABLE_LAYERS: tuple[str, ...] = tuple(i for i, s in REGISTRY.items() if s.geometry == "table")
#: The lists below the map: the case list and the layer table.
TABS: tuple[str, ...] = ("cases", "layer")
#: URL prefix of the parameters of the table-only layer (``table.state=breached``).
TABLE_PARAM_PREFIX = "table."
#: Layers that can be drawn over (or under) the map layer: every map layer but the counts
#: (the counts are the map's base; as an overlay they would outline every hexagon).
OVERLAY_LAYERS: tuple[str, ...] = tuple(i for i in MAP_LAYERS if i != DEFAULT_LAYER)
#: The overlay selector's value for "no second layer".
NO_OVERLAY = "none"
#: URL prefix of the overlay layer's parameters (``over.k=2``).
OVERLAY_PARAM_PREFIX = "over."
#: Opacity (percent) of the map layer and of the overlay by default, and the bounds.
DEFAULT_OPACITY: tuple[int, int] = (80, 90)
OPACITY_RANGE: tuple[int, int] = (10, 100)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Longest raw value an error message repeats.
_SHOWN_CHARS = 40


class FilterError(ValueError):
    """A filter value refused by the strict parser; ``key`` is the query parameter."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


def shown(raw: object) -> str:
    """``raw`` quoted for an error message, cut to a readable length."""
    text = str(raw)
    if len(text) > _SHOWN_CHARS:
        text = text[:_SHOWN_CHARS] + "…"
    return repr(text)


@dataclass(frozen=True)
class LayerChoice:
    """A registered layer and the validated value of every one of its parameters."""

    id: str = DEFAULT_LAYER
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def spec(self) -> LayerSpec:
        """The layer's registry entry."""
        return REGISTRY[self.id]

    def values(self) -> dict[str, Any]:
        """Every parameter with its value (defaults included), as the layer expects them."""
        return {**self.spec.parse_params({}), **dict(self.params)}

    def changed(self) -> dict[str, Any]:
        """The parameters whose value differs from the default (what the URL needs)."""
        values = self.values()
        return {p.name: values[p.name] for p in self.spec.params if values[p.name] != p.default}


@dataclass(frozen=True)
class TimeWindow:
    """The time slider's window: ``weeks`` weeks ending with the week starting ``week``."""

    week: date
    weeks: int = 1

    @property
    def first_day(self) -> date:
        """The window's first day (a Monday)."""
        return self.week - timedelta(weeks=self.weeks - 1)

    @property
    def last_day(self) -> date:
        """The window's last day (a Sunday)."""
        return self.week + timedelta(days=6)


@dataclass(frozen=True)
class Selection:
    """What the drill-down selected: a station (by code), an H3 cell (hex string) or a bar
    of the trend (``period``: ``<first day>.<1d|1w>[.<category>]``)."""

    kind: str
    id: str

    def to_data(self) -> dict[str, str]:
        """The form kept in the ``selection`` dcc.Store."""
        return {"kind": self.kind, "id": self.id}

    def to_param(self) -> str:
        """The form kept in the URL (``cell:8841…`` / ``station:BA02``)."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Filters:
    """The incident filter and the map resolution, as :func:`parse_filters` reads them."""

    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    risk_levels: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()
    res: int = DEFAULT_RESOLUTION
    #: Every station code the caller may see (the strict parser checks ``st`` against it).
    known_stations: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def incident_filter(self) -> IncidentFilter:
        """The :class:`~data.access.IncidentFilter` of these values."""
        return IncidentFilter(
            start=self.start,
            end=self.end,
            categories=self.categories,
            sources=self.sources,
            risk_levels=self.risk_levels,
            stations=self.stations,
        )

    def to_data(self) -> dict[str, object]:
        """The values as JSON (what the API reports it applied)."""
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "cat": list(self.categories),
            "src": list(self.sources),
            "risk": list(self.risk_levels),
            "st": list(self.stations),
            "res": self.res,
        }


@dataclass(frozen=True)
class OverviewState:
    """Everything the overview shows, as the URL carries it."""

    #: The incident filter and the map resolution (the keys shared with the JSON API).
    filters: Filters = Filters()
    every: str = "1d"
    selection: Selection | None = None
    #: The map layer and its parameters.
    layer: LayerChoice = LayerChoice()
    #: A table-only layer shown in the layer table; None: the table shows the map layer.
    table: LayerChoice | None = None
    #: Which list shows below the map (one of :data:`TABS`).
    tab: str = "cases"
    #: Whether the map's zoom chooses the hexagon size (``filters.res`` then holds the
    #: resolution of the current zoom) or ``filters.res`` was chosen by hand.
    auto_res: bool = True
    #: The time slider's window; None: the whole date range.
    window: TimeWindow | None = None
    #: A second map layer drawn with the first (never the same layer); None: one layer.
    overlay: LayerChoice | None = None
    #: Opacity in percent of the map layer and of the overlay.
    opacity: tuple[int, int] = DEFAULT_OPACITY

    @property
    def table_layer(self) -> LayerChoice:
        """The layer the layer table shows: the chosen table-only layer, else the map layer."""
        return self.table or self.layer

    def incident_filter(self) -> IncidentFilter:
        """The filter of the controls and the time slider (without the drill-down selection):
        what the map, its layer, the KPIs and the lists show."""
        return self.window_filters().incident_filter()

    def range_filter(self) -> IncidentFilter:
        """The filter of the controls over their whole date range (the trend's)."""
        return self.filters.incident_filter()

    def window_filters(self) -> Filters:
        """The filters with their dates narrowed to the time slider's window."""
        return narrowed(self.filters, self.window)

    def case_filter(self) -> IncidentFilter:
        """The filter of the case list: the controls narrowed to the selection."""
        return selection_filter(self.incident_filter(), self.selection)


def narrowed(filters: Filters, window: TimeWindow | None) -> Filters:
    """``filters`` with its dates narrowed to ``window`` (unchanged without one)."""
    if window is None:
        return filters
    start = max(filters.start, window.first_day) if filters.start else window.first_day
    end = min(filters.end, window.last_day) if filters.end else window.last_day
    return replace(filters, start=start, end=end)


def monday(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def parse_window(
    week: object, weeks: object, start: date | None, end: date | None
) -> TimeWindow | None:
    """The slider's window from its week (``YYYY-MM-DD`` or a date) and length; None when
    either is invalid or the window misses the ``start``–``end`` range."""
    day = week if isinstance(week, date) else parse_date(week)
    if day is None:
        return None
    try:
        length = int(weeks) if weeks not in (None, "") else WINDOW_WEEKS[0]  # type: ignore[arg-type]
    except (TypeError, ValueError):
        length = WINDOW_WEEKS[0]
    window = TimeWindow(monday(day), length if length in WINDOW_WEEKS else WINDOW_WEEKS[0])
    if (end is not None and window.first_day > end) or (
        start is not None and window.last_day < start
    ):
        return None
    return window


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
    if kind == "period":
        return _parse_period(ident)
    return None


def _parse_period(ident: str) -> Selection | None:
    """A trend-bar selection ``<day>.<1d|1w>[.<category>]``; None if any part is invalid."""
    parts = ident.split(".")
    if len(parts) not in (2, 3) or parts[1] not in TREND_PERIODS:
        return None
    day = parse_date(parts[0])
    if day is None or len(parts[0]) != 10:
        return None
    if parts[1] == "1w":
        day = monday(day)
    if len(parts) == 3 and parts[2] not in CATEGORIES:
        return None
    return Selection("period", ".".join([day.isoformat(), *parts[1:]]))


def period_of(selection: Selection) -> tuple[date, date, str | None]:
    """First and last day and category (None: all) of a ``period`` selection."""
    parts = selection.id.split(".")
    first = date.fromisoformat(parts[0])
    last = first + timedelta(days=6 if parts[1] == "1w" else 0)
    return first, last, parts[2] if len(parts) == 3 else None


def parse_resolution_choice(value: object) -> int | None:
    """A resolution chosen by hand (one of :data:`MAP_RESOLUTIONS`), or None: automatic."""
    try:
        res = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return res if res in MAP_RESOLUTIONS else None


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


def parse_tab(value: object) -> str:
    """One of :data:`TABS`; the case list for anything else."""
    return value if value in TABS else TABS[0]


def parse_layer_params(
    spec: LayerSpec, raw: Mapping[str, object], *, strict: bool = False
) -> tuple[tuple[str, Any], ...]:
    """Validated values of every parameter of ``spec`` (in registry order) from ``raw``.

    Leniently (the page) an unknown name is ignored and a bad value falls back to the
    default; strictly (the API) both raise ``ValueError`` naming the parameter. A value of
    None or ``""`` means "not given".
    """
    given = {k: v for k, v in raw.items() if v is not None and v != ""}
    if strict:
        values = spec.parse_params(given)
        return tuple((p.name, values[p.name]) for p in spec.params)
    out = []
    for p in spec.params:
        value = p.default
        if p.name in given:
            try:
                value = p.parse(given[p.name])
            except ValueError:
                value = p.default
        out.append((p.name, value))
    return tuple(out)


def layer_choice(
    layer_id: object, raw: Mapping[str, object], allowed: Sequence[str] = MAP_LAYERS
) -> LayerChoice:
    """The layer ``layer_id`` (the base layer if it is not ``allowed``) with its parameters
    from ``raw``, leniently validated."""
    chosen = layer_id if isinstance(layer_id, str) and layer_id in allowed else allowed[0]
    return LayerChoice(chosen, parse_layer_params(REGISTRY[chosen], raw))


def parse_table(value: object, raw: Mapping[str, object]) -> LayerChoice | None:
    """The table-only layer the layer table shows, or None (it follows the map layer)."""
    if not isinstance(value, str) or value not in TABLE_LAYERS:
        return None
    return layer_choice(value, raw, TABLE_LAYERS)


def parse_overlay(value: object, layer_id: str, raw: Mapping[str, object]) -> LayerChoice | None:
    """The layer drawn with the map layer ``layer_id``, or None (none chosen, an unknown one,
    or the map layer itself)."""
    if not isinstance(value, str) or value not in OVERLAY_LAYERS or value == layer_id:
        return None
    return layer_choice(value, raw, OVERLAY_LAYERS)


def parse_opacity(value: object, default: int) -> int:
    """An opacity in percent within :data:`OPACITY_RANGE` (``default`` for anything else)."""
    try:
        number = int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return default
    low, high = OPACITY_RANGE
    return min(max(number, low), high)


def parse_opacities(value: object) -> tuple[int, int]:
    """The two opacities of the URL's ``op`` (``"80,90"``); defaults where one is missing."""
    parts = value.split(",") if isinstance(value, str) else []
    parts += [None] * (2 - len(parts))
    return (
        parse_opacity(parts[0], DEFAULT_OPACITY[0]),
        parse_opacity(parts[1], DEFAULT_OPACITY[1]),
    )


def _prefixed(params: Mapping[str, str], prefix: str) -> dict[str, str]:
    """The parameters under ``prefix`` (``table.`` or ``over.``), without it."""
    return {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}


def _strict_codes(key: str, raw: str | None, allowed: Sequence[str], what: str) -> None:
    if raw is None:
        return
    unknown = [c for c in raw.split(",") if c not in allowed]
    if unknown:
        raise FilterError(
            key,
            f"unknown {what} {', '.join(shown(c) for c in unknown[:5])}; "
            f"known: {', '.join(allowed) or 'none'}",
        )


def parse_filters(
    params: Mapping[str, str],
    extent: tuple[date, date] | None,
    station_codes: Sequence[str] = (),
    *,
    strict: bool = False,
) -> Filters:
    """The filter keys of ``params`` (:data:`FILTER_KEYS`); missing dates span the default range.

    Leniently a bad value falls back to its default and unknown codes are dropped (the page
    must always render); with ``strict`` any bad value raises :class:`FilterError` naming
    the key (the API must say what is wrong). ``station_codes`` are the stations the caller
    may see; ``extent`` gives the default date range (:func:`default_range`).
    """
    given = {k: params[k] for k in FILTER_KEYS if params.get(k) not in (None, "")}
    if strict:
        for key in ("start", "end"):
            if key in given and (not _ISO_DATE.match(given[key]) or parse_date(given[key]) is None):
                raise FilterError(key, f"{shown(given[key])} is not a date (YYYY-MM-DD)")
        _strict_codes("cat", given.get("cat"), CATEGORIES, "category")
        _strict_codes("src", given.get("src"), SOURCES, "source")
        _strict_codes("risk", given.get("risk"), RISK_LEVELS, "risk level")
        _strict_codes("st", given.get("st"), station_codes, "station")
        if "res" in given and given["res"] not in {str(r) for r in MAP_RESOLUTIONS}:
            allowed = ", ".join(str(r) for r in MAP_RESOLUTIONS)
            raise FilterError("res", f"{shown(given['res'])} is not one of {allowed}")
    default_start, default_end = default_range(extent)
    start = parse_date(given.get("start")) or default_start
    end = parse_date(given.get("end")) or default_end
    if start is not None and end is not None and start > end:
        if strict:
            raise FilterError("start", f"{start} is after end {end}")
        start, end = end, start
    return Filters(
        start=start,
        end=end,
        categories=parse_codes(given.get("cat"), CATEGORIES),
        sources=parse_codes(given.get("src"), SOURCES),
        risk_levels=parse_codes(given.get("risk"), RISK_LEVELS),
        stations=parse_codes(given.get("st"), station_codes),
        res=parse_resolution(given.get("res")),
        known_stations=tuple(station_codes),
    )


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
    auto_res: int | None = None,
) -> OverviewState:
    """The overview state in ``search``, defaults where a value is missing or invalid.

    ``extent`` (first and last day with incidents) gives the default date range;
    ``station_codes`` are the stations the user may see (others are dropped, as filters and
    as the selection); ``auto_res``
    is the resolution of the map's zoom, used when the URL chooses none.
    """
    params = query_params(search)
    table_raw = _prefixed(params, TABLE_PARAM_PREFIX)
    layer = layer_choice(params.get("layer"), params)
    filters = parse_filters(params, extent, station_codes)
    manual = parse_resolution_choice(params.get("res"))
    if manual is None and auto_res is not None:
        filters = replace(filters, res=auto_res)
    selection = parse_selection(params.get("sel"))
    if selection is not None and selection.kind == "station" and station_codes:
        # a station the user may not see, or none of that code: nothing is selected
        selection = selection if selection.id in station_codes else None
    return OverviewState(
        filters=filters,
        every=parse_every(params.get("every")),
        selection=selection,
        layer=layer,
        table=parse_table(params.get("table"), table_raw),
        tab=parse_tab(params.get("tab")),
        auto_res=manual is None,
        window=parse_window(params.get("week"), params.get("win"), filters.start, filters.end),
        overlay=parse_overlay(
            params.get("over"), layer.id, _prefixed(params, OVERLAY_PARAM_PREFIX)
        ),
        opacity=parse_opacities(params.get("op")),
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
    *,
    layer: object = DEFAULT_LAYER,
    layer_params: Mapping[str, Mapping[str, object]] | None = None,
    table: object = None,
    tab: object = "cases",
    zoom_res: object = None,
    window: TimeWindow | None = None,
    overlay: object = None,
    opacity: object = None,
    overlay_opacity: object = None,
) -> OverviewState:
    """The overview state from the controls' values (as callbacks receive them).

    ``layer_params`` holds the parameter controls' values per layer id (see
    :func:`control_values`); those of the chosen map and table layers are used. ``res`` is
    a resolution chosen by hand or :data:`RES_AUTO` (or None): the resolution of the map's
    zoom ``zoom_res`` then (the default resolution without one). ``window`` is the time
    slider's (see :mod:`dashboard.screens.overview.time_slider`). ``overlay`` is the second
    layer (its parameters also from ``layer_params``), ``opacity``/``overlay_opacity`` the two
    layers' opacity in percent.
    """
    manual = parse_resolution_choice(res)
    effective = manual if manual is not None else _display_resolution(zoom_res)
    start_day, end_day = parse_date(start), parse_date(end)
    if start_day is not None and end_day is not None and start_day > end_day:
        start_day, end_day = end_day, start_day
    station_values = stations if isinstance(stations, list | tuple) else ()
    chosen = layer_choice(layer, (layer_params or {}).get(str(layer), {}))
    return OverviewState(
        filters=Filters(
            start=start_day,
            end=end_day,
            categories=parse_codes(categories, CATEGORIES),
            sources=parse_codes(sources, SOURCES),
            risk_levels=parse_codes(risk_levels, RISK_LEVELS),
            stations=tuple(dict.fromkeys(str(s) for s in station_values)),
            res=effective,
        ),
        every=parse_every(every),
        selection=parse_selection(selection),
        layer=chosen,
        table=parse_table(table, (layer_params or {}).get(str(table), {})),
        tab=parse_tab(tab),
        auto_res=manual is None,
        window=window,
        overlay=parse_overlay(overlay, chosen.id, (layer_params or {}).get(str(overlay), {})),
        opacity=(
            parse_opacity(opacity, DEFAULT_OPACITY[0]),
            parse_opacity(overlay_opacity, DEFAULT_OPACITY[1]),
        ),
    )


def _display_resolution(value: object) -> int:
    """A resolution the map can draw (:data:`geo.h3cells.DISPLAY_RESOLUTIONS`), else the
    default."""
    try:
        res = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_RESOLUTION
    return res if res in DISPLAY_RESOLUTIONS else DEFAULT_RESOLUTION


def control_values(
    ids: Sequence[Mapping[str, str]] | None, values: Sequence[object] | None
) -> dict[str, dict[str, object]]:
    """Parameter controls' values per layer: ``{"hotspot": {"k": 2, "fdr": True}}``.

    ``ids`` are the controls' pattern-matching ids (``{"layer", "param", …}``) and ``values``
    their values, in the same order. A checkbox reports a list: checked when it is not empty.
    """
    out: dict[str, dict[str, object]] = {}
    for ident, value in zip(ids or (), values or (), strict=False):
        if not isinstance(ident, Mapping):
            continue
        layer_id, name = ident.get("layer"), ident.get("param")
        if layer_id not in REGISTRY or not isinstance(name, str):
            continue
        if isinstance(value, list):
            value = bool(value)
        out.setdefault(layer_id, {})[name] = value
    return out


def to_query(state: OverviewState, lang: str) -> str:
    """The URL query string (with the leading ``?``) that :func:`from_query` reads back."""
    params: dict[str, str] = {"lang": normalise_language(lang)}
    flt = state.filters
    if flt.start is not None:
        params["start"] = flt.start.isoformat()
    if flt.end is not None:
        params["end"] = flt.end.isoformat()
    for key, values in (
        ("cat", flt.categories),
        ("src", flt.sources),
        ("risk", flt.risk_levels),
        ("st", flt.stations),
    ):
        if values:
            params[key] = ",".join(values)
    if not state.auto_res:
        params["res"] = str(flt.res)
    if state.every != "1d":
        params["every"] = state.every
    if state.selection is not None:
        params["sel"] = state.selection.to_param()
    if state.layer.id != DEFAULT_LAYER:
        params["layer"] = state.layer.id
        params.update({k: _param_text(v) for k, v in state.layer.changed().items()})
    if state.tab != TABS[0]:
        params["tab"] = state.tab
    if state.table is not None:
        params["table"] = state.table.id
        params.update(
            {TABLE_PARAM_PREFIX + k: _param_text(v) for k, v in state.table.changed().items()}
        )
    if state.window is not None:
        params["week"] = state.window.week.isoformat()
        if state.window.weeks != WINDOW_WEEKS[0]:
            params["win"] = str(state.window.weeks)
    if state.overlay is not None:
        params["over"] = state.overlay.id
        params.update(
            {OVERLAY_PARAM_PREFIX + k: _param_text(v) for k, v in state.overlay.changed().items()}
        )
    if state.opacity != DEFAULT_OPACITY:
        params["op"] = ",".join(str(v) for v in state.opacity)
    return "?" + urlencode(params, safe=",:")


def _param_text(value: object) -> str:
    """A parameter value as the URL writes it (``true``/``false`` for booleans)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
    if selection.kind == "period":
        first, last, category = period_of(selection)
        flt = replace(
            flt,
            start=max(flt.start, first) if flt.start else first,
            end=min(flt.end, last) if flt.end else last,
        )
        if category is None:
            return flt
        # A bar of a category the filter leaves out cannot be clicked; should the URL name
        # one anyway, nothing matches (an empty tuple would mean "every category").
        inside = not flt.categories or category in flt.categories
        return replace(flt, categories=(category,) if inside else ("",))
    if flt.stations and selection.id not in flt.stations:
        # Both must hold: a beat clicked inside a filtered district, or nothing at all.
        return replace(flt, within=(selection.id,))
    return replace(flt, stations=(selection.id,))


def with_selection(state: OverviewState, selection: Selection | None) -> OverviewState:
    """``state`` with another drill-down selection."""
    return replace(state, selection=selection)
