"""The administrator's page (``/admin``): the security watch, the users, and the audit trail.

The security watch shows whether the audit trail's hash chain holds, users refused more than
``ANNING_REFUSAL_ALERT`` times or revealing more than ``ANNING_REVEAL_BULK_ALERT`` cases in the
last hour, and the latest refusals.

Only the administrator reaches it (``ROLES``; :mod:`dashboard.web.auth` also keeps every other
role from its callbacks, whose ids all start with ``admin-``, and from ``/admin/`` routes).
It shows no incident data. Users are listed here and managed on the command line
(``python app.py users …``); the trail is read-only, as it is in the database.

``GET /admin/audit.csv?user=&action=&start=&end=&name=`` exports the events matching the
same filters as the page, oldest first, as CSV (UTF-8 with a byte-order mark). Every export
is itself recorded (``export``). A bad filter or file name is a 400 naming the culprit.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import Response, jsonify, request

from dashboard.parts import form, ids
from dashboard.parts.filters import parse_date
from dashboard.parts.i18n import audit_action_label, t
from dashboard.parts.services import services
from dashboard.parts.tables import defused, grid_locale
from dashboard.web.auth import current_user
from dashboard.web.shell import page_frame
from data import audit
from data.access import DENIED, Scope
from data.audit import AUDIT_COLUMNS, AuditQuery
from data.audit_chain import ChainReport, verify
from data.settings import refusal_alert, reveal_bulk_alert
from data.users import ADMINISTRATOR, UserInfo, list_users

#: Who may see this page.
ROLES = frozenset({ADMINISTRATOR})
PAGE_SIZE = 20
EXPORT_PATH = "/admin/audit.csv"
DEFAULT_EXPORT_NAME = "anning-audit.csv"
#: A plain file name: no folders, no leading dot, ending in .csv.
_EXPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}\.csv$")
_ACTION = re.compile(r"^[a-z_]{1,32}$")
#: Characters that make a spreadsheet read a CSV cell as a formula.
USER_COLUMNS = ("username", "display_name", "role", "station", "status", "last_login")
#: Refusals the watch card lists.
LATEST_REFUSALS = 10
REFUSAL_COLUMNS = ("at", "user", "target", "detail", "remote_addr")


@dataclass(frozen=True)
class Watch:
    """What the security watch card shows: the chain's state, flagged users, latest refusals.

    ``refusal_flags`` and ``reveal_flags`` are (user, count in the last hour) above
    ``refusal_limit`` and ``reveal_limit``; ``refusals`` are audit rows as
    :func:`data.audit.events` gives them.
    """

    chain: ChainReport | None = None
    refusal_flags: list[tuple[str, int]] = field(default_factory=list)
    reveal_flags: list[tuple[str, int]] = field(default_factory=list)
    refusals: list[dict[str, object]] = field(default_factory=list)
    refusal_limit: int = 0
    reveal_limit: int = 0


def read_watch(engine, tz: str, now: datetime | None = None) -> Watch:
    """The watch card's content, read now: the whole chain is verified on every read."""
    hour_ago = (now or datetime.now(UTC).replace(tzinfo=None)) - timedelta(hours=1)
    refusals, _ = audit.events(engine, AuditQuery(action=DENIED), tz, 0, LATEST_REFUSALS)
    return Watch(
        chain=verify(engine),
        refusal_flags=audit.frequent_users(engine, DENIED, hour_ago, refusal_alert()),
        reveal_flags=audit.frequent_users(engine, "reveal", hour_ago, reveal_bulk_alert()),
        refusals=refusals,
        refusal_limit=refusal_alert(),
        reveal_limit=reveal_bulk_alert(),
    )


class FilterError(ValueError):
    """A filter of the audit log that cannot be used; the message names it."""


def parse_filters(user: object, action: object, start: object, end: object) -> AuditQuery:
    """The audit query of the page's controls or the export's parameters.

    Raises
    ------
    FilterError
        Naming the filter: a user text that is not text or longer than 64 characters, an
        action that is not a lower-case code, a date that is not ``YYYY-MM-DD``.
    """
    if user is not None and (not isinstance(user, str) or len(user) > 64):
        raise FilterError("user: at most 64 characters of text")
    if action not in (None, "") and (not isinstance(action, str) or not _ACTION.match(action)):
        raise FilterError(f"action: {str(action)[:40]!r} is not an action code")
    days: list[date | None] = []
    for name, value in (("start", start), ("end", end)):
        day = parse_date(value) if value not in (None, "") else None
        if value not in (None, "") and day is None:
            raise FilterError(f"{name}: {str(value)[:40]!r} is not a date (YYYY-MM-DD)")
        days.append(day)
    first, last = days
    if first and last and first > last:
        first, last = last, first
    return AuditQuery(
        user=(user or "").strip() or None, action=action or None, start=first, end=last
    )


