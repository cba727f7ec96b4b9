"""Who is asking: the one place that decides the :class:`~data.access.Scope` of a request.

Until the login work lands, every request gets the demo scope (all stations, personal details
masked). That work replaces :func:`current_scope` and nothing else: pages and routes call it
for each request and hand the result to :class:`~data.access.CaseAccess`.
"""

from __future__ import annotations

from dataclasses import replace

from flask import has_request_context, request

from data.access import Scope

#: The scope of every request until users log in: all stations, personal details masked.
DEFAULT_SCOPE = Scope(user="demo", stations=None, personal_details=False)


def current_scope() -> Scope:
    """The scope of the request being served (its address goes to the audit trail)."""
    if has_request_context():
        return replace(DEFAULT_SCOPE, remote_addr=request.remote_addr)
    return DEFAULT_SCOPE
