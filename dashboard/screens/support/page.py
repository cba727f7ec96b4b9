"""The support units' screen (``/support``): the requests stations addressed to the unit.

A ``support_unit`` user (治安管理大队, 指挥中心 …) sees the requests addressed to its unit with
their clocks, opens one to read its history and linked incidents, answers it (accept, decline
with a reason, start, feedback) and, while it is open, reads the linked cases in full — each
such read is audited (:func:`data.support.linked_case`). The command centre sees every unit's
requests here and may answer for any unit.

Every component id starts with ``support-``: :mod:`dashboard.web.auth` lets only
:data:`~data.users.SUPPORT_SCREEN_ROLES` call these callbacks. Each action carries the version
the user saw; if someone else acted in between, nothing is written and the screen says so.
"""

from __future__ import annotations

import logging

import polars as pl
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.parts import ids
from dashboard.parts.i18n import MISSING, label, normalise_language, t
from dashboard.parts.loop_view import (
    local,
    now_utc,
    reasons_text,
    request_clock,
    support_filter,
)
from dashboard.parts.services import services
from dashboard.web import shell
from dashboard.web.scope import current_scope
from data import support
from data.access import Scope
from data.users import SUPPORT_SCREEN_ROLES, SUPPORT_UNIT

logger = logging.getLogger(__name__)

#: Who may open the screen.
ROLES = SUPPORT_SCREEN_ROLES

OPEN_ONLY = "support-open-only"
UNIT_FILTER = "support-unit"
LIST = "support-list"
DETAIL = "support-detail"
SELECTED = "support-selected"
VERSION = "support-version"
TICK = "support-tick"
NOTE = "support-note"
MESSAGE = "support-message"
CASE = "support-case"
OPEN_BUTTON = "support-open"
ACT_BUTTON = "support-act"
CASE_BUTTON = "support-case-open"
#: Actions the unit's buttons offer, per state.
UNIT_ACTIONS = {
    "requested": ("accept", "decline"),
    "accepted": ("start", "feedback", "decline"),
    "supporting": ("feedback",),
}


def _unit_names(lang: str) -> dict[str, str]:
    return {u.code: u.name(lang) for u in support.units(services().access.engine)}


def layout(lang: str, search: str, **_: str) -> html.Div:
    """The screen: the request list and, for the picked request, its detail. The URL may
    choose the list (``show=open|late|all``, ``unit=<code>``: the wall's numbers link so)."""
    scope = current_scope()
    if scope.role == SUPPORT_UNIT and not scope.unit:
        body = [html.Div(html.P(t("support.no_unit", lang)), className="card notice")]
        return shell.page_frame(lang, body, "page-support")
    show, unit = support_filter(search)
    return build(lang, scope, show, unit)


#: The list's check boxes for each ``show`` of the URL.
SHOW_VALUES = {"open": ["open"], "late": ["open", "late"], "all": []}


