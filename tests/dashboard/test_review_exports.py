"""The review's page callbacks, its PDF and Excel downloads, their audit and who may have them.

Over the fixture district (tests/dashboard/conftest.py): November 2026 holds T1 and T2
(Xixiang, BA02; T1 with a warning letter), T3 (Xin'an, BA01; a protection order) and T5
(placed nowhere); October holds nothing, though the data run from June to 12 November.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboard.parts.i18n import audit_action_label
from dashboard.screens.review import page as review
from dashboard.screens.review.export import AUDIT_ACTIONS
from dashboard.screens.review.state import DEFAULT_SORT, from_query, to_query
from tests.auth.canary import audit_rows

NOVEMBER = "period=month&day=2026-11-01&cmp=previous"


@pytest.fixture
def chief_client(app, fixture_engine):
    """A client logged in as a station chief of Xin'an (BA01): no review for them."""
    from dashboard.web.auth import SESSION_COOKIE
    from data.sessions import open_session
    from data.users import add_user, get_user

    user = get_user(fixture_engine, "test-chief") or add_user(
        fixture_engine, "test-chief", "test-password-123", "station_chief", "BA01", actor="tests"
    )
    ticket = open_session(fixture_engine, user.id)
    client = app.server.test_client()
    client.set_cookie(SESSION_COOKIE, ticket.token)
    return client


def _text(pdf: bytes) -> str:
    """The PDF's text without white space, as poppler's ``pdftotext`` reads it (pypdf misreads
    the two-byte codes of the embedded CFF font once the subset passes a few hundred glyphs:
    the findings page made it garble the loop page)."""
    import subprocess

    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


def test_the_callback_draws_the_period_and_its_comparison(request_context):
    from datetime import date

    state = from_query(f"?{NOVEMBER}", (date(2026, 6, 1), date(2026, 11, 12)), date(2026, 11, 20))
    params = dict(pair.split("=") for pair in NOVEMBER.split("&"))
    caption, _notes, kpis, cat, _src, heat, rows, pinned, pdf_href, xlsx_href, areas, hidden = (
        review.update_review(params, "en")
    )
    assert areas == [] and hidden  # no drawn areas in this link
    text = str(caption)
    assert "2026-11-01 to 2026-11-30" in text and "2026-10-01 to 2026-10-31" in text
    # the incidents card: 4 this month (T5 too, unplaced), 0 in October: change +4, no %
    first = kpis[0].children.children
    assert first[1].children == "4" and first[2].children == "+4 (was 0) vs. comparison"
    by_station = {r["id"]: r for r in rows}
    assert by_station["BA02"]["incidents__text"] == "2" and by_station["BA02"]["change"] == 2
    assert by_station["BA02"]["change__text"] == "+2"
    assert by_station["BA01"]["protection_orders__text"] == "1"
    assert by_station["BA05"]["incidents"] == 0
    assert by_station["BA05"]["handled_24h_share__text"] == "—"
    # worst first on service-level compliance: BA02 (both checks judged, one late)
    shares = [r["sla_compliance"] for r in rows if r["sla_compliance"] is not None]
    assert shares == sorted(shares) and len(shares) == 2
    (total,) = pinned.to_plotly_json()["operations"][0]["params"]["value"]
    assert total["id"] == review.TOTAL_ROW and total["incidents__text"] == "4"  # T5 too
    assert review.TOTAL_ROW not in by_station  # pinned below the stations, never sorted in
    assert sum(sum(t.y) for t in cat.data) == 4 and cat.layout.meta["dimension"] == "category"
    assert sum(map(sum, heat.data[0].z)) == 4
    assert pdf_href.startswith("/review/export.pdf?lang=en&period=month&day=2026-11-01")
    assert xlsx_href.startswith("/review/export.xlsx?")
    assert to_query(state, "en") == "?lang=en&" + NOVEMBER


def test_a_comparison_before_the_data_says_so_instead_of_a_change(request_context):
    params = {"period": "month", "day": "2026-11-01", "cmp": "last_year"}
    _, notes, kpis, *_ = review.update_review(params, "zh")
    assert "对比期（2025-11-01 至 2025-11-30）没有数据" in str(notes)
    assert kpis[0].children.children[2].children == "无可比数据"


def test_an_empty_period_says_why(request_context):
    params = {"period": "month", "day": "2026-09-01", "cmp": "previous"}
    _, notes, _kpis, cat, *_ = review.update_review(params, "en")
    assert "No incidents in this period (2026-09-01 to 2026-09-30)" in str(notes)
    assert cat.layout.meta["empty"] is True and not cat.data


