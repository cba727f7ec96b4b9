"""The wall's loop strip (issue 13): open support requests and those past their response time,
per unit, refreshed with the wall. The command centre sees every unit's requests; the counts
come from :func:`data.support.unit_table` with the caller's scope.

Each number opens the requests behind it on the support screen (``/support?show=…&unit=…``)
for the roles that may open that screen (the command centre); leadership and analysts read the
figures (their per-unit table is in the review)."""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboard.parts import ids
from dashboard.parts.i18n import normalise_language, t
from dashboard.parts.loop_view import now_utc, support_href
from dashboard.parts.services import services
from dashboard.web import auth
from dashboard.web.scope import current_scope
from data import support
from data.users import SUPPORT_SCREEN_ROLES, WALL_ROLES

STRIP = "command-loop"
OPEN = "command-loop-open"
LATE = "command-loop-late"


def _tile(label: str, value: Component, lang: str, show: str | None, extra: str = "") -> Component:
    """A strip tile; a link to its requests when ``show`` is given."""
    children = [html.Div(label, className="wall-tile-label"), value]
    if show is None:
        return html.Div(children, className=f"wall-tile loop-kpi{extra}")
    return dcc.Link(children, href=support_href(lang, show), className=f"wall-tile loop-kpi{extra}")


def linked() -> bool:
    """Whether the caller may open the support screen the strip's numbers link to."""
    user = auth.current_user()
    return user is not None and user.role in SUPPORT_SCREEN_ROLES


def strip(lang: str, links: bool = False) -> html.Div:
    """The strip before its first refresh (its two totals linked when ``links``)."""
    return html.Div(
        [
            _tile(
                t("loop.wall_open", lang),
                html.Div("…", id=OPEN, className="loop-kpi-value"),
                lang,
                "open" if links else None,
            ),
            _tile(
                t("loop.wall_late", lang),
                html.Div("…", id=LATE, className="loop-kpi-value"),
                lang,
                "late" if links else None,
                " loop-kpi-late",
            ),
            html.Div(
                [
                    html.Div(t("loop.wall_units", lang), className="wall-tile-label"),
                    html.Div(id=STRIP, className="loop-wall-units"),
                ],
                className="wall-tile loop-kpi",
            ),
        ],
        className="wall-tiles loop-wall",
    )


def refresh_strip(_ticks, lang: str | None):
    """Callback: open and past-due requests in all, and per unit (each number a link to its
    requests for those who may open them)."""
    lang = normalise_language(lang)
    user = auth.current_user()
    if user is None or user.role not in WALL_ROLES:
        raise PreventUpdate
    engine = services().access.engine
    table = support.unit_table(engine, current_scope(), now=now_utc())
    names = {u.code: u.name(lang) for u in support.units(engine)}
    links = linked()

    def number(value: int, show: str, unit: str) -> Component:
        if not links:
            return html.Span(str(value))
        return dcc.Link(str(value), href=support_href(lang, show, unit), className="loop-unit-link")

    per_unit = [
        html.Div(
            [
                f"{names.get(r['unit_code'], r['unit_code'])}: ",
                number(int(r["open"]), "open", r["unit_code"]),
                " / ",
                number(int(r["past_due"]), "late", r["unit_code"]),
            ],
            className="wall-tile-compare",
        )
        for r in table.iter_rows(named=True)
    ]
    return str(int(table["open"].sum())), str(int(table["past_due"].sum())), per_unit


def register_callbacks(app: Dash, refresh_interval: str) -> None:
    """Refresh the strip with the wall's interval ``refresh_interval``."""
    app.callback(
        Output(OPEN, "children"),
        Output(LATE, "children"),
        Output(STRIP, "children"),
        Input(refresh_interval, "n_intervals"),
        State(ids.PAGE_LANG, "data"),
    )(refresh_strip)
