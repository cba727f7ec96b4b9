"""What callbacks and routes of one app share: its data-access layer and its caches.

Each app created by :func:`dashboard.create_app` keeps one :class:`Services` in its Flask
extensions, so two apps in one process (tests do this) never see each other's database.
Callbacks run inside the Flask request and reach it with :func:`services`.

Analytic layers are cached (:meth:`Services.layer`): the map, its legend, the layer table and
the JSON API ask for the same result several times per interaction, and a table page or a
sort must not recompute it. A result is keyed by everything it depends on: the snapshot's
data version, the scope, the filter, the layer and its validated parameters, the resolution
and the time "now" (to the minute).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import polars as pl
from flask import Flask, current_app

from dashboard.parts.figures import playback_top
from dashboard.parts.geometry import GeometryCache
from data.access import CaseAccess, IncidentFilter, Scope
from data.places import load_places, places_version
from geo.h3cells import BASE_RESOLUTION, cell_to_latlng
from geo.places import PlaceIndex
from layers.registry import layer as registered_layer

EXTENSION_KEY = "anning"
#: Seconds a station-name lookup is reused before it is read again.
NAMES_TTL_SECONDS = 60.0
#: Cell names kept per process (a district at resolution 9 has a few thousand cells).
CELL_NAMES_MAX = 50_000
#: Layer results kept (least recently used dropped first). A result at 30,000 incidents is
#: at most a few thousand rows; 32 cover a few users switching layers and parameters.
LAYER_CACHE_SIZE = 32
#: The clock is read to the minute, so a result is reused within the minute.
NOW_GRANULARITY = timedelta(minutes=1)

LayerKey = tuple[object, ...]


def layer_now(end: date | None, tz: str, clock: datetime | None = None) -> datetime:
    """The time "now" a layer is computed at, for a filter ending on ``end``.

    The clock (UTC, cut to :data:`NOW_GRANULARITY`), or the end of ``end`` (local midnight
    after it, in ``tz``) when that is earlier: looking at a past period shows the layers as
    they stood at its end, not as of today with the period's incidents only.
    """
    now = (clock or datetime.now(UTC)).astimezone(UTC)
    step = int(NOW_GRANULARITY.total_seconds())
    now = datetime.fromtimestamp(int(now.timestamp()) // step * step, UTC)
    if end is None:
        return now
    end_of_day = datetime.combine(end + timedelta(days=1), clock_time(), ZoneInfo(tz))
    return min(now, end_of_day.astimezone(UTC))


@dataclass
class Services:
    """The data-access layer of one app and the caches built on it."""

    access: CaseAccess
    geometry: GeometryCache = field(init=False)
    _names: dict[tuple[frozenset[str] | None, str], tuple[float, dict[str, str]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _layers: OrderedDict[LayerKey, pl.DataFrame] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _places: tuple[float, tuple[int, int], PlaceIndex] | None = field(
        default=None, init=False, repr=False
    )
    _cell_names: dict[tuple[int, str, bool], str] = field(
        default_factory=dict, init=False, repr=False
    )
    _tops: dict[tuple, int] = field(default_factory=dict, init=False, repr=False)
    #: Cache hits and misses since start (for measurements and tests).
    layer_hits: int = field(default=0, init=False)
    layer_misses: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.geometry = GeometryCache(
            lambda key: self.access.stations(Scope(user="geometry", stations=key))
        )

    def station_names(self, scope: Scope, lang: str) -> dict[str, str]:
        """Station code → name in ``lang`` for the stations ``scope`` may see."""
        key = (scope.stations, lang)
        now = time.monotonic()
        with self._lock:
            cached = self._names.get(key)
            if cached is not None and now - cached[0] < NAMES_TTL_SECONDS:
                return cached[1]
        names = {
            s.code: (s.name_en if lang == "en" else s.name_zh) for s in self.access.stations(scope)
        }
        with self._lock:
            self._names[key] = (now, names)
        return names

    def places(self) -> PlaceIndex:
        """The stored places (:mod:`geo.places`), read again when ``python app.py places``
        changed them (checked at most every :data:`NAMES_TTL_SECONDS`)."""
        now = time.monotonic()
        with self._lock:
            cached = self._places
        if cached is not None and now - cached[0] < NAMES_TTL_SECONDS:
            return cached[2]
        version = places_version(self.access.engine)
        if cached is not None and cached[1] == version:
            index = cached[2]
        else:
            index = load_places(self.access.engine)
            with self._lock:
                self._cell_names.clear()
        with self._lock:
            self._places = (now, version, index)
        return index

    def cell_names(self, cells: Iterable[int], lang: str, street: bool = True) -> dict[int, str]:
        """H3 cell → the name of its centre's place (``西乡街道 · 固戍社区 · 近宝安大道``;
        without the street when ``street`` is False); cells no place names are left out
        (callers show the cell id)."""
        index = self.places()
        out: dict[int, str] = {}
        for cell in cells:
            key = (int(cell), lang, street)
            with self._lock:
                name = self._cell_names.get(key)
            if name is None:
                lat, lng = cell_to_latlng(int(cell))
                name = index.name_point(lng, lat).text(lang, street)
                with self._lock:
                    if len(self._cell_names) > CELL_NAMES_MAX:
                        self._cell_names.clear()
                    self._cell_names[key] = name
            if name:
                out[int(cell)] = name
        return out

    def layer(
        self,
        scope: Scope,
        flt: IncidentFilter,
        layer_id: str,
        params: Mapping[str, object] | None = None,
        res: int = BASE_RESOLUTION,
        now: datetime | None = None,
    ) -> pl.DataFrame:
        """The result of a registered layer (see :meth:`CaseAccess.layer`), from the cache
        when nothing it depends on changed.

        ``now`` defaults to :func:`layer_now` for the filter's end. Raises ``KeyError`` for
        an unknown layer and ``ValueError`` for a bad parameter, each naming the culprit.
        """
        spec = registered_layer(layer_id)
        values = spec.parse_params(params or {})
        moment = now or layer_now(flt.end, self.access.tz)
        # The scope minus the caller's address: what it may see, not where it asks from.
        who = replace(scope, remote_addr=None)
        key: LayerKey = (
            self._data_version(),
            who,
            flt,
            layer_id,
            tuple(values.items()),
            res,
            moment,
        )
        with self._lock:
            cached = self._layers.get(key)
            if cached is not None:
                self._layers.move_to_end(key)
                self.layer_hits += 1
                return cached
        result = self.access.layer(scope, flt, layer_id, values, res, moment)
        with self._lock:
            self.layer_misses += 1
            self._layers[key] = result
            self._layers.move_to_end(key)
            while len(self._layers) > LAYER_CACHE_SIZE:
                self._layers.popitem(last=False)
        return result

    def playback_top(self, scope: Scope, flt: IncidentFilter, res: int, weeks: int) -> int:
        """The colour-scale top the time slider keeps over the range of ``flt``
        (:func:`dashboard.parts.figures.playback_top`), worked out once per data version:
        playback asks for it at every week it shows."""
        key = (self._data_version(), replace(scope, remote_addr=None), flt, res, weeks)
        with self._lock:
            top = self._tops.get(key)
        if top is None:
            top = playback_top(self.access.cell_week_counts(scope, flt, res), weeks)
            with self._lock:
                if len(self._tops) >= LAYER_CACHE_SIZE:
                    self._tops.clear()
                self._tops[key] = top
        return top

    def _data_version(self) -> int | str:
        """The store revision the data reflects, brought up to date (see
        :meth:`CaseAccess.data_version`)."""
        return self.access.data_version()

    def case_refs(
        self, scope: Scope, numbers: Iterable[str] = (), ids: Iterable[int] = ()
    ) -> tuple[dict[str, int], dict[int, str]]:
        """Incident number → id and id → number, for the given cases ``scope`` may open."""
        numbers, ids = list(numbers), list(ids)
        if not numbers and not ids:
            return {}, {}
        found = (
            self.access.matching(scope, IncidentFilter())
            .filter(pl.col("incident_no").is_in(numbers) | pl.col("id").is_in(ids))
            .select("incident_no", "id")
            .collect()
        )
        pairs = list(found.iter_rows())
        return {no: int(i) for no, i in pairs}, {int(i): no for no, i in pairs}


def install(server: Flask, access: CaseAccess) -> Services:
    """Attach a new :class:`Services` for ``access`` to ``server``."""
    svc = Services(access)
    server.extensions[EXTENSION_KEY] = svc
    return svc


def services() -> Services:
    """The services of the app serving the current request."""
    return current_app.extensions[EXTENSION_KEY]