def test_the_controls_write_the_url_and_the_sort(request_context):
    query, params = review.sync_url(
        "week",
        "2026-11-12",
        None,
        None,
        "last_year",
        [{"colId": "station_code", "sort": None}, {"colId": "change_pct", "sort": "asc"}],
        "?lang=zh&sort=change_pct&dir=desc",
        None,
        [],
        "zh",
    )
    assert query == "?lang=zh&period=week&day=2026-11-09&cmp=last_year&sort=change_pct&dir=asc"
    assert params["day"] == "2026-11-09" and params["sort"] == "change_pct"
    # the same state again (the grid reports its columns after a redraw): nothing to redo
    assert review.sync_url(
        "week", "2026-11-12", None, None, "last_year",
        [{"colId": "change_pct", "sort": "asc"}], query, params, [{"id": "BA01"}], "zh",
    ) == (review.no_update, review.no_update)  # fmt: skip


def test_a_period_chosen_while_the_grid_reports_its_columns_still_reaches_the_url(
    request_context,
):
    # Dash hands one call every input that changed meanwhile: the grid's report (the same
    # sort) and the period chosen arrive together; the period is a change all the same
    from unittest import mock

    fired = {f"{review.LEAGUE}.columnState": review.LEAGUE, f"{review.KIND}.value": review.KIND}
    grid_only = {f"{review.LEAGUE}.columnState": review.LEAGUE}
    columns = [{"colId": "incidents", "sort": None}]
    bare = "?lang=zh&period=month&day=2026-11-01&cmp=previous"
    args = ("week", "2026-11-12", None, None, "previous", columns, bare, None, [], "zh")
    # (Dash's ``triggered_id`` names the first of them: here the grid)
    both = mock.Mock(triggered_id=review.LEAGUE, triggered_prop_ids=fired)
    with mock.patch.object(review, "ctx", both):
        query, _ = review.sync_url(*args)
    assert query == "?lang=zh&period=week&day=2026-11-09&cmp=previous"
    alone = mock.Mock(triggered_id=review.LEAGUE, triggered_prop_ids=grid_only)
    with mock.patch.object(review, "ctx", alone):
        query, _ = review.sync_url(*args)
    assert query is review.no_update  # the grid alone: the URL stays as it is


@pytest.mark.parametrize(
    ("column", "direction"),
    [
        ("sla_compliance", "asc"),
        ("late_open", "desc"),
        ("visits_done", "asc"),
        ("median_days_to_close", "desc"),
        ("incidents", "desc"),
        ("station_code", "asc"),
    ],
)
def test_a_newly_chosen_column_opens_worst_first(request_context, column, direction):
    # the grid's first click on a header sorts by the column's first sortingOrder
    state = from_query(f"?{NOVEMBER}", None, None)
    (spec,) = [c for c in review.league_table("en", state).columnDefs if c["colId"] == column]
    assert spec["sortingOrder"][0] == direction
    query, _ = review.sync_url(
        "month",
        "2026-11-01",
        None,
        None,
        "previous",
        [{"colId": column, "sort": direction}],
        "?lang=en&sort=repeat_share&dir=asc",
        None,
        [],
        "en",
    )
    if (column, direction == "desc") == DEFAULT_SORT:  # the default order: not in the URL
        assert "sort=" not in query
    else:
        assert f"sort={column}&dir={direction}" in query
    query, _ = review.sync_url(
        "custom", None, "2026-11-12", "2026-11-01", "previous", None, "", None, [], "en"
    )
    assert query == "?lang=en&period=custom&start=2026-11-01&end=2026-11-12&cmp=previous"


def test_a_bar_or_a_cell_opens_the_cases_behind_it(request_context, monkeypatch):
    from datetime import UTC, datetime
    from unittest import mock

    click = {"points": [{"customdata": ["domestic_violence", "2026-11-09", "2026-11-15"]}]}
    with mock.patch.object(review, "ctx", mock.Mock(triggered_id=review.TREND_CATEGORY)):
        path, search = review.drill_bar(click, None, "zh")
    assert path == "/cases"
    assert search == "?lang=zh&m=incidents&start=2026-11-09&end=2026-11-15&cat=domestic_violence"
    monkeypatch.setattr(review, "layer_now", lambda *_a: datetime(2026, 11, 30, 4, tzinfo=UTC))
    path, search = review.drill_station(
        {"rowIndex": 0, "colId": "late_open", "rowId": "BA02", "value": 1},
        {"period": "month", "day": "2026-11-01"},
        "en",
    )
    assert path == "/cases"
    assert search == (
        "?lang=en&m=late_open&start=2026-11-01&end=2026-11-30&st=BA02&now=2026-11-30T04:00:00Z"
    )
    # the station and change columns open the station's incidents; the total row every station
    _, search = review.drill_station(
        {"rowIndex": 0, "colId": "change", "rowId": review.TOTAL_ROW, "value": 4},
        {"period": "month", "day": "2026-11-01"},
        "en",
    )
    assert "m=incidents" in search and "st=" not in search