def export_name(value: object) -> str:
    """The download's file name: :data:`DEFAULT_EXPORT_NAME` or a plain ``*.csv`` name."""
    if value in (None, ""):
        return DEFAULT_EXPORT_NAME
    if not isinstance(value, str) or not _EXPORT_NAME.match(value):
        raise FilterError(
            f"name: {str(value)[:60]!r} must be a plain file name (letters, digits, . _ -) "
            "ending in .csv"
        )
    return value


def export_url(user: object, action: object, start: object, end: object) -> str:
    """The export link for the page's current filters."""
    params = {
        k: v for k, v in (("user", user), ("action", action), ("start", start), ("end", end)) if v
    }
    return EXPORT_PATH + (f"?{urlencode(params)}" if params else "")


def csv_cell(value: object) -> str:
    """A value for a CSV cell; text a spreadsheet would run as a formula is quoted with '."""
    return str(defused("" if value is None else str(value)))


# -- layout ---------------------------------------------------------------------------------------
def layout(lang: str, search: str, **_: str) -> html.Div:
    """The page, with the users and the actions the trail holds read now."""
    svc = services()
    names = svc.station_names(Scope(user="admin page"), lang)  # names only, no incidents
    engine, tz = svc.access.engine, svc.access.tz
    return build(lang, list_users(engine), audit.actions(engine), tz, names, read_watch(engine, tz))


def validation_layout() -> html.Div:
    """Every component of the page, for Dash's callback validation (no database needed)."""
    return build("zh", [], [], "UTC", {})


def watch_card(lang: str, watch: Watch) -> html.Section:
    """The security watch: chain state, users flagged for refusals or bulk reveals, and the
    latest refusals (pure)."""
    chain = watch.chain
    if chain is None or chain.intact:
        state = html.P(
            t("admin.chain_ok", lang, n=f"{chain.rows if chain else 0:,}"),
            id=ids.ADMIN_CHAIN,
            className="chain-state chain-ok",
        )
    else:
        state = html.Div(
            [
                html.P(t("admin.chain_broken", lang, n=len(chain.problems))),
                html.Ul([html.Li(p) for p in chain.problems[:5]]),
            ],
            id=ids.ADMIN_CHAIN,
            className="chain-state chain-broken",
            role="alert",
        )
    flags = [
        html.Li(t("admin.refusal_flag", lang, user=u, n=n, limit=watch.refusal_limit))
        for u, n in watch.refusal_flags
    ] + [
        html.Li(t("admin.reveal_flag", lang, user=u, n=n, limit=watch.reveal_limit))
        for u, n in watch.reveal_flags
    ]
    alerts = (
        html.Ul(flags, id=ids.ADMIN_ALERTS, className="watch-alerts", role="alert")
        if flags
        else html.P(t("admin.no_alerts", lang), id=ids.ADMIN_ALERTS, className="card-hint")
    )
    if watch.refusals:
        refusals = html.Table(
            [
                html.Thead(html.Tr([html.Th(t(f"audit.{c}", lang)) for c in REFUSAL_COLUMNS])),
                html.Tbody(
                    [
                        html.Tr([html.Td(str(r.get(c) or "—")) for c in REFUSAL_COLUMNS])
                        for r in watch.refusals
                    ]
                ),
            ],
            id=ids.ADMIN_REFUSALS,
            className="simple-table",
        )
    else:
        refusals = html.P(
            t("admin.no_refusals", lang), id=ids.ADMIN_REFUSALS, className="card-hint"
        )
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t("admin.watch", lang), className="card-title"),
                    html.Span(t("admin.watch_hint", lang), className="card-hint"),
                ],
                className="card-head",
            ),
            state,
            alerts,
            html.H3(t("admin.refusals", lang), className="watch-subtitle"),
            refusals,
        ],
        className="card watch-card",
    )


