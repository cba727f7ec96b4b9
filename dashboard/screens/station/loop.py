"""The station workspace's loop section (issue 13): ask for support, follow the station's
requests, visit warned households, see the departments' tasks.

* **Ask for support** — from a repeat household or address, an early-warning entry or a case
  of the station, to a configured unit, with reasons, text and urgency
  (:func:`data.support.file_request`; the linked incidents are attached there).
* **The station's requests** — state, response clock and feedback of each; officers close a
  request that got feedback, the chief reopens one whose support did not help. Each button
  carries the version shown, so an action on a request someone changed meanwhile is refused
  and the list reloads.
* **Visits after warning letters** — warned households due or overdue for a visit, with a
  button to record one (:func:`data.warning_visits.record_visit`), and the tagged persons
  (pseudonyms) with their next visit.
* **Department tasks** — open, past due and median handling time per department.

All ids start with ``station-``: the roles that see cases call these callbacks, and each
callback checks the station of the URL against the caller's scope again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import polars as pl
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.parts import ids
from dashboard.parts.form import field
from dashboard.parts.i18n import MISSING, label, normalise_language, t
from dashboard.parts.loop_view import (
    DEPARTMENT_HEADER_KEYS,
    department_rows,
    local,
    now_utc,
    reasons_text,
    request_clock,
    simple_table,
)
from dashboard.parts.services import services
from dashboard.screens.station.access import OK, code_in_path, station_access
from dashboard.web.scope import current_scope
from data import support, tasks, warning_visits
from data.access import IncidentFilter, mask_address
from data.settings import warning_schedule_days
from data.vocab import SUPPORT_REASONS, SUPPORT_SUBJECTS, SUPPORT_URGENCIES
from measures.service import open_at

logger = logging.getLogger(__name__)

SECTION = "station-loop"
REQUESTS = "station-loop-requests"
WARNED = "station-loop-warned"
TASKS = "station-loop-tasks"
TICK = "station-loop-tick"
FILE_KIND = "station-req-kind"
FILE_ENTRY = "station-req-entry"
FILE_UNIT = "station-req-unit"
FILE_REASONS = "station-req-reasons"
FILE_TEXT = "station-req-text"
FILE_URGENCY = "station-req-urgency"
FILE_SUBMIT = "station-req-submit"
FILE_MESSAGE = "station-req-message"
REQ_NOTE = "station-req-note"
REQ_ACT = "station-req-act"
REQ_MESSAGE = "station-req-act-message"
VISIT_BUTTON = "station-warn-visit"
VISIT_MESSAGE = "station-warn-message"
#: Entries a subject list offers.
MAX_ENTRIES = 40
REPEAT_CALLS = 3


def section(lang: str, code: str) -> html.Div:
    """The loop's place in the workspace: the filing form, and three cards whose bodies
    :func:`load_section` fills (the notes and messages stay put when they reload)."""
    loading = html.P(t("station.loading", lang), className="muted")
    return html.Div(
        [
            dcc.Store(id=TICK, data=0),
            file_form(lang),
            html.Section(
                [
                    html.H2(t("loop.requests_title", lang), className="card-title"),
                    html.Div(loading, id=REQUESTS),
                    html.Label(
                        t("loop.reopen_note", lang), htmlFor=REQ_NOTE, className="field-label"
                    ),
                    dcc.Textarea(id=REQ_NOTE, className="loop-note", maxLength=1000),
                    html.Div(id=REQ_MESSAGE, role="status"),
                ],
                className="card loop-section",
            ),
            html.Section(
                [
                    html.H2(t("warn.title", lang), className="card-title"),
                    html.Div(id=VISIT_MESSAGE, role="status"),
                    html.Div(loading, id=WARNED),
                ],
                className="card loop-section",
            ),
            html.Section(
                [
                    html.H2(t("task.title", lang), className="card-title"),
                    html.Div(loading, id=TASKS),
                ],
                className="card loop-section",
            ),
        ],
        className="station-loop",
        id=SECTION,
        **{"data-station": code},
    )


def file_form(lang: str) -> html.Section:
    """The form a station user asks for support with."""
    return html.Section(
        [
            html.H2(t("loop.file_title", lang), className="card-title"),
            html.P(t("loop.file_intro", lang), className="muted"),
            html.Div(
                [
                    field(
                        t("loop.file_subject", lang),
                        dcc.RadioItems(
                            id=FILE_KIND,
                            options=[
                                {"label": label("support_subject", k, lang), "value": k}
                                for k in SUPPORT_SUBJECTS
                            ],
                            value="household",
                            inline=True,
                        ),
                    ),
                    field(
                        None,
                        dcc.Dropdown(
                            id=FILE_ENTRY,
                            placeholder=t("loop.file_pick", lang),
                            className="filter-dropdown",
                        ),
                        class_name="field-wide",
                    ),
                    field(
                        t("loop.file_unit", lang),
                        dcc.Dropdown(id=FILE_UNIT, clearable=False, className="filter-dropdown"),
                    ),
                    field(
                        t("loop.file_urgency", lang),
                        dcc.RadioItems(
                            id=FILE_URGENCY,
                            options=[
                                {"label": label("urgency", u, lang), "value": u}
                                for u in SUPPORT_URGENCIES
                            ],
                            value="normal",
                            inline=True,
                        ),
                    ),
                    field(
                        t("loop.file_reasons", lang),
                        dcc.Checklist(
                            id=FILE_REASONS,
                            options=[
                                {"label": label("support_reason", r, lang), "value": r}
                                for r in SUPPORT_REASONS
                            ],
                            value=["repeat_calls"],
                            inline=True,
                        ),
                        class_name="field-wide",
                    ),
                    field(
                        t("loop.file_text", lang),
                        dcc.Textarea(id=FILE_TEXT, className="loop-note", maxLength=500),
                        class_name="field-wide",
                    ),
                ],
                className="loop-form",
            ),
            html.Div(
                [
                    html.Button(t("loop.file_submit", lang), id=FILE_SUBMIT, className="button"),
                    html.Div(id=FILE_MESSAGE, role="status"),
                ],
                className="loop-actions",
            ),
        ],
        className="card loop-section station-file",
    )


def _checked(pathname: str | None) -> str:
    code = code_in_path(pathname)
    if station_access(services().access, current_scope(), code) != OK:
        raise PreventUpdate
    return code or ""


# -- what the form offers ------------------------------------------------------------------------
def subject_options(kind: str | None, pathname: str | None, lang: str | None):
    """Callback: the households, addresses, warnings or cases of the station to pick from
    (value: the case the request is filed from), and the configured units."""
    lang = normalise_language(lang)
    code = _checked(pathname)
    svc, scope = services(), current_scope()
    flt = IncidentFilter(stations=(code,))
    units = [{"label": u.name(lang), "value": u.code} for u in support.units(svc.access.engine)]
    unit = units[0]["value"] if units else None
    frame = svc.access.incidents(
        scope,
        flt,
        [
            "id",
            "incident_no",
            "reported_at",
            "address_raw",
            "address_key",
            "risk_level",
            "closed_at",
        ],
    )

    def shown(address: str | None) -> str:
        text = address if scope.personal_details else mask_address(address)
        return text or MISSING

    options = []
    if kind in ("household", "address"):
        repeats = (
            frame.filter(pl.col("address_key").is_not_null())
            .sort("reported_at")
            .group_by("address_key")
            .agg(pl.len().alias("n"), pl.col("id").last(), pl.col("address_raw").last())
            .filter(pl.col("n") >= REPEAT_CALLS)
            .sort("n", "id", descending=True)
            .head(MAX_ENTRIES)
        )
        for r in repeats.iter_rows(named=True):
            text = t(
                "loop.subject_option",
                lang,
                kind=label("support_subject", kind, lang),
                address=shown(r["address_raw"]),
                n=r["n"],
            )
            options.append({"label": text, "value": int(r["id"])})
    elif kind == "warning":
        warnings = svc.layer(scope, flt, "early_warning")
        # Layers name incidents by number; the request is filed from the entry's newest one.
        by_number = {
            r["incident_no"]: (r["reported_at"], r["id"]) for r in frame.iter_rows(named=True)
        }
        for r in warnings.head(MAX_ENTRIES).iter_rows(named=True):
            known = [by_number[n] for n in (r.get("incident_ids") or []) if n in by_number]
            if not known:
                continue
            last = max(known)[1]
            sep = "；" if lang == "zh" else "; "
            reasons = sep.join(label("reason", c, lang) for c in (r.get("reasons") or []))
            place = r.get("address_key") or r.get("community")
            options.append(
                {
                    "label": f"{label('ew_kind', r.get('kind'), lang)} · {reasons} · "
                    f"{shown(place)}",
                    "value": int(last),
                }
            )
    else:
        recent = (
            frame.filter(open_at(datetime.now(UTC)))
            .sort("reported_at", descending=True)
            .head(MAX_ENTRIES)
        )
        for r in recent.iter_rows(named=True):
            options.append(
                {
                    "label": f"{r['incident_no']} · {label('risk', r['risk_level'], lang)} · "
                    f"{shown(r['address_raw'])}",
                    "value": int(r["id"]),
                }
            )
    return options, None, units, unit


def file_request(n_clicks, kind, entry, unit, reasons, text, urgency, pathname, tick, lang):
    """Callback: file the request; say so (or why not) and reload the station's requests."""
    lang = normalise_language(lang)
    if not n_clicks:
        raise PreventUpdate
    _checked(pathname)
    if not isinstance(entry, int):
        return html.P(t("loop.file_pick", lang), className="notice-warning"), tick
    engine = services().access.engine
    try:
        request_id = support.file_request(
            engine,
            current_scope(),
            incident_id=entry,
            unit_code=unit or "",
            subject_kind=kind if kind in SUPPORT_SUBJECTS else "case",
            reason_codes=reasons or [],
            reason_text=text or "",
            urgency=urgency or "normal",
        )
    except PermissionError:
        return html.P(t("support.refused", lang), className="notice-warning"), tick
    except support.SupportError as err:
        return html.P(t("support.error", lang, why=str(err)), className="notice-warning"), tick
    row = support.request_frame(engine, current_scope()).filter(pl.col("id") == request_id)
    due = local(row["response_due_at"][0], services().access.tz, "%m-%d %H:%M")
    done = t("loop.file_done", lang, id=request_id, due=due)
    return html.P(done, className="notice-ok", id="station-req-filed"), (tick or 0) + 1


