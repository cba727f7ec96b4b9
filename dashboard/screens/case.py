"""The case page (``/case/<incident_id>``): one case's fields, status timeline and follow-ups.

The case is read through :meth:`data.access.CaseAccess.case_detail`, which applies the scope
(masking personal details, refusing other stations' cases) and writes the audit trail. An id
that is not a positive 64-bit integer, or a case the scope may not see, gets one calm message:
the page never says which of the two it was, and never shows a stack trace.

A role that may reveal personal details (the command center) sees a masked case with a
reveal panel: after a reason is given, :meth:`data.access.CaseAccess.reveal_case` unmasks
this one case and records the reason in the audit trail.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl
from dash import Dash, Input, NoUpdate, Output, State, dcc, html, no_update

from dashboard.parts import ids
from dashboard.parts.i18n import MISSING, label, note, t
from dashboard.parts.linked import back_target, linked_section
from dashboard.parts.loop_view import local, now_utc, simple_table
from dashboard.parts.services import services
from dashboard.parts.tables import detail_rows
from dashboard.web.scope import current_scope
from dashboard.web.shell import page_frame
from data import tasks, warning_visits
from data.access import MAX_REASON_LENGTH, MIN_REASON_LENGTH, CaseDetail, RevealLimitError
from data.settings import reveal_max_per_hour, task_service_hours, warning_schedule_days
from data.vocab import DEPARTMENTS, TASK_ACTIONS

#: Largest id a database integer key can hold (SQLite and PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
_ID = re.compile(r"^[0-9]{1,19}$")


def parse_incident_id(text: str | None) -> int | None:
    """The incident id in a URL segment, or None if it cannot be one (``'abc'``, ``-1``, 2**70)."""
    if text is None or not _ID.match(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def layout(lang: str, search: str, incident_id: str | None = None, **_: str) -> html.Div:
    """The case page for the id in the path; the query string is kept for the back link."""
    number = parse_incident_id(incident_id)
    detail = None
    if number is not None:
        detail = services().access.case_detail(current_scope(), number)
    names = services().station_names(current_scope(), lang) if detail is not None else {}
    linked = None
    dept_tasks = None
    if detail is not None and number is not None:
        linked = services().access.linked_incidents(current_scope(), number)
        dept_tasks = tasks.task_frame(services().access.engine, current_scope(), incident_id=number)
    return build(
        lang,
        search,
        incident_id or "",
        detail,
        names,
        masked=not current_scope().personal_details,
        can_reveal=current_scope().can_reveal,
        linked=linked,
        dept_tasks=dept_tasks,
        may_record=current_scope().role in tasks.RECORDER_ROLES,
    )


def validation_layout() -> html.Div:
    """Every component the page can show, for Dash's callback validation."""
    detail = CaseDetail({"incident_no": "x"}, [], [])
    return html.Div(
        [
            build(
                "zh",
                "",
                "1",
                detail,
                {},
                masked=True,
                can_reveal=True,
                dept_tasks=pl.DataFrame(schema=tasks.TASK_COLUMNS),
                may_record=True,
            ),
            build("zh", "", "x", None, {}),
        ]
    )


def _value_class(name: str, value: object) -> str:
    """CSS classes of a field's value: high risk is marked so it stands out."""
    return f"field-{name} risk-{value}" if name == "risk_level" else f"field-{name}"


def _timeline(events: list[dict[str, object]], lang: str) -> html.Ol | html.P:
    """The status timeline: one list item per status change, oldest first."""
    if not events:
        return html.P(t("case.no_events", lang), id=ids.CASE_TIMELINE, className="muted")
    items = []
    for event in events:
        head = [html.Span(label("status", event.get("status"), lang), className="timeline-status")]
        if event.get("department"):
            head.append(
                html.Span(
                    label("department", event.get("department"), lang),
                    className="timeline-department",
                )
            )
        parts = [
            html.Div(event.get("at") or MISSING, className="timeline-time"),
            html.Div(head, className="timeline-head"),
        ]
        if event.get("note"):
            parts.append(html.Div(note(event.get("note"), lang), className="timeline-note"))
        items.append(html.Li(parts, className=f"timeline-item status-{event.get('status')}"))
    return html.Ol(items, id=ids.CASE_TIMELINE, className="timeline")


