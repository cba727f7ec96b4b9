"""The station workspace without a browser: the grid's URL state, the scope checks, the
callbacks, the export and the patrol sheet, on the fixture district (see conftest.py).

Known answers: T1 and T2 lie in Xixiang (BA02) at the same address key; T3 in Xin'an
(BA01); T4 in Shiyan (BA10). The station chief of these tests is Xixiang's.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from dash.exceptions import PreventUpdate
from openpyxl import load_workbook

from dashboard.parts.i18n import t
from dashboard.parts.linked import back_target, from_station, linked_section
from dashboard.screens.station import grid as sg
from dashboard.screens.station.access import FORBIDDEN, MISSING, OK, code_in_path, station_access
from data.access import CaseAccess, IncidentFilter, Scope
from data.audit import AuditQuery, events
from tests.dashboard.signed_in import signed_in_client

CHIEF = "test-chief-ba02"
CHIEF_SCOPE = Scope(user=CHIEF, stations=frozenset({"BA02"}), personal_details=True)
MASKED_SCOPE = Scope(user="cmd", stations=None, personal_details=False)


def _client(app, engine, username: str, role: str, station: str | None):
    return signed_in_client(app, engine, username, role, station)


@pytest.fixture
def chief(app, fixture_engine):
    """A test client logged in as Xixiang's (BA02) station chief."""
    return _client(app, fixture_engine, CHIEF, "station_chief", "BA02")


@pytest.fixture
def as_chief(app):
    """A request context served as Xixiang's station chief (for callbacks)."""
    from dashboard.web.auth import use_identity
    from data.users import UserInfo

    with app.server.test_request_context("/"):
        use_identity(UserInfo(0, CHIEF, CHIEF, "station_chief", "BA02"))
        yield


def _audit(engine, action: str) -> list[dict]:
    rows, _ = events(engine, AuditQuery(action=action), "Asia/Shanghai", limit=200)
    return rows


# -- the grid's state in the URL ----------------------------------------------------------------
def test_grid_state_survives_the_url_round_trip():
    state = sg.GridState(
        address="固戍 一路",
        statuses=("handling", "reported"),
        risks=("high",),
        categories=("domestic_violence",),
        sort="risk_level",
        descending=False,
        page=3,
    )
    query = sg.to_query(state, "en")
    assert query.startswith("?lang=en&")
    back = sg.from_query(query)
    # codes come back in vocabulary order, whatever order the URL had
    assert back == sg.GridState(
        "固戍 一路",
        ("reported", "handling"),
        ("high",),
        ("domestic_violence",),
        "risk_level",
        False,
        3,
    )


def test_defaults_leave_the_query_empty_and_bad_values_fall_back():
    assert sg.to_query(sg.GridState()) == ""
    state = sg.from_query("?sort=-summary&page=-4&status=closed,nonsense&risk=x&q=" + "a" * 90)
    assert (state.sort, state.descending, state.page) == ("reported_at", True, 1)
    assert state.statuses == ("closed",) and state.risks == ()
    assert len(state.address) == 60
    assert sg.from_query("?page=zwei").page == 1


def test_a_grid_request_is_read_back_into_the_state_it_was_built_from():
    state = sg.GridState(address="西乡", statuses=("closed",), risks=("low", "high"))
    request = {
        "startRow": 40,
        "endRow": 60,
        "sortModel": [{"colId": "incident_no", "sort": "asc"}],
        "filterModel": sg.filter_model(state),
    }
    read, start, count = sg.state_from_request(request)
    assert (start, count) == (40, 20)
    assert read == sg.GridState("西乡", ("closed",), ("high", "low"), (), "incident_no", False, 3)
    # a column nobody may sort by is ignored
    read, _, _ = sg.state_from_request({"sortModel": [{"colId": "summary", "sort": "asc"}]})
    assert (read.sort, read.descending) == ("reported_at", True)


def test_changing_a_filter_goes_back_to_page_one_but_the_same_filter_keeps_the_page():
    state = sg.GridState(statuses=("closed",), page=4)
    assert sg.with_controls(state, "", ["closed"], [], []).page == 4
    assert sg.with_controls(state, "固戍", ["closed"], [], []).page == 1


def test_columns_carry_the_sort_of_the_state_and_words_of_the_language():
    defs = sg.column_defs("en", sg.GridState(sort="status", descending=False))
    by_id = {d["colId"]: d for d in defs}
    assert by_id["status"]["sort"] == "asc"
    assert "sort" not in by_id["reported_at"]
    assert by_id["address_raw"]["sortable"] is False
    assert by_id["incident_no"]["headerName"] == t("field.incident_no", "en")