# -- the section ---------------------------------------------------------------------------------
def load_section(_tick, pathname: str | None, lang: str | None):
    """Callback: the station's requests, warned households, tagged persons and tasks."""
    lang = normalise_language(lang)
    code = _checked(pathname)
    try:
        return requests_card(code, lang), warnings_card(code, lang), tasks_card(code, lang)
    except Exception:
        logger.exception("loop section of %s failed", code)
        failed = html.P(t("station.panels_failed", lang), className="notice", role="alert")
        return failed, failed, failed


def requests_card(code: str, lang: str):
    """The station's support requests with their clocks and feedback; close and reopen."""
    svc, scope = services(), current_scope()
    engine, tz, now = svc.access.engine, svc.access.tz, now_utc()
    frame = support.request_frame(engine, scope, stations=(code,))
    units = {u.code: u.name(lang) for u in support.units(engine)}
    rows = []
    for r in frame.iter_rows(named=True):
        clock, clock_class = request_clock(r, now, lang)
        buttons = []
        if r["state"] == "feedback_given" and scope.role in ("station_chief", "station_officer"):
            buttons.append(_act_button(r, "close", lang))
        if r["state"] in ("feedback_given", "closed", "declined") and scope.role == "station_chief":
            buttons.append(_act_button(r, "reopen", lang))
        answer = r["feedback_text"] or r["decline_reason"] or MISSING
        rows.append(
            [
                f"#{r['id']}",
                units.get(r["unit_code"], r["unit_code"]),
                reasons_text(r["reason_codes"], lang),
                local(r["requested_at"], tz),
                html.Span(
                    label("support_state", r["state"], lang), className=f"state-{r['state']}"
                ),
                html.Span(clock, className=clock_class),
                # what a unit wrote, in its own words: data, not interface text
                html.Span(answer, className="free-text"),
                html.Span(buttons, className="loop-actions"),
            ]
        )
    headers = [
        t(k, lang)
        for k in (
            "support.col.id",
            "support.col.unit",
            "support.col.reasons",
            "support.col.requested",
            "support.col.state",
            "support.col.clock",
            "support.col.feedback",
        )
    ] + [""]
    if not rows:
        return html.P(t("loop.requests_none", lang), className="muted")
    return simple_table(headers, rows, "station-requests")