def _visit_table(visits: list[dict[str, object]], lang: str) -> html.Table | html.P:
    """The follow-up visits as a table, oldest first."""
    if not visits:
        return html.P(t("case.no_visits", lang), id=ids.CASE_VISITS, className="muted")
    columns = ("visited_at", "department", "outcome", "note")
    rows = [
        html.Tr(
            [
                html.Td(v.get("visited_at") or MISSING),
                html.Td(label("department", v.get("department"), lang)),
                html.Td(label("outcome", v.get("outcome"), lang)),
                html.Td(note(v.get("note"), lang)),
            ]
        )
        for v in visits
    ]
    return html.Table(
        [html.Thead(html.Tr([html.Th(t(f"field.{c}", lang)) for c in columns])), html.Tbody(rows)],
        id=ids.CASE_VISITS,
        className="simple-table",
    )


def _back_link(lang: str, search: str) -> dcc.Link:
    target = back_target(search)  # opened from a station's workspace: back there
    if target is not None:
        return dcc.Link(t(target[1], lang), href=target[0], id=ids.BACK_LINK, className="back-link")
    return dcc.Link(
        t("case.back", lang), href="/" + (search or ""), id=ids.BACK_LINK, className="back-link"
    )


def build(
    lang: str,
    search: str,
    raw_id: str,
    detail: CaseDetail | None,
    station_names: dict[str, str],
    masked: bool = True,
    can_reveal: bool = False,
    linked: pl.DataFrame | None = None,
    dept_tasks: pl.DataFrame | None = None,
    may_record: bool = False,
) -> html.Div:
    """The page's components (pure). ``detail`` None means not found or not permitted.

    ``dept_tasks`` (:func:`data.tasks.task_frame`) adds each department's task with its clock;
    ``may_record`` the form to record what a department did.

    A masked case shown to a role that ``can_reveal`` gets the reveal panel (reason, button).
    ``linked`` (from :meth:`~data.access.CaseAccess.linked_incidents`) adds that section.
    """
    if detail is None:
        message = t("case.not_found", lang)
        if parse_incident_id(raw_id) is None:
            message = t("case.bad_id", lang, value=raw_id[:40]) + " " + message
        body = [
            _back_link(lang, search),
            html.Div(
                [html.H1(t("case.title", lang), className="page-title"), html.P(message)],
                id=ids.CASE_NOT_FOUND,
                className="card notice",
                role="alert",
            ),
        ]
        return page_frame(lang, body, "case-page")

    fields = detail.fields
    title = f"{t('case.title', lang)} · {fields.get('incident_no') or MISSING}"
    field_list = html.Dl(
        field_items(fields, lang, station_names), id=ids.CASE_FIELDS, className="field-list"
    )
    timeline = _timeline(detail.status_events, lang)
    visits = detail.follow_up_visits
    visit_table = _visit_table(visits, lang)
    body = [
        _back_link(lang, search),
        html.H1(title, className="page-title"),
        html.P(t("case.masked", lang), className="muted masked-note") if masked else None,
        reveal_panel(lang) if masked and can_reveal else None,
        html.Div(
            [
                html.Section(
                    [html.H2(t("case.fields", lang), className="card-title"), field_list],
                    className="card case-fields",
                ),
                html.Div(
                    [
                        html.Section(
                            [html.H2(t("case.timeline", lang), className="card-title"), timeline],
                            className="card case-timeline",
                        ),
                        html.Section(
                            [
                                html.Div(
                                    [
                                        html.H2(t("case.visits", lang), className="card-title"),
                                        html.Span(
                                            t("case.visit_count", lang, n=len(visits)),
                                            className="card-hint",
                                        ),
                                    ],
                                    className="card-head",
                                ),
                                visit_table,
                            ],
                            className="card case-visits",
                        ),
                        linked_section(linked, lang, search, station_names)
                        if linked is not None
                        else None,
                        task_section(dept_tasks, lang, may_record)
                        if dept_tasks is not None
                        else None,
                        warning_section(bool(fields.get("warning_letter")), lang)
                        if may_record
                        else None,
                    ],
                    className="case-side",
                ),
            ],
            className="case-grid",
        ),
    ]
    return page_frame(lang, body, "case-page")


