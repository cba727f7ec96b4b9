"""Whether the caller may open a station's workspace: the one check every station view makes.

Station chiefs and officers may open their own station (and, for a district, the beats under
it); roles that see every station may open any. Pages, callbacks and routes all ask
:func:`station_access` with the scope of :func:`dashboard.web.scope.current_scope`, so a callback
addressed by hand with another station's code gets nothing either.
"""

from __future__ import annotations

import re

from data.access import CaseAccess, Scope
from geo.jurisdictions import Jurisdiction

#: What a station code may look like in a URL (anything else is no station at all).
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
#: The answers of :func:`station_access`.
OK, FORBIDDEN, MISSING = "ok", "forbidden", "missing"


def station_access(access: CaseAccess, scope: Scope, code: str | None) -> str:
    """``'ok'``, ``'forbidden'`` (a station outside the scope) or ``'missing'`` (no such one).

    A forbidden station is a refusal by scope: it is recorded in the audit trail (``denied``,
    with what the request asked), whether a page, a callback, an export or the patrol sheet
    asked.
    """
    if not isinstance(code, str) or not _CODE.match(code):
        return MISSING
    known = {s.code for s in access.stations(Scope(user=scope.user))}
    if code not in known:
        return MISSING
    return FORBIDDEN if access.check_stations(scope, (code,)) else OK


def station_of(access: CaseAccess, scope: Scope, code: str) -> Jurisdiction | None:
    """The station ``code`` if ``scope`` may open it, else None."""
    if station_access(access, scope, code) != OK:
        return None
    return next((s for s in access.stations(scope) if s.code == code), None)


def code_in_path(pathname: str | None) -> str | None:
    """The station code of a ``/station/<code>`` path (None for any other path)."""
    if not isinstance(pathname, str):
        return None
    match = re.match(r"^/station/([^/?#]+)", pathname)
    return match.group(1) if match else None