def _act_button(row: dict, action: str, lang: str) -> html.Button:
    return html.Button(
        t(f"support.action.{action}", lang),
        id={"type": REQ_ACT, "index": f"{row['id']}:{action}:{row['version']}"},
        className="button-small",
    )


def act_on_request(clicks, note, pathname, tick, lang):
    """Callback: close or reopen a request of the station, at the version shown."""
    lang = normalise_language(lang)
    if not clicks or not any(clicks):
        raise PreventUpdate
    _checked(pathname)
    trigger = ctx.triggered_id
    try:
        request_id, action, version = str(trigger["index"]).split(":")
        request_id, version = int(request_id), int(version)
    except (TypeError, KeyError, ValueError):
        raise PreventUpdate from None
    if action not in ("close", "reopen"):
        raise PreventUpdate
    engine = services().access.engine
    try:
        support.act(
            engine, current_scope(), request_id, action, note=note, expected_version=version
        )
    except support.StaleRequestError as err:
        text = t("support.stale", lang, state=label("support_state", err.state, lang))
        return html.P(text, className="notice-warning", role="alert"), (tick or 0) + 1
    except PermissionError:
        return html.P(t("support.refused", lang), className="notice-warning"), tick
    except support.SupportError as err:
        return html.P(t("support.error", lang, why=str(err)), className="notice-warning"), tick
    state = label("support_state", support.ACTIONS[action][1], lang)
    return html.P(t("support.done", lang, state=state), className="notice-ok"), (tick or 0) + 1


