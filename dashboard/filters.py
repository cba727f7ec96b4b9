"""The overview's state as it travels in the URL, and its translation into an IncidentFilter.

The query string is the one place the overview's state lives between pages: the case page's
back link and the language switch keep it, and a bookmarked URL restores it. Everything read
from it is validated here; a bad value falls back to the default instead of failing.

Keys: ``lang``, ``start`` and ``end`` (``YYYY-MM-DD``), ``cat``, ``src``, ``risk``, ``st``
(comma-separated codes), ``res`` (7, 8 or 9), ``every`` (``1d``/``1w``), ``sel``
(``cell:<hex>`` or ``station:<code>``), ``layer`` (a map layer of :mod:`layers.registry`)
followed by that layer's parameters under their own names (``layer=hotspot&k=2``), ``tab``
(``cases`` or ``layer``: which list shows below the map), and ``table`` (a table-only layer
shown in the layer table instead of the map layer) with its parameters prefixed ``table.``
(``table=service_levels&table.state=breached``).

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

from dashboard.i18n import normalise_language
from data.access import IncidentFilter
from data.vocab import CATEGORIES, RISK_LEVELS, SOURCES
from geo.h3cells import BASE_RESOLUTION, cell_resolution, str_to_cell
from layers.registry import REGISTRY, LayerSpec

#: Hexagon resolutions the overview offers, coarsest first, and the default.
MAP_RESOLUTIONS: tuple[int, ...] = (7, 8, 9)
DEFAULT_RESOLUTION = 8
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

    @property
    def table_layer(self) -> LayerChoice:
        """The layer the layer table shows: the chosen table-only layer, else the map layer."""
        return self.table or self.layer

    def incident_filter(self) -> IncidentFilter:
        """The filter of the controls (without the drill-down selection)."""
        return self.filters.incident_filter()

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
) -> OverviewState:
    """The overview state in ``search``, defaults where a value is missing or invalid.

    ``extent`` (first and last day with incidents) gives the default date range;
    ``station_codes`` are the stations the user may see (others are dropped).
    """
    params = query_params(search)
    table_raw = {
        k[len(TABLE_PARAM_PREFIX) :]: v
        for k, v in params.items()
        if k.startswith(TABLE_PARAM_PREFIX)
    }
    return OverviewState(
        filters=parse_filters(params, extent, station_codes),
        every=parse_every(params.get("every")),
        selection=parse_selection(params.get("sel")),
        layer=layer_choice(params.get("layer"), params),
        table=parse_table(params.get("table"), table_raw),
        tab=parse_tab(params.get("tab")),
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
) -> OverviewState:
    """The overview state from the controls' values (as callbacks receive them).

    ``layer_params`` holds the parameter controls' values per layer id (see
    :func:`control_values`); those of the chosen map and table layers are used.
    """
    start_day, end_day = parse_date(start), parse_date(end)
    if start_day is not None and end_day is not None and start_day > end_day:
        start_day, end_day = end_day, start_day
    station_values = stations if isinstance(stations, list | tuple) else ()
    return OverviewState(
        filters=Filters(
            start=start_day,
            end=end_day,
            categories=parse_codes(categories, CATEGORIES),
            sources=parse_codes(sources, SOURCES),
            risk_levels=parse_codes(risk_levels, RISK_LEVELS),
            stations=tuple(dict.fromkeys(str(s) for s in station_values)),
            res=parse_resolution(res),
        ),
        every=parse_every(every),
        selection=parse_selection(selection),
        layer=layer_choice(layer, (layer_params or {}).get(str(layer), {})),
        table=parse_table(table, (layer_params or {}).get(str(table), {})),
        tab=parse_tab(tab),
    )


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
    if flt.res != DEFAULT_RESOLUTION:
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
    if flt.stations and selection.id not in flt.stations:
        # Both must hold: a beat clicked inside a filtered district, or nothing at all.
        return replace(flt, within=(selection.id,))
    return replace(flt, stations=(selection.id,))


def with_selection(state: OverviewState, selection: Selection | None) -> OverviewState:
    """``state`` with another drill-down selection."""
    return replace(state, selection=selection)
