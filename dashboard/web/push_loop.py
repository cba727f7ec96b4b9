"""The push API for the loop (issue 13): other systems change the state of support requests
and department tasks, with the same bearer tokens and the same body rules as
``POST /api/v1/incidents`` (:mod:`dashboard.web.push_api`).

``POST /api/v1/loop/support-requests`` — one object or a list::

    [{"id": 12, "action": "accept"},
     {"id": 13, "action": "feedback", "note": "已联合调处", "version": 3}]

``action`` is one a unit takes (``accept``, ``decline``, ``start``, ``feedback``; decline and
feedback need a ``note``). With ``version`` the change applies only to that version of the
request (else ``stale``); without, it is checked against the newest state.

``POST /api/v1/loop/tasks`` — ``[{"id": 7, "state": "done", "at": "2026-11-20T10:00:00Z"}]``
changes a task's state; an item with ``incident_no`` and ``department`` instead dispatches the
case (of the token's profile's source system) to that department — a code (``police``) or the
word (公安, 妇联, 司法局, 法院, 社区/居委会) — with its clock from ``at`` (default now)::

    [{"incident_no": "J4403060001", "department": "妇联", "at": "2026-11-20T10:00:00+08:00"}]

A department that has the case open already answers ``stale`` (a retried push makes no
second task); an unknown incident or department, or a time in the future or before the
report, ``rejected``.

Answers: 200 ``{"received", "counts", "results": [{"index", "id", "outcome", "reason"}]}``
with ``outcome`` ``applied``, ``stale`` or ``rejected``; 400 a body of the wrong shape
(``{"error", "index", "field"}``, nothing applied); 401 no valid token. Each push is audited
(``push_loop`` / ``push_refused``) under the token's name with counts only, and every applied
change leaves its own audit row and history entry as a change from a screen does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dash import Dash
from flask import Blueprint, Response, current_app, g, jsonify
from sqlalchemy import Engine

from dashboard.web.auth import register_token_route
from dashboard.web.push_api import EXTENSION_KEY, PushError, _audit, _body, check_items
from data import support, tasks
from data.access import Scope
from data.api_tokens import find_token, verify_token
from data.importers.profiles import load_profile

bp = Blueprint("push_loop", __name__, url_prefix="/api/v1/loop")

#: Below this prefix bearer tokens replace sessions.
LOOP_PATH = "/api/v1/loop"
REQUEST_FIELDS = {"id", "action", "note", "version"}
TASK_FIELDS = {"id", "state", "at", "incident_no", "department"}
#: What a system outside may do to a request: the unit's answers.
PUSH_ACTIONS = ("accept", "decline", "start", "feedback")
OUTCOMES = ("applied", "stale", "rejected")


def install_push_loop(app: Dash, engine: Engine) -> None:
    """Mount the loop's push routes with the push API's bearer tokens (call after
    :func:`dashboard.web.push_api.install_push_api`)."""
    app.server.register_blueprint(bp)

    def verify(token: str) -> str | None:
        found = verify_token(engine, token)
        return found.name if found else None

    register_token_route(app, LOOP_PATH, verify)


def push_scope(client: str) -> Scope:
    """The scope a push acts with: the token's name, every unit's requests, no case data."""
    return Scope(user=f"api:{client}"[:64], stations=None, role=support.PUSH_ROLE)


def _client() -> str | None:
    return str(g.get("anning_token_client") or "") or None


def _whole(value: object, name: str, index: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PushError(400, f"item {index}: {name} must be a positive whole number", index, name)
    return value


def _answer(results: list[dict], client: str, kind: str) -> tuple[Response, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for entry in results:
        counts[entry["outcome"]] += 1
    engine = current_app.extensions[EXTENSION_KEY]
    _audit(engine, client, "push_loop", {"kind": kind, "received": len(results), **counts})
    return jsonify(received=len(results), counts=counts, results=results), 200


@bp.post("/support-requests")
def push_requests() -> tuple[Response, int]:
    """Apply the units' answers to support requests sent by another system."""
    engine = current_app.extensions[EXTENSION_KEY]
    client = _client()
    if client is None:
        return jsonify(error="a valid bearer token is required"), 401
    try:
        items = check_items(_body(), REQUEST_FIELDS)
        for index, item in enumerate(items):
            for name in ("id", "action"):
                if name not in item:
                    raise PushError(400, f"item {index}: {name} is required", index, name)
            _whole(item["id"], "id", index)
            if item["action"] not in PUSH_ACTIONS:
                raise PushError(
                    400,
                    f"item {index}: action must be one of {', '.join(PUSH_ACTIONS)}",
                    index,
                    "action",
                )
            if item.get("version") is not None:
                _whole(item["version"], "version", index)
    except PushError as err:
        _audit(engine, client, "push_refused", {"status": err.status, "error": str(err)[:300]})
        return err.response()
    scope = push_scope(client)
    results = []
    for index, item in enumerate(items):
        entry = {"index": index, "id": item["id"], "outcome": "applied", "reason": None}
        try:
            entry["version"] = support.act(
                engine,
                scope,
                item["id"],
                item["action"],
                note=item.get("note"),
                expected_version=item.get("version"),
            )
        except support.StaleRequestError as err:
            entry.update(outcome="stale", reason=str(err))
        except (support.SupportError, PermissionError) as err:
            entry.update(outcome="rejected", reason=str(err))
        results.append(entry)
    return _answer(results, client, "support_requests")