def build(
    lang: str, scope: Scope | None = None, show: str = "open", unit: str | None = None
) -> html.Div:
    """The screen's components (also the validation layout)."""
    names = _unit_names(lang) if scope is not None else {}
    if unit not in names:
        unit = None
    # a unit answers its own requests only: no unit to choose
    one_unit = scope is not None and bool(scope.unit)
    title = (
        t("support.title", lang, unit=names.get(scope.unit, scope.unit))
        if scope is not None and scope.unit
        else t("support.title_all", lang)
    )
    body = [
        html.Div(
            [html.H1(title, className="page-title"), html.P(t("support.intro", lang))],
            className="support-head",
        ),
        dcc.Store(id=SELECTED),
        dcc.Store(id=VERSION),
        dcc.Store(id=TICK, data=0),
        html.Div(
            [
                html.Section(
                    [
                        html.Div(
                            [
                                html.H2(t("support.list_title", lang)),
                                html.Div(
                                    [
                                        dcc.Dropdown(
                                            id=UNIT_FILTER,
                                            options=[
                                                {"label": name, "value": code}
                                                for code, name in names.items()
                                            ],
                                            value=unit,
                                            placeholder=t("support.all_units", lang),
                                            clearable=True,
                                            searchable=False,
                                            className="support-unit-filter",
                                            style={"display": "none"} if one_unit else None,
                                        ),
                                        dcc.Checklist(
                                            id=OPEN_ONLY,
                                            options=[
                                                {
                                                    "label": t("support.open_only", lang),
                                                    "value": "open",
                                                },
                                                {
                                                    "label": t("support.late_only", lang),
                                                    "value": "late",
                                                },
                                            ],
                                            value=SHOW_VALUES[show],
                                            inline=True,
                                        ),
                                    ],
                                    className="support-filters",
                                ),
                            ],
                            className="support-list-head",
                        ),
                        html.Div(id=LIST),
                    ],
                    className="card support-list-card",
                ),
                html.Section(
                    [
                        html.Div(id=MESSAGE, role="status", className="support-message"),
                        html.Div(html.P(t("support.pick", lang), className="muted"), id=DETAIL),
                        html.Div(id=CASE),
                    ],
                    className="card support-detail-card",
                ),
            ],
            className="support-grid",
        ),
    ]
    return shell.page_frame(lang, body, "page-support")


def validation_layout() -> html.Div:
    """Every component the callbacks name (no database)."""
    return build("zh")


# -- the list ---------------------------------------------------------------------------------
def request_list(open_only: list | None, unit: str | None, _tick, lang: str | None):
    """Callback: the requests the caller may see, newest first, with their clocks: open ones
    only, past their response time only (``open_only`` holds ``"open"``, ``"late"``), of one
    unit only (``unit``). The count line is of all the caller's requests (of ``unit``)."""
    lang = normalise_language(lang)
    scope = current_scope()
    engine = services().access.engine
    frame = support.with_clocks(support.request_frame(engine, scope), now_utc())
    if isinstance(unit, str) and unit:
        frame = frame.filter(pl.col("unit_code") == unit)
    total, opened, late = frame.height, int(frame["open"].sum()), int(frame["past_due"].sum())
    chosen = open_only if isinstance(open_only, list) else []
    if "open" in chosen:
        frame = frame.filter(pl.col("open"))
    if "late" in chosen:
        frame = frame.filter(pl.col("past_due"))
    stations = {
        c: (zh if lang == "zh" else en) for c, (zh, en) in support.station_names(engine).items()
    }
    units = _unit_names(lang)
    now = now_utc()
    header = [
        "support.col.id",
        "support.col.station",
        "support.col.unit",
        "support.col.urgency",
        "support.col.reasons",
        "support.col.state",
        "support.col.requested",
        "support.col.clock",
        "support.col.linked",
        "",
    ]
    rows = []
    for row in frame.iter_rows(named=True):
        clock, clock_class = request_clock(row, now, lang)
        rows.append(
            html.Tr(
                [
                    html.Td(f"#{row['id']}"),
                    html.Td(stations.get(row["station_code"], row["station_code"])),
                    html.Td(units.get(row["unit_code"], row["unit_code"])),
                    html.Td(label("urgency", row["urgency"], lang)),
                    html.Td(reasons_text(row["reason_codes"], lang)),
                    html.Td(
                        label("support_state", row["state"], lang),
                        className=f"state-{row['state']}",
                    ),
                    html.Td(local(row["requested_at"], services().access.tz)),
                    html.Td(clock, className=clock_class),
                    html.Td(str(row["linked"])),
                    html.Td(
                        html.Button(
                            t("support.open", lang),
                            id={"type": OPEN_BUTTON, "index": int(row["id"])},
                            className="button-small",
                        )
                    ),
                ],
                className="support-row",
            )
        )
    summary = html.P(
        t("support.count", lang, n=total, open=opened, late=late), className="support-count"
    )
    if not rows:
        return [summary, html.P(t("support.none", lang), className="muted")]
    table = html.Table(
        [
            html.Thead(html.Tr([html.Th(t(k, lang) if k else "") for k in header])),
            html.Tbody(rows),
        ],
        className="simple-table loop-table support-table",
        id="support-table",
    )
    return [summary, table]


