"""The layer API over the fixture district (tests/dashboard/conftest.py).

Requests go through the whole Flask stack (login gate, routing, view, error handlers) as a
logged-in user: :func:`dashboard.web.auth.use_identity` stands in for the session cookie.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import select

from dashboard.parts.filters import LayerChoice, parse_filters
from dashboard.web import api
from dashboard.web.auth import use_identity
from data.models import AuditEvent
from data.users import COMMAND_CENTER, STATION_OFFICER, UserInfo
from geo.h3cells import cell_resolution, cell_to_latlng, str_to_cell
from layers.registry import REGISTRY

COMMAND = UserInfo(9001, "api-tester", "API tester", COMMAND_CENTER, None)
OFFICER = UserInfo(9002, "api-officer", "API officer", STATION_OFFICER, "BA02")
#: The fixture's default range holds incidents 1, 2 and 3 (located) and 5 (unlocated).
WINDOW = "start=2026-08-15&end=2026-11-12"

#: Columns each layer must answer with (cell layers: the centre after the cell).
EXPECTED_COLUMNS = {
    "counts": ["cell", "lat", "lng", "count"],
    "hotspot": ["cell", "lat", "lng", "count", "z", "p", "p_fdr", "gi_class", "label", "halo"],
    "emerging_hotspot": [
        "cell",
        "lat",
        "lng",
        "category",
        "mk_z",
        "mk_p",
        "n_hot_steps",
        "n_cold_steps",
        "final_step_class",
    ],
    "near_repeat": ["cell", "lat", "lng", "until", "source_incidents", "radius_m", "window_days"],
    "patrol_plan": ["cell", "lat", "lng", "rank", "score"],
}


@pytest.fixture
def get(app):
    """``get(path, user=COMMAND)`` → the response, through the app's whole request stack."""

    def _get(path: str, user: UserInfo | None = COMMAND):
        server = app.server
        with server.test_request_context(path, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            if user is not None:
                use_identity(user)
            return server.make_response(server.full_dispatch_request())

    return _get


def _json(response) -> dict:
    return json.loads(response.get_data(as_text=True))


# -- the registry ----------------------------------------------------------------------------------
def test_the_registry_lists_every_layer_with_typed_parameters(get):
    response = get("/api/v1/layers")
    assert response.status_code == 200
    layers = {entry["id"]: entry for entry in _json(response)["layers"]}
    assert list(layers) == list(REGISTRY)
    hotspot = layers["hotspot"]
    assert (hotspot["geometry"], hotspot["legend"], hotspot["value_column"]) == (
        "cells",
        "diverging",
        "label",
    )
    assert hotspot["name"] == {"zh": "热点与冷点（Gi*）", "en": "Hot and cold spots (Gi*)"}
    k = next(p for p in hotspot["params"] if p["name"] == "k")
    assert (k["type"], k["default"], k["min"], k["max"], k["choices"]) == ("int", 1, 0, 5, None)
    method = next(p for p in layers["patrol_plan"]["params"] if p["name"] == "method")
    assert method["type"] == "str" and "kde" in method["choices"]


# -- every layer answers ---------------------------------------------------------------------------
@pytest.mark.parametrize("layer_id", list(REGISTRY))
def test_every_layer_answers_with_its_columns(get, layer_id):
    response = get(f"/api/v1/layers/{layer_id}?{WINDOW}&res=8")
    if layer_id == "emerging_hotspot":
        # 13 weeks of range cannot hold the default 26-week window: refused, saying why.
        assert response.status_code == 400
        assert "history is too short" in _json(response)["error"]
        # From 2026-05-01 the range holds incident T4 (2026-06-01): 24 weeks fit.
        response = get(f"/api/v1/layers/{layer_id}?start=2026-05-01&end=2026-11-12&res=8&weeks=24")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = _json(response)
    assert body["layer"] == layer_id
    emerging = layer_id == "emerging_hotspot"
    assert body["params"] == REGISTRY[layer_id].parse_params({"weeks": 24} if emerging else {})
    start = "2026-05-01" if emerging else "2026-08-15"
    assert body["filters"]["start"] == start and body["filters"]["res"] == 8
    assert body["count"] == len(body["rows"])
    assert all(len(row) == len(body["columns"]) for row in body["rows"])
    if layer_id in EXPECTED_COLUMNS:
        assert body["columns"] == EXPECTED_COLUMNS[layer_id]
    assert "cell" not in body["columns"] or all(
        row[body["columns"].index("cell")] is None
        or isinstance(row[body["columns"].index("cell")], str)
        for row in body["rows"]
    )


def test_counts_match_the_fixture_and_cells_carry_their_centres(get):
    body = _json(get(f"/api/v1/layers/counts?{WINDOW}&res=8"))
    assert sorted(row[3] for row in body["rows"]) == [1, 2]  # Xin'an 1, Xixiang 2
    for cell, lat, lng, _ in body["rows"]:
        assert cell_resolution(str_to_cell(cell)) == 8
        assert (lat, lng) == pytest.approx(cell_to_latlng(str_to_cell(cell)), abs=1e-6)


def test_times_are_iso_utc_and_parameters_are_applied(get):
    body = _json(get(f"/api/v1/layers/hotspot?{WINDOW}&k=2&fdr=false"))
    assert body["params"] == {"k": 2, "fdr": False}
    assert body["filters"]["now"].endswith("Z")
    # the fixture's window ends on 2026-11-12 (Shanghai): "now" is the end of that day
    assert body["filters"]["now"] == "2026-11-12T16:00:00Z"
    levels = set(row[body["columns"].index("label")] for row in body["rows"])
    assert levels <= {"hot_99", "hot_95", "hot_90", "hot_halo", "not_significant", "cold_90"}
    # Halo cells hold fewer incidents than their neighbourhood's mean: never a lone hot cell.
    halo = [r for r in body["rows"] if r[body["columns"].index("halo")]]
    assert all(r[body["columns"].index("label")] == "hot_halo" for r in halo)


def test_an_explicit_now_is_used(get):
    body = _json(get(f"/api/v1/layers/service_levels?{WINDOW}&now=2026-11-11T00:00:00%2B08:00"))
    assert body["filters"]["now"] == "2026-11-10T16:00:00Z"
    spaced = _json(get(f"/api/v1/layers/service_levels?{WINDOW}&now=2026-11-11T00:00:00+08:00"))
    assert spaced["filters"]["now"] == "2026-11-10T16:00:00Z"  # "+" sent unencoded


def test_service_level_rows_are_cases_with_iso_deadlines(get):
    body = _json(get(f"/api/v1/layers/service_levels?{WINDOW}&now=2026-11-20T00:00:00Z"))
    columns = body["columns"]
    assert columns[:2] == ["incident_id", "incident_no"]
    numbers = {row[1] for row in body["rows"]}
    assert "T1" in numbers  # high risk, still handling long after 24 h
    due = body["rows"][0][columns.index("due_at")]
    assert due.endswith("Z") and due[10] == "T"


def test_addresses_are_masked_without_personal_details(get):
    body = _json(
        get(f"/api/v1/layers/repeat_addresses?{WINDOW}&now=2026-11-20T00:00:00Z&min_incidents=2")
    )
    assert body["count"] == 1  # T1 and T2 share 固戍一路12栋302室
    row = dict(zip(body["columns"], body["rows"][0], strict=True))
    assert row["count"] == 2 and row["incident_ids"] == ["T1", "T2"]
    assert "12" not in row["address_raw"] and "302" not in row["address_raw"]
    assert "*" in row["address_key"] and "*" in row["address_id"]
    # the position is generalised to the centre of its resolution-9 cell
    assert (row["lat"], row["lng"]) != pytest.approx((22.5828, 113.8639), abs=1e-7)


def test_a_station_scope_sees_its_station_only(get):
    everyone = _json(get(f"/api/v1/layers/counts?{WINDOW}&res=8"))
    officer = _json(get(f"/api/v1/layers/counts?{WINDOW}&res=8", user=OFFICER))
    assert everyone["count"] == 2 and officer["count"] == 1
    assert officer["rows"][0][3] == 2  # the two Xixiang incidents
    refused = get(f"/api/v1/layers/counts?{WINDOW}&st=BA01", user=OFFICER)
    assert refused.status_code == 400 and "st" in _json(refused)["error"]


def test_csv_has_the_same_table_with_a_bom(get):
    response = get(f"/api/v1/layers/repeat_addresses?{WINDOW}&format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="repeat_addresses.csv"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["address_id", "address_key", "address_raw"]
    ids = rows[1][rows[0].index("incident_ids")]
    assert json.loads(ids) == ["T1", "T2"]


def test_csv_defuses_formulas():
    assert api._csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert api._csv_cell("-1") == "'-1"
    assert api._csv_cell(-1.5) == -1.5
    assert api._csv_cell(float("nan")) is None
    assert api._csv_cell(["a", 1]) == '["a", 1]'


def test_every_answered_request_is_audited(app, get):
    get(f"/api/v1/layers/hotspot?{WINDOW}&k=3")
    with app.server.extensions["anning"].access.engine.connect() as conn:
        events = conn.execute(select(AuditEvent).where(AuditEvent.action == "api_layer")).all()
    last = events[-1]
    assert (last.user, last.target) == ("api-tester", "hotspot")
    assert "k=3" in last.detail and last.remote_addr == "127.0.0.1"


# -- refusals --------------------------------------------------------------------------------------
def test_an_unknown_layer_is_404_naming_the_known_ones(get):
    response = get("/api/v1/layers/heatmap")
    assert response.status_code == 404
    body = _json(response)
    assert "'heatmap'" in body["error"] and "hotspot" in body["error"]
    assert body["known"] == sorted(REGISTRY)


@pytest.mark.parametrize(
    ("query", "culprit"),
    [
        ("k=1;DROP TABLE incident", "'k'"),
        ("k=1%27%20OR%20%271%27=%271", "'k'"),
        ("k=-5", "'k'"),
        ("k=6", "'k'"),
        ("k=1e309", "'k'"),
        ("k=99999999999999999999999999", "'k'"),
        ("k=" + "9" * 150, "'k'"),
        ("k=" + "9" * 1500, "'k'"),
        ("k=", "'k'"),
        ("fdr=maybe", "'fdr'"),
        ("res=99", "res"),
        ("res=-1", "res"),
        ("res=8.5", "res"),
        ("start=2024-13-45", "start"),
        ("end=20261112", "end"),
        ("start=2026-11-12&end=2026-01-01", "start"),
        ("cat=arson", "cat"),
        ("cat=<script>alert(1)</script>", "cat"),
        ("risk=extreme", "risk"),
        ("src=x", "src"),
        ("st=BA99", "st"),
        ("radius=5", "radius"),
        ("k=1&k=2", "k"),
        ("now=yesterday", "now"),
        ("now=1900-01-01T00:00:00", "now"),
        ("format=xml", "format"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(get, query, culprit):
    response = get(f"/api/v1/layers/hotspot?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = _json(response)
    assert set(body) == {"error"}
    assert culprit in body["error"]
    assert "Traceback" not in body["error"] and len(body["error"]) < 400


def test_a_float_parameter_refuses_infinity(get):
    for raw in ("1e309", "inf", "nan", "-0.5"):
        response = get(f"/api/v1/layers/patrol_plan?budget_share={raw}")
        assert response.status_code == 400
        assert "budget_share" in _json(response)["error"]


def test_a_choice_parameter_names_the_choices(get):
    response = get("/api/v1/layers/service_levels?state=lost")
    assert response.status_code == 400
    assert "breached" in _json(response)["error"]


def test_an_overlong_query_is_refused(get):
    response = get("/api/v1/layers/hotspot?cat=" + "x" * 3000)
    assert response.status_code == 400 and "query string" in _json(response)["error"]


def test_without_a_login_the_api_answers_401(get):
    assert get("/api/v1/layers/hotspot", user=None).status_code == 401
    assert get("/api/v1/layers", user=None).status_code == 401


def test_an_unexpected_failure_is_a_plain_500(get, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api, "export_frame", broken)
    response = get(f"/api/v1/layers/counts?{WINDOW}")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize(("days", "oldest_seen"), [(60, False), (400, True)])
def test_history_days_widens_the_history_without_a_start(get, monkeypatch, days, oldest_seen):
    # The default range starts 2026-08-15; incident T4, on 2026-06-01, lies before it. With
    # history_days reaching back past it, the near-repeat test must see it.
    from layers import near_repeat

    seen: list[pl.DataFrame] = []

    def capture(frame, *args, **kwargs):
        seen.append(frame)
        raise ValueError("captured")

    monkeypatch.setattr(near_repeat, "knox_test", capture)
    response = get(f"/api/v1/layers/near_repeat?history_days={days}&now=2026-11-13T00:00:00Z")
    assert response.status_code == 400 and seen
    oldest = seen[0]["reported_at"].min()
    assert (oldest < datetime(2026, 8, 15, tzinfo=UTC)) is oldest_seen
    # An explicit start is the caller's choice and is kept.
    seen.clear()
    get(f"/api/v1/layers/near_repeat?start=2026-08-15&history_days={days}&now=2026-11-13T00:00:00Z")
    assert seen[0]["reported_at"].min() >= datetime(2026, 8, 15, tzinfo=UTC)


# -- helpers ---------------------------------------------------------------------------------------
def test_the_export_url_reproduces_the_view():
    flt = parse_filters({"start": "2026-01-01", "cat": "elder_abuse", "res": "9"}, None)
    choice = LayerChoice("hotspot", (("k", 3), ("fdr", False)))
    assert api.export_url(choice, flt) == (
        "/api/v1/layers/hotspot?start=2026-01-01&cat=elder_abuse&res=9&k=3&fdr=false&format=csv"
    )