def field_items(
    fields: dict[str, object], lang: str, station_names: dict[str, str]
) -> list[html.Dt | html.Dd]:
    """The case's fields as the terms and values of the field list."""
    return [
        item
        for name, caption, value in detail_rows(fields, lang, station_names)
        for item in (
            html.Dt(caption, className=f"field-{name}"),
            html.Dd(value, className=_value_class(name, fields.get(name))),
        )
    ]


def reveal_panel(lang: str) -> html.Section:
    """Reason and button to unmask this case's personal details (recorded as ``reveal``)."""
    return html.Section(
        [
            html.H2(t("reveal.title", lang), className="card-title"),
            html.P(t("reveal.hint", lang), className="card-hint"),
            html.Div(
                [
                    dcc.Input(
                        id=ids.REVEAL_REASON,
                        type="text",
                        maxLength=MAX_REASON_LENGTH,
                        placeholder=t("reveal.reason", lang),
                        className="text-input reveal-reason",
                    ),
                    html.Button(
                        t("reveal.button", lang),
                        id=ids.REVEAL_BUTTON,
                        n_clicks=0,
                        className="button",
                    ),
                ],
                className="reveal-row",
            ),
            html.P(id=ids.REVEAL_MESSAGE, className="reveal-message", role="status"),
        ],
        id=ids.REVEAL_PANEL,
        className="card reveal-panel",
    )


def reveal(
    n_clicks: int | None, reason: object, pathname: str | None, lang: str | None
) -> tuple[list | NoUpdate, str]:
    """Callback: unmask the case of the page's path for the reason given, or say why not.

    :meth:`~data.access.CaseAccess.reveal_case` checks the role, the station and the reason,
    and writes the audit trail; a case the user may not see looks like a missing one.
    """
    lang = lang or "zh"
    if not n_clicks:
        return no_update, ""
    match = re.match(r"^/case/([^/]*)/?$", pathname or "")
    number = parse_incident_id(match.group(1)) if match else None
    if number is None:
        return no_update, t("case.not_found", lang)
    scope = current_scope()
    try:
        detail = services().access.reveal_case(scope, number, reason)  # type: ignore[arg-type]
    except RevealLimitError:
        return no_update, t("reveal.limit", lang, n=reveal_max_per_hour())
    except PermissionError:
        return no_update, t("reveal.refused", lang)
    except ValueError:
        return no_update, t(
            "reveal.bad_reason", lang, low=MIN_REASON_LENGTH, high=MAX_REASON_LENGTH
        )
    if detail is None:
        return no_update, t("case.not_found", lang)
    names = services().station_names(scope, lang)
    return field_items(detail.fields, lang, names), t("reveal.done", lang)


# -- department tasks (issue 13) ------------------------------------------------------------------
TASKS = "case-tasks"
TASK_DEPARTMENT = "case-task-department"
TASK_ACTION = "case-task-action"
TASK_TIME = "case-task-time"
TASK_NOTE = "case-task-note"
TASK_SUBMIT = "case-task-submit"
TASK_MESSAGE = "case-task-message"
DISPATCH_DEPARTMENT = "case-dispatch-department"
DISPATCH_SUBMIT = "case-dispatch-submit"
DISPATCH_MESSAGE = "case-dispatch-message"


def task_table(frame: pl.DataFrame, lang: str) -> html.Table | html.P:
    """Each department's task on the case with its clock: assigned, due, state (late in red)."""
    if frame.is_empty():
        return html.P(t("task.none", lang), className="muted", id=TASKS)
    tz, now = services().access.tz, now_utc()
    rows = []
    for r in tasks.with_clocks(frame, now).iter_rows(named=True):
        state = ("late" if r["state"] == "open" else "done_late") if r["past_due"] else r["state"]
        rows.append(
            [
                label("department", r["department"], lang),
                local(r["assigned_at"], tz),
                local(r["due_at"], tz),
                html.Span(
                    t(f"task.state.{state}", lang),
                    className="clock-late" if r["past_due"] else "clock-ok",
                ),
                label("task_action", r["last_action"], lang) if r["last_action"] else MISSING,
            ]
        )
    headers = [
        t(k, lang)
        for k in (
            "task.col.department",
            "task.col.assigned",
            "task.col.due",
            "task.col.state",
            "task.col.action",
        )
    ]
    return simple_table(headers, rows, TASKS)


