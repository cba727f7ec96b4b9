"""The matrix can fail: each planted authorisation bug below is caught by it.

A matrix that passes whatever the code does proves nothing; these tests break the role table
or the gate on purpose (through ``monkeypatch``) and expect the matrix to complain.
"""

from __future__ import annotations

import pytest
import test_matrix

from dashboard.web import auth
from data import users
from data.users import RolePolicy


def _matrix_complains(app, engine, principals, incident_ids, principal: str) -> bool:
    complaints = 0
    try:
        test_matrix.test_every_callback_for_every_principal(
            app, principals, incident_ids, principal
        )
    except AssertionError:
        complaints += 1
    try:
        test_matrix.test_every_route_for_every_principal(
            app, engine, principals, incident_ids, principal
        )
    except AssertionError:
        complaints += 1
    return complaints == 2


@pytest.mark.parametrize(
    ("bug", "principal"),
    [
        ("the station chief sees every station", "station_chief"),
        ("the command center sees personal details", "command_center"),
        ("the administrator sees incidents", "administrator"),
    ],
)
def test_a_planted_scope_bug_is_caught(
    canary_app, canary_engine, principals, incident_ids, monkeypatch, bug, principal
):
    planted = {
        "station_chief": RolePolicy(True, True, True, False),
        "command_center": RolePolicy(True, True, True, True),
        "administrator": RolePolicy(True, True, False, False),
    }
    monkeypatch.setitem(users.ROLE_POLICIES, principal, planted[principal])
    if principal == "administrator":  # let the gate wave the administrator through, too
        monkeypatch.setattr(auth, "permitted", lambda role, audience: True)
    assert _matrix_complains(canary_app, canary_engine, principals, incident_ids, principal), bug


def test_a_gate_that_lets_everyone_call_everything_is_caught(
    canary_app, canary_engine, principals, incident_ids, monkeypatch
):
    monkeypatch.setattr(auth, "callback_audience", lambda output: "anyone")
    with pytest.raises(AssertionError, match="expected \\[403\\]"):
        test_matrix.test_every_callback_for_every_principal(
            canary_app, principals, incident_ids, "administrator"
        )