def warnings_card(code: str, lang: str) -> list:
    """Warned households due or overdue for a visit, and the tagged persons."""
    svc, scope = services(), current_scope()
    engine, tz, now = svc.access.engine, svc.access.tz, now_utc()
    frame = warning_visits.schedules(engine, scope, stations=(code,), now=now)
    pending = frame.filter(pl.col("state").is_in(["due", "overdue"])).sort("next_due")
    due = pending.filter(pl.col("state") == "due").height
    overdue = pending.height - due
    first, interval, length = warning_schedule_days()
    rows = [
        [
            dcc.Link(r["incident_no"], href=f"/case/{r['incident_id']}"),
            local(r["issued_at"], tz),
            local(r["next_due"], tz),
            r["visits"],
            html.Span(
                t(f"warn.state.{r['state']}", lang),
                className="clock-late" if r["state"] == "overdue" else "clock-running",
            ),
            html.Button(
                t("warn.record", lang),
                id={"type": VISIT_BUTTON, "index": int(r["incident_id"])},
                className="button-small",
            ),
        ]
        for r in pending.head(30).iter_rows(named=True)
    ]
    headers = [
        t(k, lang)
        for k in (
            "warn.col.case",
            "warn.col.issued",
            "warn.col.next",
            "warn.col.visits",
            "warn.col.state",
        )
    ] + [""]
    persons = warning_visits.tagged_persons(engine, scope, stations=(code,), now=now)
    person_rows = [
        [
            r["person"],
            t(f"warn.role.{r['role']}", lang),
            r["incident_no"],
            local(r["next_due"], tz),
            t(f"warn.state.{r['state']}", lang),
        ]
        for r in persons.head(20).iter_rows(named=True)
    ]
    return [
        html.P(
            t("warn.intro", lang, first=first, interval=interval, months=round(length / 30.5)),
            className="muted",
        ),
        html.P(
            t("warn.count", lang, due=due, overdue=overdue),
            className="loop-count",
            id="station-warn-count",
        ),
        simple_table(headers, rows, "station-warned")
        if rows
        else html.P(t("warn.none", lang), className="muted"),
        html.H3(t("warn.tagged_title", lang)),
        simple_table(
            [
                t(k, lang)
                for k in (
                    "warn.col.person",
                    "warn.col.role",
                    "warn.col.case",
                    "warn.col.next",
                    "warn.col.state",
                )
            ],
            person_rows,
            "station-tagged",
        )
        if person_rows
        else html.P(t("warn.tagged_none", lang), className="muted"),
    ]