def pick(clicks: list | None):
    """Callback: the request whose "open" button was pressed."""
    if not clicks or not any(clicks):
        raise PreventUpdate
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or "index" not in trigger:
        raise PreventUpdate
    return int(trigger["index"])


# -- one request ------------------------------------------------------------------------------
def request_panel(request_id: int | None, _tick, lang: str | None):
    """Callback: the picked request's detail, history, linked incidents and actions; and the
    version shown (the actions carry it)."""
    lang = normalise_language(lang)
    if not isinstance(request_id, int):
        raise PreventUpdate
    scope = current_scope()
    svc = services()
    detail = support.request_detail(svc.access.engine, scope, request_id)
    if detail is None:
        return html.P(t("support.refused", lang), className="card notice"), None
    f = detail.fields
    tz = svc.access.tz
    clock, clock_class = request_clock(f, now_utc(), lang)
    facts = [
        (t("support.col.state", lang), label("support_state", f["state"], lang)),
        (t("support.col.urgency", lang), label("urgency", f["urgency"], lang)),
        (t("support.col.subject", lang), label("support_subject", f["subject_kind"], lang)),
        (t("support.col.reasons", lang), reasons_text(f["reason_codes"], lang)),
        (t("support.reason_text", lang), f["reason_text"]),
        (t("support.col.requested", lang), local(f["requested_at"], tz, "%Y-%m-%d %H:%M")),
        (t("support.due", lang), local(f["response_due_at"], tz, "%Y-%m-%d %H:%M")),
        (t("support.col.clock", lang), html.Span(clock, className=clock_class)),
        (t("support.col.feedback", lang), f["feedback_text"] or f["decline_reason"] or MISSING),
    ]
    history = html.Ol(
        [
            html.Li(
                [
                    html.Span(local(e["at"], tz), className="timeline-time"),
                    " ",
                    html.Strong(label("support_action", e["action"], lang)),
                    f" · {e['actor']}",
                    html.Div(e["note"], className="timeline-note") if e["note"] else None,
                ]
            )
            for e in detail.events
        ],
        className="support-history",
        id="support-history",
    )
    linked_rows = [
        html.Tr(
            [
                html.Td(row["incident_no"]),
                html.Td(local(row["reported_at"], tz, "%Y-%m-%d")),
                html.Td(label("category", row["category"], lang)),
                html.Td(label("risk", row["risk_level"], lang)),
                html.Td(row["address"] or MISSING),
                html.Td(
                    html.Button(
                        t("support.view_case", lang),
                        id={"type": CASE_BUTTON, "index": int(row["id"])},
                        className="button-small",
                    )
                    if detail.may_open_cases
                    else ""
                ),
            ]
        )
        for row in detail.linked
    ]
    actions = []
    if scope.role == SUPPORT_UNIT or scope.role == "command_center":
        for action in UNIT_ACTIONS.get(f["state"], ()):
            actions.append(
                html.Button(
                    t(f"support.action.{action}", lang),
                    id={"type": ACT_BUTTON, "index": action},
                    className=f"button action-{action}",
                )
            )
    panel = [
        html.H2(t("support.detail_title", lang, id=request_id)),
        html.Dl(
            [item for k, v in facts for item in (html.Dt(k), html.Dd(v))], className="support-facts"
        ),
        html.H3(t("support.history", lang)),
        history,
        html.H3(t("support.linked_title", lang, n=len(detail.linked))),
        html.P(
            t("support.linked_open" if detail.may_open_cases else "support.linked_closed", lang),
            className="muted",
        ),
        html.Table(
            html.Tbody(linked_rows), className="simple-table loop-table", id="support-linked"
        ),
    ]
    if actions:
        panel += [
            html.Label(t("support.note", lang), htmlFor=NOTE, className="field-label"),
            dcc.Textarea(
                id=NOTE,
                placeholder=t("support.note_placeholder", lang),
                className="support-note",
                maxLength=1000,
            ),
            html.Div(actions, className="support-actions"),
        ]
    else:
        panel.append(dcc.Textarea(id=NOTE, style={"display": "none"}))
    return panel, int(f["version"])