def task_section(frame: pl.DataFrame, lang: str, may_record: bool) -> html.Section:
    """The tasks' card, with the form to record what a department did when allowed."""
    children = [
        html.H2(t("task.case_title", lang), className="card-title"),
        html.Div(task_table(frame, lang), id="case-task-table"),
    ]
    if may_record:
        children += dispatch_form(lang)
        children += [
            html.H3(t("task.record_title", lang)),
            html.Div(
                [
                    department_dropdown(TASK_DEPARTMENT, lang),
                    dcc.Dropdown(
                        id=TASK_ACTION,
                        options=[
                            {"label": label("task_action", a, lang), "value": a}
                            for a in TASK_ACTIONS
                        ],
                        value="visit",
                        clearable=False,
                        className="filter-dropdown",
                    ),
                    dcc.Input(
                        id=TASK_TIME,
                        type="text",
                        placeholder=t("task.record_time", lang),
                        className="loop-input",
                    ),
                    dcc.Input(
                        id=TASK_NOTE,
                        type="text",
                        maxLength=300,
                        placeholder=t("task.record_note", lang),
                        className="loop-input",
                    ),
                ],
                className="loop-form",
            ),
            html.Div(
                [
                    html.Button(t("task.record_submit", lang), id=TASK_SUBMIT, className="button"),
                    html.Div(id=TASK_MESSAGE, role="status"),
                ],
                className="loop-actions",
            ),
        ]
    return html.Section(children, className="card case-tasks")


def department_dropdown(component_id: str, lang: str) -> dcc.Dropdown:
    """A choice of the departments a case goes to (police first), named in ``lang``."""
    return dcc.Dropdown(
        id=component_id,
        options=[{"label": label("department", d, lang), "value": d} for d in DEPARTMENTS],
        value="police",
        clearable=False,
        className="filter-dropdown",
    )


def dispatch_form(lang: str) -> list:
    """The short form that dispatches the case to a department (任务分拨, 首接负责)."""
    return [
        html.H3(t("task.dispatch_title", lang)),
        html.P(t("task.dispatch_hint", lang), className="card-hint"),
        html.Div(
            [
                department_dropdown(DISPATCH_DEPARTMENT, lang),
            ],
            className="loop-form",
        ),
        html.Div(
            [
                html.Button(
                    t("task.dispatch_submit", lang), id=DISPATCH_SUBMIT, className="button"
                ),
                html.Div(id=DISPATCH_MESSAGE, role="status"),
            ],
            className="loop-actions",
        ),
    ]


def dispatch_task(n_clicks, department, pathname, lang):
    """Callback: dispatch the case to a department; the task appears with its clock at once.

    :func:`data.tasks.dispatch` checks the role and the station and audits a refusal too.
    """
    lang = lang or "zh"
    if not n_clicks:
        return no_update, no_update
    match = re.match(r"^/case/([^/]+)/?$", pathname or "")
    number = parse_incident_id(match.group(1)) if match else None
    if number is None:
        return html.P(t("case.not_found", lang), className="notice-warning"), no_update
    engine = services().access.engine
    name = label("department", department, lang)
    try:
        tasks.dispatch(engine, current_scope(), number, department)
    except PermissionError:
        return html.P(t("task.dispatch_refused", lang), className="notice-warning"), no_update
    except tasks.DuplicateTaskError:
        message = t("task.dispatch_duplicate", lang, department=name)
        return html.P(message, className="notice-warning"), no_update
    except tasks.TaskError as err:
        return html.P(t("support.error", lang, why=str(err)), className="notice-warning"), no_update
    frame = tasks.task_frame(engine, current_scope(), incident_id=number)
    hours = task_service_hours()[department]
    done = t("task.dispatch_done", lang, department=name, h=hours)
    return html.P(done, className="notice-ok"), task_table(frame, lang)