def record_visit(clicks, pathname, tick, lang):
    """Callback: record a visit to the warned household whose button was pressed."""
    lang = normalise_language(lang)
    if not clicks or not any(clicks):
        raise PreventUpdate
    _checked(pathname)
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not isinstance(trigger.get("index"), int):
        raise PreventUpdate
    try:
        warning_visits.record_visit(services().access.engine, current_scope(), trigger["index"])
    except PermissionError:
        return html.P(t("support.refused", lang), className="notice-warning"), tick
    except warning_visits.VisitError as err:
        return html.P(t("support.error", lang, why=str(err)), className="notice-warning"), tick
    return html.P(t("warn.recorded", lang), className="notice-ok"), (tick or 0) + 1


def tasks_card(code: str, lang: str) -> html.Table:
    """Open, past-due and median handling time per department, for the station."""
    svc, scope = services(), current_scope()
    table = tasks.department_table(svc.access.engine, scope, stations=(code,), now=now_utc())
    return simple_table(
        [t(k, lang) for k in DEPARTMENT_HEADER_KEYS], department_rows(table, lang), "station-tasks"
    )


def register_callbacks(app: Dash) -> None:
    """Wire the section's callbacks."""
    lang = State(ids.PAGE_LANG, "data")
    app.callback(
        Output(FILE_ENTRY, "options"),
        Output(FILE_ENTRY, "value"),
        Output(FILE_UNIT, "options"),
        Output(FILE_UNIT, "value"),
        Input(FILE_KIND, "value"),
        State(ids.URL, "pathname"),
        lang,
    )(subject_options)
    app.callback(
        Output(FILE_MESSAGE, "children"),
        Output(TICK, "data", allow_duplicate=True),
        Input(FILE_SUBMIT, "n_clicks"),
        State(FILE_KIND, "value"),
        State(FILE_ENTRY, "value"),
        State(FILE_UNIT, "value"),
        State(FILE_REASONS, "value"),
        State(FILE_TEXT, "value"),
        State(FILE_URGENCY, "value"),
        State(ids.URL, "pathname"),
        State(TICK, "data"),
        lang,
        prevent_initial_call=True,
    )(file_request)
    app.callback(
        Output(REQUESTS, "children"),
        Output(WARNED, "children"),
        Output(TASKS, "children"),
        Input(TICK, "data"),
        State(ids.URL, "pathname"),
        lang,
    )(load_section)
    app.callback(
        Output(REQ_MESSAGE, "children"),
        Output(TICK, "data", allow_duplicate=True),
        Input({"type": REQ_ACT, "index": ALL}, "n_clicks"),
        State(REQ_NOTE, "value"),
        State(ids.URL, "pathname"),
        State(TICK, "data"),
        lang,
        prevent_initial_call=True,
    )(act_on_request)
    app.callback(
        Output(VISIT_MESSAGE, "children"),
        Output(TICK, "data", allow_duplicate=True),
        Input({"type": VISIT_BUTTON, "index": ALL}, "n_clicks"),
        State(ids.URL, "pathname"),
        State(TICK, "data"),
        lang,
        prevent_initial_call=True,
    )(record_visit)