def take_action(clicks: list | None, note: str | None, request_id, version, tick, lang):
    """Callback: accept, decline, start or give feedback, at the version shown."""
    lang = normalise_language(lang)
    if not clicks or not any(clicks) or not isinstance(request_id, int):
        raise PreventUpdate
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("index") not in support.ACTIONS:
        raise PreventUpdate
    action = trigger["index"]
    engine = services().access.engine
    try:
        support.act(
            engine,
            current_scope(),
            request_id,
            action,
            note=note,
            expected_version=version if isinstance(version, int) else None,
        )
    except support.StaleRequestError as err:
        text = t("support.stale", lang, state=label("support_state", err.state, lang))
        return html.P(text, className="notice-warning", role="alert"), (tick or 0) + 1
    except PermissionError:
        return html.P(
            t("support.refused", lang), className="notice-warning", role="alert"
        ), no_update
    except support.SupportError as err:
        return html.P(
            t("support.error", lang, why=str(err)), className="notice-warning", role="alert"
        ), no_update
    target = support.ACTIONS[action][1]
    done = t("support.done", lang, state=label("support_state", target, lang))
    return html.P(done, className="notice-ok"), (tick or 0) + 1


def open_case(clicks: list | None, request_id, lang):
    """Callback: a linked case in full, while the request is open (audited)."""
    lang = normalise_language(lang)
    if not clicks or not any(clicks) or not isinstance(request_id, int):
        raise PreventUpdate
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not isinstance(trigger.get("index"), int):
        raise PreventUpdate
    engine = services().access.engine
    try:
        detail = support.linked_case(engine, current_scope(), request_id, trigger["index"])
    except PermissionError:
        return html.P(t("support.refused", lang), className="notice-warning", role="alert")
    f = detail.fields
    shown = ("reported_at", "category", "risk_level", "status", "address_raw", "summary")
    values = {
        "category": label("category", f["category"], lang),
        "risk_level": label("risk", f["risk_level"], lang),
        "status": label("status", f["status"], lang),
    }
    return html.Div(
        [
            html.H3(t("support.case_title", lang, no=f["incident_no"])),
            html.Dl(
                [
                    item
                    for k in shown
                    for item in (
                        html.Dt(t(f"field.{k}", lang)),
                        html.Dd(str(values.get(k, f.get(k)) or MISSING)),
                    )
                ],
                className="support-facts",
            ),
        ],
        className="support-case",
        id="support-case-detail",
    )


def register_callbacks(app: Dash) -> None:
    """Wire the screen's callbacks."""
    app.callback(
        Output(LIST, "children"),
        Input(OPEN_ONLY, "value"),
        Input(UNIT_FILTER, "value"),
        Input(TICK, "data"),
        State(ids.PAGE_LANG, "data"),
    )(request_list)
    app.callback(
        Output(SELECTED, "data"),
        Input({"type": OPEN_BUTTON, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(pick)
    app.callback(
        Output(DETAIL, "children"),
        Output(VERSION, "data"),
        Input(SELECTED, "data"),
        Input(TICK, "data"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(request_panel)
    app.callback(
        Output(MESSAGE, "children"),
        Output(TICK, "data"),
        Input({"type": ACT_BUTTON, "index": ALL}, "n_clicks"),
        State(NOTE, "value"),
        State(SELECTED, "data"),
        State(VERSION, "data"),
        State(TICK, "data"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(take_action)
    app.callback(
        Output(CASE, "children"),
        Input({"type": CASE_BUTTON, "index": ALL}, "n_clicks"),
        State(SELECTED, "data"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(open_case)