def test_the_excel_workbook_holds_the_league_table(client, fixture_engine):
    response = client.get(f"/review/export.xlsx?lang=zh&{NOVEMBER}&sort=station_code&dir=asc")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "anning-review-2026-11-01_2026-11-30.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "封面", "派出所排名", "类别趋势", "渠道趋势", "时段分布", "支援单位", "部门", "告诫回访",
    ]  # fmt: skip
    cover = {r[0]: r[1] for r in book["封面"].iter_rows(values_only=True) if r and r[0]}
    assert (
        str(cover["本期开始"])[:10] == "2026-11-01"
        and str(cover["对比期结束"])[:10] == "2026-10-31"
    )
    league = book["派出所排名"]
    assert league.freeze_panes == "B2"
    header = [c.value for c in league[1]]
    assert header[:4] == ["派出所", "事件数", "增减", "增减率"]
    rows = list(league.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 11  # every station, in code order (sort=station_code&dir=asc), total
    assert rows[-1][0] == "全区合计" and rows[-1][1] == 4  # T5 is in the total, not a station
    rows = rows[:-1]
    xixiang = rows[1]
    assert xixiang[0] == "西乡派出所" and xixiang[1:4] == (2, 2, None)
    assert xixiang[header.index("告诫书")] == 1
    assert league.cell(row=3, column=2).number_format == "#,##0"
    assert league.cell(row=3, column=header.index("24 小时处置率") + 1).number_format == "0.0%"
    assert sum(r[1] for r in rows) == 3  # T5 is placed nowhere: in the totals, not a station
    trend = book["类别趋势"]
    assert sum(v for r in trend.iter_rows(min_row=2, values_only=True) for v in r[1:]) == 4
    entry = audit_rows(fixture_engine, AUDIT_ACTIONS["xlsx"])[-1]
    assert entry["user"] == "test-command" and entry["target"] == "review:2026-11-01..2026-11-30"
    assert "day=2026-11-01" in entry["detail"] and "cmp=previous" in entry["detail"]


def test_both_exports_carry_the_support_table_per_unit(client, fixture_engine):
    """The 通报 of seed 003: a November request answered in 30 minutes, with feedback, closed,
    is counted for 治安管理大队 in the workbook and the meeting pack of November."""
    from datetime import datetime

    from sqlalchemy import select

    from data import support
    from data.access import Scope
    from data.models import Incident

    with fixture_engine.connect() as conn:
        t3 = conn.execute(select(Incident.id).where(Incident.incident_no == "T3")).scalar_one()
    chief = Scope(
        user="c", stations=frozenset({"BA01"}), personal_details=True, role="station_chief"
    )
    unit = Scope(user="u", stations=frozenset(), role="support_unit", unit="ZAGL")
    rid = support.file_request(
        fixture_engine, chief, incident_id=t3, unit_code="ZAGL", subject_kind="case",
        reason_codes=["repeat_calls"], reason_text="x", urgency="urgent",
        now=datetime(2026, 11, 15, 2, 0),
    )  # fmt: skip
    support.act(fixture_engine, unit, rid, "accept", now=datetime(2026, 11, 15, 2, 30))
    support.act(fixture_engine, unit, rid, "feedback", note="ok", now=datetime(2026, 11, 16))
    support.act(fixture_engine, chief, rid, "close", now=datetime(2026, 11, 17))
    response = client.get(f"/review/export.xlsx?lang=zh&{NOVEMBER}")
    rows = list(load_workbook(io.BytesIO(response.data))["支援单位"].iter_rows(values_only=True))
    assert rows[0][:5] == ("支援单位", "请求数", "响应时长中位数", "按时响应率", "反馈办结率")
    assert rows[1] == ("治安管理大队", 1, 0.5, 1, 1, 0, 0)
    text = _text(client.get(f"/review/export.pdf?lang=zh&{NOVEMBER}").data)
    assert "警种支援派出所情况通报" in text and "治安管理大队1" in text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "zh",
            [
                "家庭暴力与家事纠纷研判会议材料",
                "2026-11-01至2026-11-30",
                "派出所排名",
                "西乡派出所",
            ],
        ),
        ("en", ["Reviewmeetingpack", "2026-11-01to2026-11-30", "Stationleaguetable", "Xixiang"]),
    ],
)
def test_the_pdf_meeting_pack_reads_in_the_users_language(client, fixture_engine, lang, words):
    before = len(audit_rows(fixture_engine, AUDIT_ACTIONS["pdf"]))
    response = client.get(f"/review/export.pdf?lang={lang}&{NOVEMBER}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 6  # cover, the hot-spot map, two of charts, the league, the loop
    text = _text(response.data)
    # the map page: its title, its caption, and every station named on the map itself
    assert ("热点分布" if lang == "zh" else "Hotspots·") in text
    assert ("Gi*热点网格" if lang == "zh" else "Gi*hotcellsthisperiod") in text
    assert reader.pages[1].mediabox.width > reader.pages[1].mediabox.height  # landscape
    for word in words:
        assert word in text, word
    # the league table's Xixiang row: 2 incidents, +2 against an empty October
    assert re.search(r"(西乡派出所|Xixiang[A-Za-z]*)2\+2", text)
    assert b"NotoSansCJKSC" in response.data  # the shipped font, embedded
    assert len(audit_rows(fixture_engine, AUDIT_ACTIONS["pdf"])) == before + 1


def test_a_station_chief_may_not_export_the_review(chief_client, fixture_engine):
    before = len(audit_rows(fixture_engine, "denied"))
    for fmt in ("pdf", "xlsx"):
        response = chief_client.get(f"/review/export.{fmt}?{NOVEMBER}")
        assert response.status_code == 403
    denied = audit_rows(fixture_engine, "denied")[before:]
    assert [d["target"] for d in denied] == [
        "GET /review/export.pdf",
        "GET /review/export.xlsx",
    ]


def test_the_export_actions_read_in_words():
    for action in AUDIT_ACTIONS.values():
        zh, en = audit_action_label(action, "zh"), audit_action_label(action, "en")
        assert zh != action and en != action and zh != en


def test_league_cells_and_kpis_are_coloured_against_their_targets(request_context, monkeypatch):
    params = dict(pair.split("=") for pair in NOVEMBER.split("&"))
    _, _, kpis, *_, rows, pinned, _, _, _, _ = review.update_review(params, "en")
    tones = {r["id"]: r["sla_compliance__tone"] for r in rows if r["sla_compliance"] is not None}
    shares = {r["id"]: r["sla_compliance"] for r in rows if r["sla_compliance"] is not None}
    for code, share in shares.items():
        assert tones[code] == ("good" if share >= 0.9 else "bad"), (code, share)
    assert all(r["incidents__tone"] == "" for r in rows)  # counts without a target: no colour
    # a target the installation sets moves the verdict: every judged station now meets it
    monkeypatch.setenv("ANNING_REVIEW_TARGETS", "sla_compliance=0")
    _, _, kpis, *_, rows, pinned, _, _, _, _ = review.update_review(params, "en")
    (total,) = pinned.to_plotly_json()["operations"][0]["params"]["value"]
    assert total["sla_compliance__tone"] == "good"  # the district total is judged too
    assert {r["sla_compliance__tone"] for r in rows if r["sla_compliance"] is not None} == {"good"}
    card = next(
        k for k in kpis if k.children.to_plotly_json()["props"]["data-measure"] == "sla_compliance"
    )
    assert "good" in card.children.className
    assert card.children.children[3].children == "Target ≥ 0.0%"
    columns = {
        c["colId"]: c
        for c in review.league_table("en", from_query(f"?{NOVEMBER}", None, None)).columnDefs
    }
    assert "Target ≥ 0.0%" in columns["sla_compliance"]["headerTooltip"]


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("zh", {"上一周期（合计）", "去年同期（合计）"}),
        ("en", {"Previous period (all)", "Same period last year (all)"}),
    ],
)
def test_the_trend_charts_draw_the_comparison_periods_as_lines(lang, names):
    from datetime import date

    import polars as pl

    from dashboard.screens.review.figures import trend_figure

    trend = pl.DataFrame(
        {
            "period": [date(2026, 11, 1), date(2026, 11, 2)],
            "code": ["domestic_violence"] * 2,
            "count": [3, 1],
        }
    )
    line = pl.DataFrame(
        {
            "period": [date(2026, 11, 1), date(2026, 11, 2)],
            "compared": [date(2026, 10, 1), date(2026, 10, 2)],
            "count": [5, 0],
        }
    )
    fig = trend_figure(trend, "category", "1d", lang, {"previous": line, "last_year": line})
    lines = [tr for tr in fig.data if tr.type == "scatter"]
    assert {tr.name for tr in lines} == names
    assert all(tr.line.dash in ("dash", "dot") and tr.line.width < 2 for tr in lines)
    assert list(lines[0].y) == [5, 0] and list(lines[0].customdata) == ["2026-10-01", "2026-10-02"]
    assert fig.layout.yaxis.dtick == 1  # the scale counts the lines' 5 too
    assert all(tr.showlegend is not False for tr in lines)


