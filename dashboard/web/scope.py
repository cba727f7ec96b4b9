"""Who is asking: the one place that decides the :class:`~data.access.Scope` of a request.

Pages, callbacks and routes call :func:`current_scope` for each request and hand the result to
:class:`~data.access.CaseAccess`. The scope is that of the user the login gate
(:mod:`dashboard.web.auth`) found for the request, mapped from their role by
:func:`data.users.scope_for`; a request without a user sees nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from flask import g, has_request_context, request

from dashboard.web.auth import current_user
from data.access import Scope
from data.users import NO_ACCESS, scope_for

#: The command center's view (all stations, personal details masked), for callers that need
#: a fixed scope, such as tests of the pages. Requests never get it by default.
DEFAULT_SCOPE = Scope(user="demo", stations=None, personal_details=False)


def current_scope() -> Scope:
    """The scope of the request being served (its address and what it asked go to the audit
    trail with any refusal).

    Outside a request, or for a request nobody is logged in for, :data:`~data.users.NO_ACCESS`.
    """
    if not has_request_context():
        return NO_ACCESS
    if "anning_request_key" not in g:
        g.anning_request_key = secrets.token_hex(8)
    return replace(
        scope_for(current_user(), request.remote_addr),
        asked=asked(),
        request_key=g.anning_request_key,
    )


def asked() -> str:
    """What the current request asks, as the audit trail records a refusal: method and path,
    and for a callback the outputs it addresses."""
    what = f"{request.method} {request.path}"
    if request.path == "/_dash-update-component":
        from dashboard.web.security import request_json

        body = request_json(request)
        output = body.get("output") if isinstance(body, dict) else None
        if isinstance(output, str):
            what += f" {output[:120]}"
    return what[:300]