# -- who may open which station -------------------------------------------------------------------
def test_station_access_allows_own_forbids_other_and_knows_missing(fixture_engine):
    access = CaseAccess(fixture_engine)
    assert station_access(access, CHIEF_SCOPE, "BA02") == OK
    assert station_access(access, CHIEF_SCOPE, "BA01") == FORBIDDEN
    assert station_access(access, CHIEF_SCOPE, "XX99") == MISSING
    assert station_access(access, CHIEF_SCOPE, "../etc") == MISSING
    assert station_access(access, MASKED_SCOPE, "BA01") == OK
    assert code_in_path("/station/BA02") == "BA02"
    assert code_in_path("/case/1") is None


def test_the_page_shows_forbidden_for_another_station_and_a_notice_for_an_unknown_one(as_chief):
    from dashboard.screens.station import page as station

    assert "page-forbidden" in str(station.layout("zh", "", code="BA01"))
    missing = str(station.layout("en", "", code="NOPE"))
    assert t("station.not_found", "en") in missing
    own = str(station.layout("zh", "?q=固戍&page=2", code="BA02"))
    assert "station-grid" in own and "固戍" in own


# -- the data-access additions ------------------------------------------------------------------
def test_linked_incidents_share_the_address_and_respect_the_scope(fixture_engine):
    access = CaseAccess(fixture_engine)
    ids = dict(access.incidents(MASKED_SCOPE, IncidentFilter()).select("incident_no", "id").rows())
    linked = access.linked_incidents(CHIEF_SCOPE, ids["T1"])
    assert linked["incident_no"].to_list() == ["T2"]
    assert linked["link"].to_list() == ["address"]
    assert linked["address_raw"][0] == "宝安区西乡街道固戍社区固戍一路12栋302室"
    masked = access.linked_incidents(MASKED_SCOPE, ids["T1"])
    t2 = masked.filter(pl.col("incident_no") == "T2")
    assert t2["address_raw"][0] == "宝安区西乡街道固戍社区固戍*路*栋*室"
    # another station's chief cannot learn of links of a case they may not see
    other = Scope(user="x", stations=frozenset({"BA01"}), personal_details=True)
    assert access.linked_incidents(other, ids["T1"]).is_empty()
    # T3 shares the address key too, but lies in BA01: the BA02 chief does not see it
    assert "T3" not in linked["incident_no"].to_list()


def test_address_search_runs_on_what_the_scope_may_read(fixture_engine):
    access = CaseAccess(fixture_engine)
    flt = IncidentFilter(stations=("BA02",))
    _, full = access.case_page(CHIEF_SCOPE, flt, address="12栋302")
    _, masked = access.case_page(MASKED_SCOPE, flt, address="12栋302")
    _, masked_words = access.case_page(MASKED_SCOPE, flt, address="固戍")
    assert (full, masked, masked_words) == (2, 0, 2)
    _, closed = access.case_page(CHIEF_SCOPE, flt, statuses=("closed",))
    assert closed == 1
    rows, total = access.case_export(CHIEF_SCOPE, flt)
    assert total == rows.height == 2


# -- callbacks ------------------------------------------------------------------------------------
def test_get_rows_answers_the_chief_for_their_station(as_chief):
    from dashboard.screens.station import page as station

    request = {"startRow": 0, "endRow": 20, "sortModel": [], "filterModel": {}}
    response, total, empty, hidden = station.get_rows(request, "/station/BA02", "zh")
    assert [r["incident_no"] for r in response["rowData"]] == ["T2", "T1"]
    assert response["rowCount"] == 2 and total == "共 2 起" and hidden is True
    flt = sg.filter_model(sg.GridState(address="没有这条路"))
    response, _, empty, hidden = station.get_rows(
        {**request, "filterModel": flt}, "/station/BA02", "en"
    )
    assert response["rowData"] == [] and hidden is False
    assert "没有这条路" in empty


def test_callbacks_refuse_another_station_even_when_called_by_hand(as_chief):
    from dashboard.screens.station import page as station

    request = {"startRow": 0, "endRow": 20}
    with pytest.raises(PreventUpdate):
        station.get_rows(request, "/station/BA01", "zh")
    with pytest.raises(PreventUpdate):
        station.load_panels("BA01", "/station/BA01", "", "zh")
    with pytest.raises(PreventUpdate):
        station.sync_url(request, None, None, "", "/station/BA10", "zh")