def test_the_meeting_pack_states_its_findings_and_no_screen_instruction(client, fixture_engine):
    import subprocess

    response = client.get(f"/review/export.pdf?lang=zh&{NOVEMBER}")
    assert response.status_code == 200
    raw = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode("utf-8")
    page_one = raw.split("\f")[0]
    text = re.sub(r"\s+", "", page_one)
    # the findings sit on page 1, under the key figures, with their numbers: November's
    # rises against an empty October (Xixiang +2, Xin'an +1)
    assert "要点" in text
    assert "事件增加最多的派出所（较对比期）：西乡派出所+2" in text
    assert "新安派出所+1" in text
    assert "新出现的热点" in text or "新出现热点" in text
    assert "警情升级" in text
    # nothing written for a screen: no clicking on paper
    full = re.sub(r"\s+", "", raw)
    for hint in ("点击", "鼠标", "review.league_hint"):
        assert hint not in full, hint
    assert "点击一行查看该所本期案件" not in full


def test_the_map_page_draws_hot_cells_and_names_every_station():
    """The map image itself: hot cells in their class colours, station names drawn (their
    text is rendered into the image, so the test counts the cells' coloured pixels)."""
    import polars as pl
    from PIL import Image
    from shapely.geometry import box

    from dashboard.parts import palettes
    from dashboard.screens.review.map_page import MapPage, map_caption, map_png
    from dashboard.screens.review.pdf import _chart_font
    from geo.h3cells import latlng_to_cells

    cells = latlng_to_cells(
        pl.Series([22.56, 22.60]).to_numpy(), pl.Series([113.88, 113.86]).to_numpy(), 8
    )
    hot = pl.DataFrame(
        {"cell": [int(c) for c in cells], "gi_class": [3, 1], "label": ["hot_99", "hot_90"]}
    )
    stations = [
        ("甲所", box(113.84, 22.54, 113.90, 22.58)),
        ("乙所", box(113.84, 22.58, 113.90, 22.62)),
    ]
    image = Image.open(map_png(MapPage(stations, hot), "zh", _chart_font(), dpi=60)).convert("RGB")
    colours = {pixel for _, pixel in image.getcolors(maxcolors=1 << 20)}

    def rgb(hex_colour: str) -> tuple[int, int, int]:
        return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))

    def near(target) -> bool:
        return any(sum(abs(a - b) for a, b in zip(c, target, strict=True)) < 40 for c in colours)

    assert near(rgb(palettes.DIVERGING[0])) and near(rgb(palettes.DIVERGING[2]))
    assert map_caption(MapPage(stations, hot), "en").startswith("2 Gi* hot cells")


