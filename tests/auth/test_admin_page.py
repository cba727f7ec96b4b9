"""The administrator's page: the users, the audit trail to browse, its CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from canary import audit_rows, sign_in

from dashboard import ROUTES
from dashboard.parts import ids
from dashboard.screens import admin
from dashboard.web import shell
from dashboard.web.auth import use_identity
from data.users import get_user


def _text(component) -> str:
    return str(component.to_plotly_json()) if hasattr(component, "to_plotly_json") else ""


def test_the_page_lists_the_users_and_no_incident(canary_app, canary_engine):
    with canary_app.server.test_request_context("/admin"):
        use_identity(get_user(canary_engine, "t-admin"))
        page = shell.render(ROUTES, "/admin", "", "en")
    text = str(page)
    for name in ("t-admin", "t-command", "t-chief", "t-analyst"):
        assert name in text
    assert "Station chief" in text and "Users are managed on the command line" in text
    assert "CANARY" not in text and "SUMMARY" not in text


def test_the_audit_log_pages_filters_and_links_its_export(canary_app, canary_engine):
    import json

    for _ in range(3):  # something to find
        sign_in(canary_app, canary_engine, "t-leader").get("/admin/audit.csv")
    with canary_app.server.test_request_context("/admin"):
        use_identity(get_user(canary_engine, "t-admin"))
        # The controls become the grid's filter model (the grid then asks from page 1) …
        model, _, href = admin.audit_filter("t-lead", "denied", None, None, "en")
        assert href == "/admin/audit.csv?user=t-lead&action=denied"
        request = {"startRow": 0, "endRow": admin.PAGE_SIZE, "filterModel": model}
        # … and the grid's request is answered with that page and the total.
        response, total = admin.audit_rows(request, "en")
        rows = response["rowData"]
        assert len(rows) == 3 and response["rowCount"] == 3 and total == "3 entries"
        assert {r["user"] for r in rows} == {"t-leader"} and rows[0]["at"] >= rows[-1]["at"]
        everything, _ = admin.audit_rows({"startRow": 0, "endRow": 5}, "en")
        assert len(everything["rowData"]) == 5 and everything["rowCount"] > 5
        later, _ = admin.audit_rows({"startRow": 5, "endRow": 10}, "en")
        first_ids = {json.dumps(r, sort_keys=True) for r in everything["rowData"]}
        assert not first_ids & {json.dumps(r, sort_keys=True) for r in later["rowData"]}
        model, message, _ = admin.audit_filter(None, "'; drop", "2026-99-01", None, "en")
        assert message.startswith("Invalid filter: action")
        forged = {"startRow": 0, "endRow": 20, "filterModel": {"at": {"filter": "{not json"}}}
        response, message = admin.audit_rows(forged, "en")
        assert response == {"rowData": [], "rowCount": 0} and message.startswith("Invalid filter")


def test_the_export_is_the_filtered_trail_and_is_itself_recorded(principals, canary_engine):
    response = principals["administrator"].client.get(
        "/admin/audit.csv?action=user_add&name=users-added.csv"
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="users-added.csv"'
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert {r["action"] for r in table} == {"user_add"}
    assert {r["target"] for r in table} >= {"user:t-admin", "user:t-chief"}
    export = audit_rows(canary_engine, "export")[-1]
    assert (export["user"], export["target"]) == ("t-admin", "audit_event")
    assert '"action": "user_add"' in export["detail"]


@pytest.mark.parametrize("principal", ["command_center", "station_chief", "analyst"])
def test_no_other_role_reaches_the_trail(principals, principal):
    assert principals[principal].client.get("/admin/audit.csv").status_code == 403


def test_the_page_ids_all_start_with_admin():
    from dashboard.web import auth

    names = [v for k, v in vars(ids).items() if k.startswith("ADMIN_")]
    assert names and all(n.startswith(auth.ADMIN_ID_PREFIX) for n in names)
