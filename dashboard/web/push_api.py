"""The live push API: the 110 system sends new incidents and status changes as they happen.

``POST /api/v1/incidents`` with ``Authorization: Bearer <token>`` (tokens are made with
``python app.py tokens add NAME``) and ``Content-Type: application/json``. The body is one
incident object or a list of them (at most :data:`MAX_ITEMS`, :data:`MAX_BODY_BYTES` bytes).
Each object is keyed by the **source column names of the token's profile** — for the default
``cn-110`` profile the headers of a 110 export (``警情编号``, ``接警时间``, ``警情类别`` …) —
and its values are the cells such a file would hold (text, numbers or booleans)::

    [{"警情编号": "J4403060001", "接警时间": "2026-11-20 21:14:00", "警情类别": "家庭暴力",
      "发案地址": "宝安区西乡街道…", "经度": 113.88, "纬度": 22.57, "管辖单位": "BA02",
      "处置状态": "已派警", "受害人证件号": "…"}]

Items go through the importer core (:func:`data.importers.run.ingest_rows`), so a push and a
file follow identical rules: a new incident is ``inserted``; the same incident number with a
new status or closed time is ``updated`` (and gets a status event); the same content again
is ``unchanged``; a bad item is ``rejected`` with its reasons and does not stop the others.
ID and phone numbers become keyed pseudonyms and are masked in summaries, as in files.

Answers (always JSON, never a stack trace):

* 200 ``{"profile", "source_system", "received", "counts": {outcome: n},
  "results": [{"index", "incident_no", "outcome", "reasons": [{"field", "reason"}]}],
  "warnings": [...]}`` — ``index`` counts items from 0;
* 400 a body that is not a JSON object or list of objects, an unknown field, a value that is
  not text, number, boolean or null: ``{"error", "index", "field"}``; nothing is stored;
* 401 a missing, unknown or revoked token (the gate of :mod:`dashboard.web.auth` answers);
* 413 too large or too many items; 415 not ``application/json``; 503 the store failed.

Every push is written to the audit trail (``push``, or ``push_refused`` for a 400), under
the token's name, with counts only: never a pushed value.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass

from dash import Dash
from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import Engine
from werkzeug.exceptions import RequestEntityTooLarge

from dashboard.web.auth import register_token_route
from data import audit
from data.api_tokens import find_token, verify_token
from data.importers.profiles import Profile, load_profile
from data.importers.readers import frame_from_records
from data.importers.run import OUTCOMES, ingest_rows
from data.importers.validate import ROW

__all__ = ["MAX_BODY_BYTES", "MAX_ITEMS", "PUSH_PATH", "bp", "install_push_api"]

logger = logging.getLogger(__name__)

bp = Blueprint("push_api", __name__, url_prefix="/api/v1")

#: The one route of this module; bearer tokens instead of sessions below it.
PUSH_PATH = "/api/v1/incidents"
#: Most items one push may carry.
MAX_ITEMS = 5_000
#: Largest body accepted (bytes); the rest of the app keeps its smaller cap.
MAX_BODY_BYTES = 5 * 1024 * 1024
#: Longest value of one field (a summary is far shorter).
MAX_VALUE_CHARS = 4_000
#: Audit actions.
AUDIT_PUSH = "push"
AUDIT_REFUSED = "push_refused"
EXTENSION_KEY = "anning_push"
JSON_TYPE = "application/json"


class PushError(ValueError):
    """A body refused as a whole: HTTP status, message, and the item and field at fault."""

    def __init__(
        self, status: int, message: str, index: int | None = None, field: str | None = None
    ):
        super().__init__(message)
        self.status, self.index, self.field = status, index, field

    def response(self) -> tuple[Response, int]:
        """The JSON answer: ``error`` and, when known, ``index`` and ``field``."""
        body: dict[str, object] = {"error": str(self)}
        if self.index is not None:
            body["index"] = self.index
        if self.field is not None:
            body["field"] = self.field
        return jsonify(body), self.status


def install_push_api(app: Dash, engine: Engine) -> None:
    """Mount ``POST /api/v1/incidents`` on ``app`` with bearer-token authentication.

    Call after :func:`dashboard.web.auth.install_auth` (the gate checks the token).
    """
    app.server.extensions[EXTENSION_KEY] = engine
    app.server.register_blueprint(bp)

    def verify(token: str) -> str | None:
        found = verify_token(engine, token)
        return found.name if found else None

    register_token_route(app, PUSH_PATH, verify)


def allowed_fields(profile: Profile) -> set[str]:
    """Source column names an item may carry: those the profile reads."""
    fields = {c for cols in profile.columns.values() for c in cols}
    if profile.keep is not None:
        fields.add(profile.keep.column)
    return fields


def _body() -> object:
    if request.mimetype != JSON_TYPE:
        raise PushError(415, f"Content-Type must be {JSON_TYPE}")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PushError(413, f"the body is larger than {MAX_BODY_BYTES:,} bytes")
    # One byte over the cap is read on purpose: a chunked body (no Content-Length) is cut at
    # the cap by werkzeug without an error, and would then look like malformed JSON (a 400).
    request.max_content_length = MAX_BODY_BYTES + 1
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge as err:
        raise PushError(413, f"the body is larger than {MAX_BODY_BYTES:,} bytes") from err
    if len(raw) > MAX_BODY_BYTES:
        raise PushError(413, f"the body is larger than {MAX_BODY_BYTES:,} bytes")
    if not raw.strip():
        raise PushError(400, "the body is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise PushError(400, f"the body is not UTF-8 (byte {err.start})") from err

    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as err:
        raise PushError(
            400, f"malformed JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        ) from err
    except (ValueError, RecursionError) as err:
        raise PushError(400, f"malformed JSON: {str(err)[:100] or 'nested too deeply'}") from err


def check_items(body: object, fields: set[str]) -> list[dict]:
    """The items of a parsed body, each checked for shape; :class:`PushError` otherwise."""
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise PushError(400, "the body must be an incident object or a list of them")
    if not items:
        raise PushError(400, "the list holds no incidents")
    if len(items) > MAX_ITEMS:
        raise PushError(413, f"{len(items):,} items; at most {MAX_ITEMS:,} per push")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PushError(400, f"item {index} is not an object", index)
        for key, value in item.items():
            if key not in fields:
                raise PushError(
                    400, f"item {index}: unknown field {key[:60]!r} for this profile", index, key
                )
            if isinstance(value, dict | list):
                raise PushError(
                    400,
                    f"item {index}: field {key!r} must be text, a number or a boolean",
                    index,
                    key,
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise PushError(400, f"item {index}: field {key!r} is not finite", index, key)
            if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
                raise PushError(
                    400,
                    f"item {index}: field {key!r} is longer than {MAX_VALUE_CHARS:,} characters",
                    index,
                    key,
                )
    return items


@dataclass(frozen=True)
class PushResult:
    """The answer to an accepted push: per-item results, counts and warnings."""

    results: list[dict]
    counts: dict[str, int]
    warnings: list[str]


def push_items(engine: Engine, items: list[dict], profile: Profile, client: str) -> PushResult:
    """Store checked items through the importer core; the outcome of each, in item order."""
    table = frame_from_records(items, first_row=0)
    result = ingest_rows(engine, table.frame, profile, note=f"push {client}"[:300])
    by_index: dict[int, dict] = {}
    for row in result.outcomes.sort(ROW).iter_rows(named=True):
        index = int(row[ROW])
        entry = by_index.setdefault(
            index,
            {
                "index": index,
                "incident_no": row["incident_no"],
                "outcome": row["outcome"],
                "reasons": [],
            },
        )
        if row["outcome"] == "rejected" and row["reason"]:
            entry["reasons"].append({"field": row["column"], "reason": row["reason"]})
    for index in table.blank_rows:  # every field empty: nothing to validate
        by_index[index] = {
            "index": index,
            "incident_no": None,
            "outcome": "rejected",
            "reasons": [{"field": None, "reason": "the item has no values"}],
        }
    results = [by_index[i] for i in sorted(by_index)]
    counts = dict.fromkeys(OUTCOMES, 0)
    for entry in results:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    return PushResult(results, counts, [w.message for w in result.warnings])


def _audit(engine: Engine, client: str, action: str, detail: dict) -> None:
    audit.record(
        engine,
        client,
        action,
        target=f"api:{PUSH_PATH}",
        detail=json.dumps(detail, ensure_ascii=False)[:2000],
        remote_addr=request.remote_addr,
    )


@bp.post("/incidents")
def push_incidents() -> tuple[Response, int]:
    """Take one or many incidents from the token's system; answer what happened to each."""
    engine: Engine = current_app.extensions[EXTENSION_KEY]
    client = str(g.get("anning_token_client") or "")
    token = find_token(engine, client) if client else None
    if token is None or not token.active:  # the gate checked it; revoked since?
        return jsonify(error="a valid bearer token is required"), 401
    try:
        profile = load_profile(token.profile)
    except Exception:
        logger.exception("push token %s: profile %s does not load", client, token.profile)
        return jsonify(error=f"the token's profile {token.profile!r} does not load"), 503
    try:
        items = check_items(_body(), allowed_fields(profile))
    except PushError as err:
        _audit(engine, client, AUDIT_REFUSED, {"status": err.status, "error": str(err)[:300]})
        return err.response()
    try:
        outcome = push_items(engine, items, profile, client)
    except Exception:
        logger.exception("push from %s failed", client)
        return jsonify(
            error="the incidents could not be stored; retry the push (pushes are idempotent)"
        ), 503
    _audit(
        engine,
        client,
        AUDIT_PUSH,
        {"profile": profile.name, "received": len(items), **outcome.counts},
    )
    body = {
        "profile": profile.name,
        "source_system": profile.source_system,
        "received": len(items),
        "counts": outcome.counts,
        "results": outcome.results,
        "warnings": outcome.warnings,
    }
    return jsonify(body), 200