def test_sync_url_writes_the_grid_state_and_keeps_a_pending_page(as_chief):
    from dashboard.screens.station import page as station

    request = {
        "startRow": 0,
        "endRow": 20,
        "sortModel": [{"colId": "risk_level", "sort": "desc"}],
        "filterModel": sg.filter_model(sg.GridState(address="固戍")),
    }
    url, csv_href, _ = station.sync_url(request, {"currentPage": 0}, 3, "", "/station/BA02", "zh")
    assert url == "?lang=zh&q=%E5%9B%BA%E6%88%8D&sort=-risk_level&page=3"
    assert csv_href.startswith("/station/BA02/cases.csv?lang=zh&q=")
    assert "page" not in csv_href


def test_open_case_goes_to_the_case_page_with_the_way_back(as_chief):
    from dashboard.screens.station import page as station

    path, search = station.open_case([{"id": 7}], "?lang=en&q=x", "/station/BA02")
    assert path == "/case/7"
    assert back_target(search) == ("/station/BA02?lang=en&q=x", "station.back")
    with pytest.raises(PreventUpdate):
        station.open_case([], "", "/station/BA02")


def test_the_side_panels_render_for_the_chief(as_chief):
    from dashboard.screens.station import page as station

    panels = station.load_panels("BA02", "/station/BA02", "", "en")
    text = str(panels)
    for panel_id in (station.DUE, station.PLAN, station.WARNINGS, station.REPEATS):
        assert f"'{panel_id}'" in text
    assert "/station/BA02/patrol-sheet?lang=en" in text
    assert "/station/BA02/patrol-sheet?lang=en&shift=16-24" in text  # each shift's sheet
    assert "/station/BA02/visits-sheet?lang=en" in text  # visits this week, printable


# -- routes: export and patrol sheet ---------------------------------------------------------
def test_the_chief_exports_their_filtered_list_as_csv_and_it_is_audited(chief, fixture_engine):
    before = len(_audit(fixture_engine, "export"))
    response = chief.get("/station/BA02/cases.csv?lang=en&status=closed")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="cases-BA02.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == t("field.incident_no", "en")
    assert [r[0] for r in rows[1:]] == ["T2"]
    assert "固戍一路12栋302室" in rows[1][6]  # the chief sees the address in full
    after = _audit(fixture_engine, "export")
    assert len(after) == before + 1
    assert after[0]["target"] == "cases:BA02" and after[0]["user"] == CHIEF
    assert "rows=1" in after[0]["detail"]


