"""The stations a review reports on, by name, for the scope of the request."""

from __future__ import annotations

from dashboard.parts.services import services
from dashboard.web.scope import current_scope


def leaf_names(lang: str) -> dict[str, str]:
    """Code → name of the stations incidents are placed in (leaves), in code order."""
    svc, scope = services(), current_scope()
    names = svc.station_names(scope, lang)
    leaves = {s.code for s in svc.geometry.stations(scope.stations) if s.level == "leaf"}
    return {code: name for code, name in names.items() if code in leaves} or names