def _moment(value: object, index: int) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PushError(400, f"item {index}: at must be an ISO 8601 time", index, "at")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PushError(
            400, f"item {index}: at {value[:40]!r} is not ISO 8601", index, "at"
        ) from None
    if moment.tzinfo is None:
        raise PushError(400, f"item {index}: at needs a time zone (Z or +08:00)", index, "at")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _check_task_item(item: dict, index: int) -> None:
    """A state change (``id``, ``state``) or a dispatch (``incident_no``, ``department``)."""
    if "incident_no" in item or "department" in item:
        for name in ("incident_no", "department"):
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                raise PushError(400, f"item {index}: {name} must be text", index, name)
        for name in ("id", "state"):
            if name in item:
                raise PushError(400, f"item {index}: a dispatch takes no {name}", index, name)
        return
    for name in ("id", "state"):
        if name not in item:
            raise PushError(400, f"item {index}: {name} is required", index, name)
    _whole(item["id"], "id", index)
    if item["state"] not in ("open", "done"):
        raise PushError(400, f"item {index}: state must be open or done", index, "state")


def _source_system(engine, client: str) -> str | None:
    token = find_token(engine, client)
    return load_profile(token.profile).source_system if token is not None else None


@bp.post("/tasks")
def push_tasks() -> tuple[Response, int]:
    """Apply state changes of department tasks, and new dispatches, sent by another system."""
    engine = current_app.extensions[EXTENSION_KEY]
    client = _client()
    if client is None:
        return jsonify(error="a valid bearer token is required"), 401
    try:
        items = check_items(_body(), TASK_FIELDS)
        moments = []
        for index, item in enumerate(items):
            _check_task_item(item, index)
            moments.append(_moment(item.get("at"), index))
    except PushError as err:
        _audit(engine, client, "push_refused", {"status": err.status, "error": str(err)[:300]})
        return err.response()
    actor = f"api:{client}"[:64]
    system = _source_system(engine, client) if any("incident_no" in i for i in items) else None
    results = []
    for index, (item, moment) in enumerate(zip(items, moments, strict=True)):
        entry = {"index": index, "id": item.get("id"), "outcome": "applied", "reason": None}
        try:
            if "incident_no" in item:
                entry["incident_no"] = item["incident_no"]
                entry["id"] = tasks.dispatch_from_system(
                    engine, actor, system or "", item["incident_no"], item["department"], moment
                )
            else:
                tasks.set_task_state(engine, actor, item["id"], item["state"], moment)
        except (tasks.StaleTaskError, tasks.DuplicateTaskError) as err:
            entry.update(outcome="stale", reason=str(err))
        except tasks.TaskError as err:
            entry.update(outcome="rejected", reason=str(err))
        results.append(entry)
    return _answer(results, client, "tasks")