def test_excel_export_and_masking_for_a_masked_role(client):
    response = client.get("/station/BA02/cases.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 3
    assert all("*" in row[6] and "12" not in row[6] for row in values[1:])


def test_another_station_or_an_unknown_one_exports_nothing(chief):
    assert chief.get("/station/BA01/cases.csv").status_code == 403
    assert chief.get("/station/BA01/patrol-sheet").status_code == 403
    assert chief.get("/station/NOPE/cases.csv").status_code == 404
    assert chief.get("/station/BA02/cases.pdf").status_code == 404


def test_the_patrol_sheet_draws_the_map_and_is_audited(chief, fixture_engine):
    response = chief.get("/station/BA02/patrol-sheet?lang=en")
    assert response.status_code == 200
    page = response.data.decode()
    assert "<svg" in page and "sheet-boundary" in page
    assert page.count('class="sheet-cell"') >= 1
    assert "Xixiang Station patrol sheet" in page
    assert "<script" not in page
    audit = _audit(fixture_engine, "export")
    assert audit[0]["target"] == "patrol_sheet:BA02"


def test_render_sheet_numbers_cells_and_lists_addresses():
    from shapely.geometry import box

    from dashboard.screens.station.patrol_sheet import SheetCell, SheetModel, render_sheet
    from geo.h3cells import latlng_to_cells

    cells = latlng_to_cells(
        pl.Series([22.55, 22.56]).to_numpy(), pl.Series([113.9, 113.9]).to_numpy()
    )
    model = SheetModel(
        code="BA01",
        station_name="新安派出所",
        boundary=box(113.88, 22.54, 113.92, 22.57),
        cells=(
            SheetCell(1, int(cells[0]), 3, 5, ("甲路1号", "乙路2号", "丙路3号"), 3, 1),
            SheetCell(2, int(cells[1]), 0, 2, (), 0, 0),
        ),
        points=((22.55, 113.9, True),),
        method="kde",
        train_weeks=12,
        printed_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
        printed_by="chief",
    )
    page = render_sheet(model, "zh", "Asia/Shanghai")
    assert "甲路1号；乙路2号；丙路3号" in page  # whole addresses, none cut
    assert "…" not in page
    assert t("station.sheet_no_address", "zh") in page
    assert "2026-11-20 10:00" in page  # local time
    assert ">1</text>" in page and ">2</text>" in page
    assert "sheet-short" in page
    # Finding the way on paper: the station's name on its area, a scale bar, north.
    assert 'class="sheet-station-name"' in page and ">新安派出所</text>" in page
    assert 'class="sheet-scale"' in page and ("米</text>" in page or "公里</text>" in page)
    assert 'class="sheet-north"' in page


def test_the_scale_bar_matches_the_map_scale():
    from dashboard.screens.station.patrol_sheet import _Frame, _scale_bar

    frame = _Frame((113.88, 22.54, 113.92, 22.57))
    bar = _scale_bar(frame, "en")
    width = float(bar.split('width="')[1].split('"')[0]) - 8
    length_m = 1000 if "1 km" in bar else int(bar.split("</text>")[0].rsplit(">", 1)[1].split()[0])
    # The bar's length in metres, measured on the frame north-south (1° = 111.32 km).
    assert width * 111_320 / frame.scale == pytest.approx(length_m, rel=1e-3)  # 0.1 unit


def test_a_shift_sheet_plans_from_the_shift_hours_and_says_its_share(chief, fixture_engine):
    from zoneinfo import ZoneInfo

    from dashboard.screens.station.patrol_sheet import parse_shift

    response = chief.get("/station/BA02/patrol-sheet?lang=en&shift=16-24")
    assert response.status_code == 200
    page = response.data.decode()
    assert "Xixiang Station patrol sheet · shift 16:00–24:00" in page
    # The share it states, counted here from the incidents themselves.
    access = CaseAccess(fixture_engine)
    scope = Scope(user="t", stations=frozenset({"BA02"}))
    frame = access.incidents(scope, IncidentFilter(stations=("BA02",)))
    cutoff = datetime.now(UTC) - timedelta(weeks=12)
    recent = [r for r in frame["reported_at"].to_list() if r >= cutoff]
    local = [r.astimezone(ZoneInfo(access.tz)).hour for r in recent]
    evening = sum(16 <= h < 24 for h in local)
    assert f"{evening} of {len(recent)} recent incidents" in page
    assert parse_shift("16-24") == (16, 24)
    audit = _audit(fixture_engine, "export")
    assert audit[0]["detail"].endswith("shift=16-24")


def test_an_unknown_shift_is_refused_with_the_setting_named(chief):
    response = chief.get("/station/BA02/patrol-sheet?lang=en&shift=09-17")
    assert response.status_code == 400
    assert "ANNING_PATROL_SHIFTS" in response.data.decode()


# -- the linked section on the case page ---------------------------------------------------------
def test_linked_section_lists_links_or_says_there_are_none():
    frame = pl.DataFrame(
        {
            "id": [5],
            "incident_no": ["T5"],
            "reported_at": ["2026-11-01 10:00"],
            "category": ["domestic_violence"],
            "risk_level": ["high"],
            "status": ["closed"],
            "station_code": ["BA02"],
            "address_raw": ["x路*号"],
            "link": ["victim"],
        }
    )
    text = str(linked_section(frame, "en", "?lang=en", {}))
    assert "/case/5?lang=en" in text and "Same victim" in text
    empty = str(linked_section(frame.clear(), "zh", "", {}))
    assert t("station.linked_empty", "zh") in empty
    assert from_station("?lang=zh&from=x", "BA01") == "?lang=zh&from=station-BA01"
    assert back_target("?from=station-../x") is None


def test_the_case_page_shows_linked_incidents(client, fixture_engine):
    from dashboard.screens import case

    access = CaseAccess(fixture_engine)
    ids = dict(access.incidents(MASKED_SCOPE, IncidentFilter()).select("incident_no", "id").rows())
    with client.application.test_request_context("/"):
        from dashboard.web.auth import use_identity
        from data.users import UserInfo

        use_identity(UserInfo(0, "cmd", "cmd", "command_center", None))
        text = str(case.layout("zh", "", incident_id=str(ids["T1"])))
    assert "station-linked" in text and "T2" in text


def test_the_warning_panel_counts_its_risk_and_service_lists():
    from component_tree import text_of

    from dashboard.screens.station.panels import warning_panel

    warnings = pl.DataFrame(
        {
            "rank": [1, 2, 3],
            "list": ["risk", "service", "service"],
            "kind": ["household", "case", "case"],
            "reasons": [["escalating"], ["sla_breached_handled_24h"], ["sla_breached_handled_24h"]],
            "address_key": ["A", None, None],
            "community": [None, None, None],
            "last_at": [datetime(2026, 11, 1, tzinfo=UTC)] * 3,
        }
    )
    en = text_of(warning_panel(warnings, "en", "Asia/Shanghai", "w"))
    assert "1 risk warnings (listed first) · 2 past a service level" in en
    zh = text_of(warning_panel(warnings, "zh", "Asia/Shanghai", "w"))
    assert "风险预警 1 条" in zh
