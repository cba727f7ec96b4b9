"""The screens a user may open, as links in the header, and where each role lands after login.

Each role has a screen made for its job (issue #5): the command center the wall, leadership the
review, a station's chief and officers their workspace; analysts the overview. The header links
to every screen the user's role may open, the current one marked.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard.parts.i18n import t
from data.users import (
    ADMINISTRATOR,
    COMMAND_CENTER,
    LEADERSHIP,
    REVIEW_ROLES,
    STATION_ROLES,
    SUPPORT_SCREEN_ROLES,
    SUPPORT_UNIT,
    WALL_ROLES,
    UserInfo,
    may_see_cases,
)

ADMIN_PAGE = "/admin"
SUPPORT_PAGE = "/support"


def home_path(user: UserInfo) -> str:
    """The screen made for ``user``'s job."""
    if user.role == ADMINISTRATOR:
        return ADMIN_PAGE
    if user.role == COMMAND_CENTER:
        return "/command"
    if user.role == LEADERSHIP:
        return "/review"
    if user.role == SUPPORT_UNIT:
        return SUPPORT_PAGE
    if user.role in STATION_ROLES and user.station_code:
        return f"/station/{user.station_code}"
    return "/"


def screens(user: UserInfo, first_station: str | None) -> list[tuple[str, str]]:
    """(path, label key) of every screen ``user`` may open, in the header's order."""

    if user.role == SUPPORT_UNIT:
        return [(SUPPORT_PAGE, "nav.support")]
    if not may_see_cases(user.role):
        return []
    links = [("/", "nav.overview")]
    if user.role in WALL_ROLES:
        links.append(("/command", "nav.command"))
    if user.role in REVIEW_ROLES:
        links.append(("/review", "nav.review"))
    if user.role in SUPPORT_SCREEN_ROLES:
        links.append((SUPPORT_PAGE, "nav.support"))
    station = user.station_code if user.role in STATION_ROLES else first_station
    if station:
        links.append((f"/station/{station}", "nav.station"))
    return links


def nav_bar(user: UserInfo | None, lang: str, current: str, first_station: str | None) -> html.Nav:
    """Links to ``user``'s screens, the one at ``current`` marked (empty when there is none)."""
    items = []
    if user is not None:
        for path, key in screens(user, first_station):
            here = current == path or (path.startswith("/station/") and current.startswith(path))
            label = t(key, lang)
            items.append(
                dcc.Link(
                    label,
                    href=path,
                    className="nav-link nav-current" if here else "nav-link",
                    # dcc.Link takes no aria attributes: the title says which one is shown.
                    title=t("nav.current", lang, screen=label) if here else label,
                )
            )
    return html.Nav(items, className="screen-nav", **{"aria-label": t("nav.label", lang)})