def _local(value, tz: str) -> str:
    if value is None:
        return "—"
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _user_row(user: UserInfo, lang: str, tz: str, names: dict[str, str]) -> html.Tr:
    status = t("admin.status_active", lang)
    if user.locked_until is not None:
        status = t("admin.status_locked", lang, until=_local(user.locked_until, tz))
    name = [html.Code(user.username)]
    if user.demo:
        name.append(html.Span(t("admin.demo_user", lang), className="tag"))
    return html.Tr(
        [
            html.Td(name),
            html.Td(user.display_name),
            html.Td(t(f"role.{user.role}", lang)),
            html.Td(names.get(user.station_code, user.station_code) if user.station_code else "—"),
            html.Td(status),
            html.Td(_local(user.last_login_at, tz)),
        ]
    )


def build(
    lang: str,
    users: list[UserInfo],
    actions: list[str],
    tz: str,
    station_names: dict[str, str],
    watch: Watch | None = None,
) -> html.Div:
    """The page's components (pure: no database, no request)."""
    users_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("admin.users", lang), className="card-title"),
                    html.Span(t("admin.users_hint", lang), className="card-hint"),
                ],
                className="card-head",
            ),
            html.Table(
                [
                    html.Thead(html.Tr([html.Th(t(f"admin.col.{c}", lang)) for c in USER_COLUMNS])),
                    html.Tbody([_user_row(u, lang, tz, station_names) for u in users]),
                ],
                id=ids.ADMIN_USERS,
                className="simple-table",
            ),
        ],
        className="card",
    )
    controls = html.Div(
        [
            form.field(
                t("admin.filter_user", lang),
                dcc.Input(
                    id=ids.ADMIN_AUDIT_USER,
                    type="text",
                    debounce=True,
                    maxLength=64,
                    className="text-input",
                ),
            ),
            form.field(
                t("admin.filter_action", lang),
                dcc.Dropdown(
                    id=ids.ADMIN_AUDIT_ACTION,
                    options=[{"label": audit_action_label(a, lang), "value": a} for a in actions],
                    placeholder=t("filter.all", lang),
                    className="filter-dropdown",
                ),
            ),
            form.field(
                t("filter.dates", lang),
                dcc.DatePickerRange(
                    id=ids.ADMIN_AUDIT_DATES,
                    display_format="YYYY-MM-DD",
                    first_day_of_week=1,
                    number_of_months_shown=1,
                    start_date_placeholder_text=t("filter.date_start", lang),
                    end_date_placeholder_text=t("filter.date_end", lang),
                ),
            ),
            html.A(
                t("admin.export", lang),
                id=ids.ADMIN_AUDIT_EXPORT,
                href=EXPORT_PATH,
                className="button",
            ),
        ],
        className="admin-filters",
    )
    audit_card = html.Section(
        [
            html.Div(
                [
                    html.H2(t("admin.audit", lang), className="card-title"),
                    html.Span(id=ids.ADMIN_AUDIT_TOTAL, className="case-total"),
                    html.Span(t("admin.audit_hint", lang), className="card-hint"),
                ],
                className="card-head",
            ),
            controls,
            audit_grid(lang),
        ],
        className="card",
    )
    body = [
        html.H1(t("admin.title", lang), className="page-title"),
        html.Div(
            [watch_card(lang, watch or Watch()), users_card, audit_card], className="admin-grid"
        ),
    ]
    return page_frame(lang, body, "admin-page")


def audit_grid(lang: str) -> dag.AgGrid:
    """The audit trail as an AG Grid that asks the server for each page (the trail is long).

    The page's filter controls reach the server as the grid's ``filterModel`` (one entry,
    :data:`FILTER_KEY`, holding the query): a new one makes the grid ask again from page 1.
    """
    columns = [
        {
            "field": c,
            "headerName": t(f"audit.{c}", lang),
            "sortable": False,
            "wrapText": c == "detail",
            "autoHeight": c == "detail",
            "tooltipField": c if c in ("target", "detail") else None,
            "flex": 2 if c == "detail" else 1,
            "minWidth": 150 if c == "at" else 100,
            # The controls' query rides in the first column's filter (hidden: no menu).
            **(
                {"filter": "agTextColumnFilter", "suppressHeaderMenuButton": True}
                if c == FILTER_KEY
                else {}
            ),
        }
        for c in AUDIT_COLUMNS
    ]
    return dag.AgGrid(
        id=ids.ADMIN_AUDIT_TABLE,
        rowModelType="infinite",
        columnDefs=columns,
        defaultColDef={"resizable": True},
        filterModel={},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 10,
            "localeText": grid_locale(lang),
            "tooltipShowDelay": 400,
            "suppressCellFocus": True,
        },
        className="admin-audit-grid ag-theme-quartz",
        style={"height": f"{PAGE_SIZE * 42 + 36 + 52}px", "width": "100%"},
    )


