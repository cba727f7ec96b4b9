"""Bad input is a 400 or a 404 with one log line: never a 500, never a stack trace in the log."""

from __future__ import annotations

import io
import logging

import pytest
from canary import response_text
from test_matrix import CALLBACK, callback_payload, crafted_values

from dashboard.parts import ids


def _one_line_logs(caplog) -> None:
    for record in caplog.records:
        assert record.exc_info is None, f"a stack trace was logged: {record.getMessage()[:200]}"
        assert "Traceback" not in record.getMessage()


def test_a_deeply_nested_callback_body_is_a_400(principals, caplog):
    body = "[" * 100_000 + "]" * 100_000
    with caplog.at_level(logging.INFO):
        response = principals["command_center"].client.post(
            CALLBACK, data=body, content_type="application/json"
        )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]
    _one_line_logs(caplog)


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/_dash-component-suites/dash/..%2F..%2F..%2Fapp.py",
        "/_dash-component-suites/dash/dcc/..%2F..%2F..%2F..%2Fdata%2Fusers.py",
        "/_dash-component-suites/nonexistent/x.js",
    ],
)
def test_path_tricks_in_component_suites_are_a_404(principals, path, caplog):
    with caplog.at_level(logging.INFO):
        response = principals["command_center"].client.get(path)
    assert response.status_code == 404, response.status_code
    assert "def " not in response_text(response) and "root:" not in response_text(response)
    _one_line_logs(caplog)


@pytest.mark.parametrize(
    ("prop", "value", "culprit"),
    [
        ((ids.URL, "pathname"), -1, "url.pathname"),
        ((ids.URL, "search"), {"$ne": 1}, "url.search"),
        ((ids.LANG_STORE, "data"), [], "lang-store.data"),
        ((ids.CASE_TABLE, "getRowsRequest"), "x", "case-table.getRowsRequest"),
        # a grid's request for rows whose page (its first row) is not a number
        (
            (ids.CASE_TABLE, "getRowsRequest"),
            {"startRow": "15", "endRow": 30},
            "case-table.getRowsRequest.startRow",
        ),
        (
            (ids.LAYER_TABLE, "getRowsRequest"),
            {"startRow": 0, "endRow": 15, "sortModel": "z"},
            "layer-table.getRowsRequest.sortModel",
        ),
        (
            (ids.LAYER_TABLE, "getRowsRequest"),
            {"startRow": 0, "endRow": [15]},
            "layer-table.getRowsRequest.endRow",
        ),
        ((ids.STATION, "value"), [[["deep"]]], "filter-station.value"),
        ((ids.REVEAL_BUTTON, "n_clicks"), True, "reveal-button.n_clicks"),
    ],
)
def test_wrong_typed_callback_values_are_a_400_naming_them(
    canary_app, principals, incident_ids, prop, value, culprit, caplog
):
    values = crafted_values(incident_ids)
    values[prop] = value
    sent = 0
    with caplog.at_level(logging.INFO):
        for key, spec in canary_app.callback_map.items():
            items = [*spec["inputs"], *spec["state"]]
            if "callback" not in spec or not any((i["id"], i["property"]) == prop for i in items):
                continue
            response = principals["command_center"].client.post(
                CALLBACK, json=callback_payload(key, spec, values)
            )
            assert response.status_code == 400, (key, response.status_code)
            assert culprit in response.get_json()["error"]
            sent += 1
    assert sent
    _one_line_logs(caplog)


def test_no_callback_logs_a_stack_trace_for_hostile_values(
    canary_app, principals, incident_ids, caplog
):
    client = principals["command_center"].client
    for value in (-1, 1.5, True, [], {}, {"$ne": 1}, [[["deep"]]], "'; DROP TABLE x; --"):
        values = {k: value for k in crafted_values(incident_ids)}
        with caplog.at_level(logging.INFO):
            for key, spec in canary_app.callback_map.items():
                if key.startswith("..admin-") or "callback" not in spec:
                    continue
                response = client.post(CALLBACK, json=callback_payload(key, spec, values))
                assert response.status_code in (200, 204, 400), (key, value)
    _one_line_logs(caplog)


def test_a_token_holders_get_under_the_push_api_is_a_404_not_the_page(canary_app, canary_engine):
    from data.api_tokens import create_token

    token = create_token(canary_engine, "cad-test-404", actor="tests")
    client = canary_app.server.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/incidents/", "/api/v1/incidents/123", "/api/v1/incidents/x/y"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, (path, response.status_code)
        assert "<!DOCTYPE html>" not in response.get_data(as_text=True)[:100].upper() or (
            "dash-renderer" not in response.get_data(as_text=True)
        )


def test_a_chunked_push_over_the_limit_is_a_413(canary_app, canary_engine):
    from dashboard.web.push_api import MAX_BODY_BYTES
    from data.api_tokens import create_token

    token = create_token(canary_engine, "cad-test-413", actor="tests")
    client = canary_app.server.test_client()

    piece = b'{"x": "' + b"a" * 60_000 + b'"},'
    body = b"[" + piece * (MAX_BODY_BYTES // len(piece) + 2) + b"{}]"
    # No Content-Length: the body arrives in chunks, as gunicorn passes them on.
    response = client.post(
        "/api/v1/incidents",
        input_stream=io.BytesIO(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413, response.get_data(as_text=True)[:200]
