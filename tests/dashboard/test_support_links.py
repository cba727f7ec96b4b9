"""The support numbers open their requests: the wall's strip links each number to the support
screen's list of exactly those requests, and the list follows the link's filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from component_tree import find_all, text_of
from sqlalchemy import select

from dashboard.parts.loop_view import now_utc, support_filter, support_href
from dashboard.screens.command import loop as wall_loop
from dashboard.screens.support import page as support_page
from data import support
from data.access import Scope
from data.models import Incident

CHIEF = Scope(user="chief-ba02", stations=frozenset({"BA02"}), personal_details=True,
              role="station_chief")  # fmt: skip


@pytest.fixture(scope="module")
def requests(fixture_engine):
    """Three requests of BA02: to ZAGL one past its response time and one fresh, to ZHZX one
    answered."""
    with fixture_engine.connect() as conn:
        t1 = conn.execute(select(Incident.id).where(Incident.incident_no == "T1")).scalar_one()

    def file(unit: str, hours_ago: float) -> int:
        return support.file_request(
            fixture_engine, CHIEF, incident_id=t1, unit_code=unit, subject_kind="case",
            reason_codes=["repeat_calls"], reason_text="x", urgency="urgent",
            now=now_utc() - timedelta(hours=hours_ago),
        )  # fmt: skip

    late, fresh, answered = file("ZAGL", 30), file("ZAGL", 0.1), file("ZHZX", 1)
    support.act(fixture_engine, Scope(user="cmd", role="command_center"), answered, "accept")
    return {"late": late, "fresh": fresh, "answered": answered}


def _listed(children) -> set[int]:
    rows = find_all(children, lambda c: getattr(c, "className", None) == "support-row")
    return {int(text_of(row.children[0]).lstrip("#")) for row in rows}


def test_the_url_chooses_the_list():
    assert support_filter("?show=late&unit=ZAGL&lang=en") == ("late", "ZAGL")
    assert support_filter("?show=nonsense") == ("open", None)
    assert support_filter(None) == ("open", None)
    assert support_filter(support_href("en", "all", "ZHZX").partition("?")[2]) == ("all", "ZHZX")


def test_the_list_holds_the_requests_of_its_filter(request_context, requests):
    mine = set(requests.values())
    everything = _listed(support_page.request_list([], None, 0, "en")) & mine
    assert everything == mine
    late = _listed(support_page.request_list(["open", "late"], None, 0, "en")) & mine
    assert late == {requests["late"]}
    zagl = _listed(support_page.request_list(["open"], "ZAGL", 0, "en")) & mine
    assert zagl == {requests["late"], requests["fresh"]}
    zhzx_late = _listed(support_page.request_list(["open", "late"], "ZHZX", 0, "en")) & mine
    assert zhzx_late == set()  # answered in time


def test_the_wall_strip_links_each_number_to_its_list(request_context, requests):
    total_open, total_late, per_unit = wall_loop.refresh_strip(1, "en")
    assert int(total_late) >= 1
    assert int(total_open) == len(_listed(support_page.request_list(["open"], None, 0, "en")))
    assert int(total_late) == len(
        _listed(support_page.request_list(["open", "late"], None, 0, "en"))
    )
    links = {link.href: text_of(link) for link in find_all(per_unit, lambda c: hasattr(c, "href"))}
    zagl_late = support_href("en", "late", "ZAGL")
    assert zagl_late in links
    # the number shown is the number of requests the link lists
    show, unit = support_filter(zagl_late.partition("?")[2])
    listed = _listed(support_page.request_list(support_page.SHOW_VALUES[show], unit, 0, "en"))
    assert int(links[zagl_late]) == len(listed) >= 1
    tiles = wall_loop.strip("en", links=True)
    hrefs = [c.href for c in find_all(tiles, lambda c: hasattr(c, "href"))]
    assert hrefs == [support_href("en", "open"), support_href("en", "late")]


def test_roles_that_cannot_open_the_support_screen_get_the_figures_only(app, requests):
    from dashboard.web.auth import use_identity
    from data.users import UserInfo

    with app.server.test_request_context("/command"):
        use_identity(UserInfo(0, "leader", "leader", "leadership", None))
        assert not wall_loop.linked()
        _, _, per_unit = wall_loop.refresh_strip(1, "zh")
        assert not find_all(per_unit, lambda c: hasattr(c, "href"))
        assert "ZAGL" not in text_of(per_unit)  # the unit is named, not coded