# -- callbacks and the export ---------------------------------------------------------------
#: The column whose filter carries the page's audit query to the grid's row requests.
FILTER_KEY = "at"


def audit_filter(
    user: object, action: object, start: object, end: object, lang: str | None
) -> tuple[dict, str | object, str]:
    """Callback: the controls' query as the grid's ``filterModel`` (the grid then asks again
    from page 1), and the export link; a bad filter is said in place of the total."""
    lang = lang or "zh"
    try:
        parse_filters(user, action, start, end)
    except FilterError as err:
        return no_update, t("admin.bad_filter", lang, error=str(err)), EXPORT_PATH
    query = {"user": user, "action": action, "start": start, "end": end}
    model = {FILTER_KEY: {"filterType": "text", "type": "equals", "filter": json.dumps(query)}}
    return model, no_update, export_url(user, action, start, end)


def audit_rows(request: object, lang: str | None) -> tuple[dict, str]:
    """Callback: the block of audit events the grid asks for, and the total that match."""
    lang = lang or "zh"
    if not isinstance(request, dict):
        raise PreventUpdate
    start = request.get("startRow")
    end = request.get("endRow")
    start = start if isinstance(start, int) and 0 <= start < 10**9 else 0
    count = end - start if isinstance(end, int) and 0 < end - start <= 500 else PAGE_SIZE
    entry = (request.get("filterModel") or {}).get(FILTER_KEY) or {}
    try:
        values = json.loads(entry.get("filter") or "{}") if isinstance(entry, dict) else {}
        values = values if isinstance(values, dict) else {}
        query = parse_filters(
            values.get("user"), values.get("action"), values.get("start"), values.get("end")
        )
    except (FilterError, ValueError) as err:
        return {"rowData": [], "rowCount": 0}, t("admin.bad_filter", lang, error=str(err))
    access = services().access
    rows, total = audit.events(access.engine, query, access.tz, start, count)
    rows = [{**r, "action": audit_action_label(r["action"], lang)} for r in rows]
    return {"rowData": rows, "rowCount": total}, t("admin.total", lang, n=f"{total:,}")


def export_audit() -> Response | tuple[Response, int]:
    """Route: the matching audit events as a CSV download; the export is itself recorded."""
    args = request.args
    try:
        query = parse_filters(
            args.get("user"), args.get("action"), args.get("start"), args.get("end")
        )
        name = export_name(args.get("name"))
    except FilterError as err:
        return jsonify(error=str(err)), 400
    access = services().access
    who = current_user()
    audit.record(
        access.engine,
        who.username if who else "?",
        "export",
        target="audit_event",
        detail=json.dumps(
            {k: str(v) for k, v in vars(query).items() if v is not None}, ensure_ascii=False
        ),
        remote_addr=request.remote_addr,
    )

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(AUDIT_COLUMNS)
        for event in audit.iter_events(access.engine, query, access.tz):
            writer.writerow([csv_cell(event[c]) for c in AUDIT_COLUMNS])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        lines(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def register_callbacks(app: Dash) -> None:
    """Register the page's callback and its export route on ``app``."""
    app.callback(
        Output(ids.ADMIN_AUDIT_TABLE, "filterModel"),
        Output(ids.ADMIN_AUDIT_TOTAL, "children", allow_duplicate=True),
        Output(ids.ADMIN_AUDIT_EXPORT, "href"),
        Input(ids.ADMIN_AUDIT_USER, "value"),
        Input(ids.ADMIN_AUDIT_ACTION, "value"),
        Input(ids.ADMIN_AUDIT_DATES, "start_date"),
        Input(ids.ADMIN_AUDIT_DATES, "end_date"),
        State(ids.PAGE_LANG, "data"),
        prevent_initial_call=True,
    )(audit_filter)
    app.callback(
        Output(ids.ADMIN_AUDIT_TABLE, "getRowsResponse"),
        Output(ids.ADMIN_AUDIT_TOTAL, "children"),
        Input(ids.ADMIN_AUDIT_TABLE, "getRowsRequest"),
        State(ids.PAGE_LANG, "data"),
    )(audit_rows)
    app.server.add_url_rule(EXPORT_PATH, "admin_audit_csv", export_audit, methods=["GET"])
