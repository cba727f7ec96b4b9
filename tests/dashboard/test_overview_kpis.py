"""The overview's headline numbers open their cases: each KPI's link lists exactly the cases
it counts, for the controls, the time slider and a selection (a hexagon, a station, a bar).

Over the demo district (3,000 incidents ending now), as the command center; the list is
rendered by the case-list screen from the link alone, as a reader's click would open it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest

from dashboard.screens.overview import page as overview
from data.access import CaseAccess, IncidentFilter, Scope
from geo.h3cells import cell_to_str
from measures.cases import CaseSpec
from measures.overview import KPIS


def _list_total(demo_app, demo_engine, href: str) -> int:
    """How many cases the case list of ``href`` holds (rendered as the router does)."""
    return _list(demo_app, demo_engine, href)[0]


def _list(demo_app, demo_engine, href: str) -> tuple[int, str]:
    """The case list of ``href`` (rendered as the router does): its total and its page."""
    from dashboard.screens import cases as case_list
    from dashboard.web.auth import use_identity
    from data.users import add_user, get_user

    user = get_user(demo_engine, "t-kpi-command") or add_user(
        demo_engine, "t-kpi-command", "test-password-123", "command_center", None, actor="tests"
    )
    query = urlsplit(href).query
    with demo_app.server.test_request_context("/cases"):
        use_identity(user)
        page = str(case_list.layout("en", "?" + query))
    found = re.search(r"data-total='(\d+)'", page)
    if found is None:  # an empty list says so instead of a count
        assert "No cases match." in page, page[:400]
        return 0, page
    return int(found.group(1)), page


def _kpis(demo_app, demo_engine, *args, selection=None):
    from dashboard.web.auth import use_identity
    from data.users import get_user

    with demo_app.server.test_request_context("/"):
        use_identity(get_user(demo_engine, "t-kpi-command"))
        out = overview.update_kpis(*args, None, None, None, selection, "en")
    values = [int(v.replace(",", "")) for v in out[: len(KPIS)]]
    return values, list(out[len(KPIS) :])


@pytest.fixture(scope="module")
def recent(demo_engine):
    """The demo's last 90 days: first and last day, and their incidents."""
    frame = CaseAccess(demo_engine).incidents(Scope(user="t"), IncidentFilter())
    last = frame["reported_at"].max().date()
    first = last - timedelta(days=89)
    return first, last, frame.filter(pl.col("reported_at").dt.date() >= first)


@pytest.fixture(scope="module")
def busiest(recent):
    """The demo's extent, its busiest res-8 hexagon and station (so selections hold cases)."""
    first, last, frame = recent
    cell, station = _busiest(frame)
    return first.isoformat(), last.isoformat(), cell, station


def _busiest(frame: pl.DataFrame) -> tuple[int, str]:
    """The res-8 hexagon and the station with the most incidents of ``frame``."""
    cell = frame.group_by("h3_8").len().sort(["len", "h3_8"], descending=True)["h3_8"][0]
    station = frame.group_by("station_code").len().sort(["len", "station_code"], descending=True)
    return int(cell), station[0, 0]


CASES = {
    "no selection": lambda cell, station: None,
    "a hexagon": lambda cell, station: {"kind": "cell", "id": cell_to_str(cell)},
    "a station": lambda cell, station: {"kind": "station", "id": station},
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    "filters",
    [([], [], [], []), (["domestic_violence"], [], ["high", "medium"], [])],
    ids=["all", "dv-high-medium"],
)
def test_every_kpi_lists_what_it_counts(demo_app, demo_engine, recent, case, filters):
    first, last, frame = recent
    categories, _, risks, _ = filters
    if categories:
        frame = frame.filter(pl.col("category").is_in(categories))
    if risks:
        frame = frame.filter(pl.col("risk_level").is_in(risks))
    cell, station = _busiest(frame)  # of the filtered incidents: the selection holds some
    first, last = first.isoformat(), last.isoformat()
    _list_total(demo_app, demo_engine, "/cases?m=incidents")  # makes the user
    selection = CASES[case](cell, station)
    values, hrefs = _kpis(demo_app, demo_engine, first, last, *filters, selection=selection)
    assert values[0] > 0, "the selection should hold cases: the test would pass vacuously"
    for (key, _, _), value, href in zip(KPIS, values, hrefs, strict=True):
        assert href.startswith("/cases?"), href
        assert _list_total(demo_app, demo_engine, href) == value, (key, href)
    if case == "a hexagon":  # the list names the hexagon and the place it lies in
        _, page = _list(demo_app, demo_engine, hrefs[0])
        assert re.search(cell_to_str(cell) + r" \(\w+ Community", page), page[:2000]
    if selection is not None:  # a selection narrows every number
        whole, _ = _kpis(demo_app, demo_engine, first, last, *filters)
        assert values[0] < whole[0]


def test_a_bar_of_the_trend_narrows_the_kpis_to_its_days(demo_app, demo_engine, busiest):
    first, last, _, _ = busiest
    day = date.fromisoformat(last) - timedelta(days=3)
    bar = {"kind": "period", "id": f"{day.isoformat()}.1d"}
    values, hrefs = _kpis(demo_app, demo_engine, first, last, [], [], [], [], selection=bar)
    spec = CaseSpec.from_params(dict(parse_qsl(urlsplit(hrefs[0]).query)))
    assert spec.start == spec.end == day
    assert _list_total(demo_app, demo_engine, hrefs[0]) == values[0] > 0


def test_a_risk_filter_without_high_leaves_the_high_risk_kpi_and_its_list_empty(
    demo_app, demo_engine, busiest
):
    first, last, _, _ = busiest
    values, hrefs = _kpis(demo_app, demo_engine, first, last, [], [], ["low"], [])
    assert values[0] > 0 and values[1] == 0
    assert _list_total(demo_app, demo_engine, hrefs[1]) == 0


def test_a_hexagon_in_the_link_reads_back_and_a_bad_one_is_refused():
    spec = CaseSpec(measure="open", cells=(0x88411CAC4BFFFFF,))
    params = spec.to_params()
    assert params["cell"] == "88411cac4bfffff"
    assert CaseSpec.from_params(params) == spec
    with pytest.raises(ValueError, match="cell: 'nonsense' is not an H3 cell"):
        CaseSpec.from_params({"m": "open", "cell": "nonsense"})


def test_too_many_hexagons_in_a_link_are_refused_not_cut():
    many = ",".join(["88411cac4bfffff"] * 501)
    with pytest.raises(ValueError, match="cell: up to 500 hexagons"):
        CaseSpec.from_params({"m": "open", "cell": many})
