"""The wall's loop strip (issue 13): open support requests and those past their response time,
per unit, refreshed with the wall. The command centre sees every unit's requests; the counts
come from :func:`data.support.unit_table` with the caller's scope."""

from __future__ import annotations

from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard.parts import ids
from dashboard.parts.i18n import normalise_language, t
from dashboard.parts.loop_view import now_utc
from dashboard.parts.services import services
from dashboard.web import auth
from dashboard.web.scope import current_scope
from data import support
from data.users import WALL_ROLES

STRIP = "command-loop"
OPEN = "command-loop-open"
LATE = "command-loop-late"


def strip(lang: str) -> html.Div:
    """The strip before its first refresh."""
    return html.Div(
        [
            html.Div(
                [
                    html.Div(t("loop.wall_open", lang), className="wall-tile-label"),
                    html.Div("…", id=OPEN, className="loop-kpi-value"),
                ],
                className="wall-tile loop-kpi",
            ),
            html.Div(
                [
                    html.Div(t("loop.wall_late", lang), className="wall-tile-label"),
                    html.Div("…", id=LATE, className="loop-kpi-value"),
                ],
                className="wall-tile loop-kpi loop-kpi-late",
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
    """Callback: open and past-due requests in all, and per unit."""
    lang = normalise_language(lang)
    user = auth.current_user()
    if user is None or user.role not in WALL_ROLES:
        raise PreventUpdate
    engine = services().access.engine
    table = support.unit_table(engine, current_scope(), now=now_utc())
    names = {u.code: u.name(lang) for u in support.units(engine)}
    per_unit = [
        html.Div(
            f"{names.get(r['unit_code'], r['unit_code'])}: {r['open']} / {r['past_due']}",
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