def test_the_workbook_colours_values_against_their_targets_as_the_screen_does(
    client, request_context
):
    """The league sheet's cells and the cover's values carry the screen's verdicts: the same
    good/bad per station and measure as the web league table, and the cover names targets."""
    params = dict(pair.split("=") for pair in NOVEMBER.split("&"))
    *_, rows, _pinned, _, _, _, _ = review.update_review(params, "en")
    screen = {r["station_code__text"]: r["sla_compliance__tone"] for r in rows}
    response = client.get(f"/review/export.xlsx?lang=en&{NOVEMBER}&sort=station_code&dir=asc")
    book = load_workbook(io.BytesIO(response.data))
    league = book.worksheets[1]
    header = [c.value for c in league[1]]
    column = header.index("Service levels met") + 1
    fills = {"E3F4E6": "good", "FBE3E3": "bad"}
    judged = 0
    for line in league.iter_rows(min_row=2, max_row=league.max_row - 1):  # the stations
        cell = line[column - 1]
        colour = (cell.fill.fgColor.rgb or "")[-6:] if cell.fill.fill_type == "solid" else ""
        assert fills.get(colour, "") == screen[line[0].value], (line[0].value, colour)
        judged += bool(colour)
    assert judged >= 1, "no station judged: the test would pass vacuously"
    # counts have no target: no colour
    assert all(line[1].fill.fill_type is None for line in league.iter_rows(min_row=2))
    cover = book.worksheets[0]
    texts = [c.value for line in cover.iter_rows() for c in line if isinstance(c.value, str)]
    assert "Target ≥ 90.0%" in texts and "Colours" in texts