WARNING_ISSUE = "case-warning-issue"
WARNING_MESSAGE = "case-warning-message"


def warning_section(warned: bool, lang: str) -> html.Section:
    """Record that a warning letter (告诫书) was issued: its visit schedule starts."""
    return html.Section(
        [
            html.H2(t("warn.case_title", lang), className="card-title"),
            html.P(t("warn.case_done" if warned else "warn.case_hint", lang), className="muted"),
            html.Button(
                t("warn.case_issue", lang),
                id=WARNING_ISSUE,
                className="button",
                disabled=warned,
            ),
            html.Div(id=WARNING_MESSAGE, role="status"),
        ],
        className="card case-warning",
    )


def issue_warning(n_clicks, pathname, lang):
    """Callback: record the warning letter of the case; its visit schedule starts."""
    lang = lang or "zh"
    if not n_clicks:
        return no_update, no_update
    match = re.match(r"^/case/([^/]+)/?$", pathname or "")
    number = parse_incident_id(match.group(1)) if match else None
    if number is None:
        return no_update, no_update
    try:
        warning_visits.issue_warning(services().access.engine, current_scope(), number)
    except (PermissionError, warning_visits.VisitError):
        return html.P(t("support.refused", lang), className="notice-warning"), no_update
    first = warning_schedule_days()[0]
    return html.P(t("warn.case_started", lang, first=first), className="notice-ok"), True


def record_task(n_clicks, department, action, when, text, pathname, lang):
    """Callback: record what a department did; it enters the case's status history."""
    lang = lang or "zh"
    if not n_clicks:
        return no_update, no_update
    match = re.match(r"^/case/([^/]+)/?$", pathname or "")
    number = parse_incident_id(match.group(1)) if match else None
    if number is None:
        return no_update, no_update
    at = None
    if when:
        try:
            at = (
                datetime.strptime(when.strip(), "%Y-%m-%d %H:%M")
                .replace(tzinfo=ZoneInfo(services().access.tz))
                .astimezone(UTC)
                .replace(tzinfo=None)
            )
        except ValueError:
            return html.P(t("task.bad_time", lang), className="notice-warning"), no_update
    engine = services().access.engine
    try:
        tasks.record_action(engine, current_scope(), number, department, action, at=at, note=text)
    except PermissionError:
        return html.P(t("support.refused", lang), className="notice-warning"), no_update
    except tasks.TaskError as err:
        return html.P(t("support.error", lang, why=str(err)), className="notice-warning"), no_update
    frame = tasks.task_frame(engine, current_scope(), incident_id=number)
    return html.P(t("task.record_done", lang), className="notice-ok"), task_table(frame, lang)


def register_callbacks(app: Dash) -> None:
    """The case page is rendered whole by the router; its callbacks reveal details, dispatch
    the case to a department and record what a department did."""
    app.callback(
        Output(WARNING_MESSAGE, "children"),
        Output(WARNING_ISSUE, "disabled"),
        Input(WARNING_ISSUE, "n_clicks"),
        State(ids.URL, "pathname"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(issue_warning)
    app.callback(
        Output(DISPATCH_MESSAGE, "children"),
        Output("case-task-table", "children", allow_duplicate=True),
        Input(DISPATCH_SUBMIT, "n_clicks"),
        State(DISPATCH_DEPARTMENT, "value"),
        State(ids.URL, "pathname"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(dispatch_task)
    app.callback(
        Output(TASK_MESSAGE, "children"),
        Output("case-task-table", "children"),
        Input(TASK_SUBMIT, "n_clicks"),
        State(TASK_DEPARTMENT, "value"),
        State(TASK_ACTION, "value"),
        State(TASK_TIME, "value"),
        State(TASK_NOTE, "value"),
        State(ids.URL, "pathname"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(record_task)
    app.callback(
        Output(ids.CASE_FIELDS, "children"),
        Output(ids.REVEAL_MESSAGE, "children"),
        Input(ids.REVEAL_BUTTON, "n_clicks"),
        State(ids.REVEAL_REASON, "value"),
        State(ids.URL, "pathname"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(reveal)
