"""What callbacks and routes of one app share: its data-access layer and its geometry cache.

Each app created by :func:`dashboard.create_app` keeps one :class:`Services` in its Flask
extensions, so two apps in one process (tests do this) never see each other's database.
Callbacks run inside the Flask request and reach it with :func:`services`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from flask import Flask, current_app

from dashboard.geometry import GeometryCache
from data.access import CaseAccess, Scope

EXTENSION_KEY = "anning"
#: Seconds a station-name lookup is reused before it is read again.
NAMES_TTL_SECONDS = 60.0


@dataclass
class Services:
    """The data-access layer of one app and the caches built on it."""

    access: CaseAccess
    geometry: GeometryCache = field(init=False)
    _names: dict[tuple[frozenset[str] | None, str], tuple[float, dict[str, str]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

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


def install(server: Flask, access: CaseAccess) -> Services:
    """Attach a new :class:`Services` for ``access`` to ``server``."""
    svc = Services(access)
    server.extensions[EXTENSION_KEY] = svc
    return svc


def services() -> Services:
    """The services of the app serving the current request."""
    return current_app.extensions[EXTENSION_KEY]
