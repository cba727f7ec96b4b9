"""The JSON API of the analytic layers: the same results the map and the layer table show.

Routes (all ``GET``, JSON unless asked for CSV):

``/api/v1/measures?start=YYYY-MM-DD&end=YYYY-MM-DD&now=…``
    The review's measures (:mod:`measures.review`, defined in ``docs/measures.md``) for the
    caller's scope over the local days ``start`` to ``end`` (default: the last 28 days of
    data), in total and per station, and the wall's tiles at ``now``::

        {"period": {"start": "2026-10-01", "end": "2026-10-31"}, "now": "…Z",
         "totals": {"incidents": 812, "sla_compliance": 0.881, "late_open": 35, …},
         "stations": [{"station_code": "BA01", "incidents": 97, …}, …],
         "wall": {"today": 3, "sla_breached": 6305, …}}

    Shares are fractions (0–1), null when nothing could be judged.
``/api/v1/layers``
    The registry: every layer's id, names, geometry (``cells``, ``points`` or ``table``),
    legend type, value column and typed parameters (type, default, bounds, choices), and the
    filter keys every layer accepts.
``/api/v1/layers/<id>?start=YYYY-MM-DD&end=…&cat=…&src=…&risk=…&st=…&res=7|8|9&now=…&<params>``
    One layer's result for the caller's scope::

        {"layer": "hotspot", "params": {"k": 2, "fdr": true},
         "filters": {"start": "2026-08-23", …, "res": 8, "now": "2026-11-21T16:00:00Z"},
         "count": 629, "columns": ["cell", "lat", "lng", "count", "z", …],
         "rows": [["88411c…", 22.57, 113.88, 3, 2.41, …], …]}

    Cells are hex strings, followed by the ``lat``/``lng`` of their centre for cell layers;
    times are ISO 8601 UTC; lists and structs are JSON arrays and objects. ``format=csv``
    answers the same table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs
    read the Chinese text; lists and structs as JSON text).

Filters are read by :func:`dashboard.parts.filters.parse_filters` (the overview's own parser, in
its strict mode): missing dates span the overview's default range. ``now`` (ISO 8601; UTC
when it has no offset) defaults as on the map (:func:`dashboard.parts.services.layer_now`).
``lang`` is accepted and ignored (codes are returned untranslated), so an overview URL's
query works here too. Anything else must be a parameter of the layer.

Errors are JSON ``{"error": "..."}`` naming the culprit: 404 for an unknown layer (with the
known ones), 400 for a bad, repeated or unknown parameter or filter. No stack trace is ever
sent. Every answered request is written to the audit trail (``api_layer``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from dashboard.parts.filters import (
    FILTER_KEYS,
    FilterError,
    Filters,
    LayerChoice,
    parse_filters,
    parse_layer_params,
    shown,
)
from dashboard.parts.i18n import LANGUAGES, t
from dashboard.parts.layer_views import export_frame, json_rows, json_value
from dashboard.parts.services import layer_now, services
from dashboard.parts.tables import defused
from dashboard.web.scope import current_scope
from data import audit
from data.access import IncidentFilter
from layers.registry import REGISTRY, LayerSpec
from measures import review as review_measures
from measures import service
from measures import wall as wall_measures

__all__ = ["FORMATS", "bp", "export_url", "parse_request"]

logger = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: Answer formats (``format=``).
FORMATS: tuple[str, ...] = ("json", "csv")
#: Query keys besides the filters and the layer's parameters.
CONTROL_KEYS: tuple[str, ...] = ("now", "format", "lang")
#: Longest query string accepted (a real one is a few hundred characters).
MAX_QUERY_CHARS = 2048
#: Longest single value accepted (dates, codes and numbers are far shorter).
MAX_VALUE_CHARS = 200
#: Longest error message sent.
MAX_ERROR_CHARS = 300
#: ``now`` must fall within these years (outside, it is a typo, not a question).
NOW_YEARS = (2000, 2100)
#: A ``+hh:mm`` offset whose ``+`` a form encoding turned into a space.
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")
#: Characters that make a spreadsheet read a CSV cell as a formula.


class RequestError(ValueError):
    """A request the API refuses: ``status`` (400 or 404) and a message naming the culprit."""

    def __init__(self, message: str, status: int = 400, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


@dataclass(frozen=True)
class LayerRequest:
    """A validated request for one layer."""

    layer: LayerChoice
    filters: Filters
    now: datetime | None
    format: str


def describe(spec: LayerSpec) -> dict[str, Any]:
    """A registry entry as JSON: what a client needs to call the layer and draw it."""
    return {
        "id": spec.id,
        "name": {lang: t(f"layer.{spec.id}", lang) for lang in LANGUAGES},
        "geometry": spec.geometry,
        "legend": spec.legend,
        "value_column": spec.value_column,
        "params": [
            {
                "name": p.name,
                "type": p.kind.__name__,
                "default": p.default,
                "min": p.minimum,
                "max": p.maximum,
                "choices": list(p.choices) or None,
            }
            for p in spec.params
        ],
    }


def _single_values(args: MultiDict) -> dict[str, str]:
    """The query's parameters, each given once, not empty and not overlong."""
    for key in args:
        values = args.getlist(key)
        if len(values) > 1:
            raise RequestError(f"{shown(key)}: given more than once")
        if values[0].strip() == "":
            raise RequestError(f"{shown(key)}: empty value")
        if len(values[0]) > MAX_VALUE_CHARS:
            raise RequestError(f"{shown(key)}: value longer than {MAX_VALUE_CHARS} characters")
    return {k: args[k] for k in args}


def parse_now(raw: str | None) -> datetime | None:
    """``now`` as an aware UTC datetime (None when not given); naive times are UTC."""
    if raw is None or raw == "":
        return None
    text = _SPACED_OFFSET.sub(r"+\1", raw.strip())
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise RequestError(f"now: {shown(raw)} is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not NOW_YEARS[0] <= value.year < NOW_YEARS[1]:
        raise RequestError(f"now: {shown(raw)} is outside {NOW_YEARS[0]}–{NOW_YEARS[1] - 1}")
    return value.astimezone(UTC)


def parse_request(
    layer_id: str,
    args: MultiDict,
    extent: tuple[date, date] | None,
    station_codes: list[str],
) -> LayerRequest:
    """Validate a layer request: the layer, its parameters, the filters, ``now``, the format.

    Raises :class:`RequestError` (404 for an unknown layer, 400 otherwise) naming the
    culprit.
    """
    if layer_id not in REGISTRY:
        known = sorted(REGISTRY)
        raise RequestError(
            f"no layer {shown(layer_id)}; known layers: {', '.join(known)}", 404, known=known
        )
    spec = REGISTRY[layer_id]
    values = _single_values(args)
    try:
        filters = parse_filters(values, extent, station_codes, strict=True)
    except FilterError as err:
        raise RequestError(str(err)) from None
    fmt = values.get("format", "json")
    if fmt not in FORMATS:
        raise RequestError(f"format: {shown(fmt)} is not one of {', '.join(FORMATS)}")
    raw_params = {k: v for k, v in values.items() if k not in (*FILTER_KEYS, *CONTROL_KEYS)}
    try:
        params = parse_layer_params(spec, raw_params, strict=True)
    except ValueError as err:
        raise RequestError(str(err)) from None
    return LayerRequest(LayerChoice(spec.id, params), filters, parse_now(values.get("now")), fmt)


def widened_for_history(
    flt: IncidentFilter, layer: LayerChoice, now: datetime, tz: str
) -> IncidentFilter:
    """``flt`` with its start moved back to cover the history the layer reads before ``now``
    (e.g. near-repeat's ``history_days``), when no ``start`` was given: the default range
    must not cut a history the caller asked for."""
    days = layer.spec.history_days(layer.values())
    if days is None:
        return flt
    first = (now - timedelta(days=days)).astimezone(ZoneInfo(tz)).date()
    if flt.start is None or first >= flt.start:
        return flt
    return replace(flt, start=first)


def export_url(layer: LayerChoice, filters: Filters, fmt: str = "csv") -> str:
    """The API URL answering ``layer`` under ``filters`` (what the layer table exports)."""
    data = filters.to_data()
    query: dict[str, str] = {}
    for key in ("start", "end"):
        if data[key]:
            query[key] = str(data[key])
    for key in ("cat", "src", "risk", "st"):
        if data[key]:
            query[key] = ",".join(data[key])
    query["res"] = str(filters.res)
    for name, value in layer.changed().items():
        query[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if fmt != "json":
        query["format"] = fmt
    return f"{bp.url_prefix}/layers/{layer.id}?{urlencode(query, safe=',')}"


def _error(message: str, status: int, **extra: object) -> tuple[Response, int]:
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    return jsonify(error=message, **extra), status


def _csv_cell(value: object) -> object:
    """A value for a CSV cell: JSON for lists and structs, formulas defused for text."""
    if isinstance(value, list | dict):
        return json.dumps(json_value(value), ensure_ascii=False)
    if isinstance(value, float):
        return json_value(value)
    return defused(value)


def _csv_response(layer_id: str, columns: list[str], rows: list[list[object]]) -> Response:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{layer_id}.csv"'
    return response


@bp.get("/layers")
def list_layers() -> Response:
    """The registry and the filter keys, as JSON."""
    return jsonify(
        layers=[describe(spec) for spec in REGISTRY.values()],
        filters=list(FILTER_KEYS),
        controls=list(CONTROL_KEYS),
    )


@bp.get("/layers/<layer_id>")
def layer_rows(layer_id: str) -> tuple[Response, int] | Response:
    """One layer's result for the caller's scope (see the module docstring)."""
    if len(request.query_string) > MAX_QUERY_CHARS:
        return _error(f"query string longer than {MAX_QUERY_CHARS} characters", 400)
    svc, scope = services(), current_scope()
    # Another station's code is refused by the parser below (it is not among the caller's);
    # asking for it is recorded as a refusal by scope first.
    svc.access.check_stations(scope, ",".join(request.args.getlist("st")).split(","))
    try:
        req = parse_request(
            layer_id,
            request.args,
            svc.access.date_extent(scope),
            list(svc.station_names(scope, "zh")),
        )
        flt = req.filters.incident_filter()
        now = req.now or layer_now(flt.end, svc.access.tz)
        if not request.args.get("start"):
            flt = widened_for_history(flt, req.layer, now, svc.access.tz)
        frame = svc.layer(scope, flt, req.layer.id, req.layer.values(), req.filters.res, now)
    except RequestError as err:
        return _error(str(err), err.status, **err.extra)
    except (KeyError, ValueError) as err:
        # The layer refused its input: a parameter combination it cannot answer.
        message = err.args[0] if err.args else str(err)
        return _error(str(message), 400)
    table = export_frame(frame, req.layer.id)  # masked for the scope by CaseAccess.layer
    rows = json_rows(table)
    audit.record(
        svc.access.engine,
        scope.user,
        "api_layer",
        target=req.layer.id,
        detail=request.query_string.decode("utf-8", "replace"),
        remote_addr=scope.remote_addr,
    )
    if req.format == "csv":
        return _csv_response(req.layer.id, table.columns, rows)
    return jsonify(
        layer=req.layer.id,
        params=req.layer.values(),
        filters={**req.filters.to_data(), "now": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
        count=table.height,
        columns=table.columns,
        rows=rows,
    )


def _date_arg(name: str, default: date) -> date:
    value = request.args.get(name)
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RequestError(f"'{name}' should be a date YYYY-MM-DD, got {value[:40]!r}") from None


@bp.get("/measures")
def measure_values() -> tuple[Response, int] | Response:
    """The review's measures and the wall's tiles for the caller's scope (module docstring)."""
    if len(request.query_string) > MAX_QUERY_CHARS:
        return _error(f"query string longer than {MAX_QUERY_CHARS} characters", 400)
    unknown = sorted(set(request.args) - {"start", "end", "now", "lang"})
    if unknown:
        return _error(f"unknown parameter(s): {', '.join(unknown)}", 400)
    svc, scope = services(), current_scope()
    tz = svc.access.tz
    extent = svc.access.date_extent(scope)
    last = extent[1] if extent else datetime.now(UTC).date()
    try:
        period = review_measures.Period(
            _date_arg("start", last - timedelta(days=27)), _date_arg("end", last)
        )
        now = parse_now(request.args.get("now")) or layer_now(None, tz)
    except RequestError as err:
        return _error(str(err), err.status, **err.extra)
    except ValueError as err:
        return _error(str(err), 400)
    incidents = svc.access.incidents(scope, IncidentFilter())
    visits = svc.access.follow_up_visits(scope)
    totals = review_measures.measures(incidents, visits, period, now, tz, by=None)
    stations = review_measures.measures(incidents, visits, period, now, tz)
    tiles = wall_measures.compute_tiles(incidents, service.checks(incidents, visits, now), now, tz)
    audit.record(
        svc.access.engine,
        scope.user,
        "api_measures",
        target=f"{period.start.isoformat()}..{period.end.isoformat()}",
        detail=request.query_string.decode("utf-8", "replace"),
        remote_addr=scope.remote_addr,
    )
    empty = {m: None for m in review_measures.MEASURES}
    return jsonify(
        period={"start": period.start.isoformat(), "end": period.end.isoformat()},
        now=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        totals=json_value(totals.row(0, named=True) if totals.height else empty),
        stations=[json_value(row) for row in stations.iter_rows(named=True)],
        wall={tile.key: tile.value for tile in tiles},
    )


@bp.errorhandler(Exception)
def _unexpected(err: Exception) -> tuple[Response, int]:
    """Anything unforeseen: logged with its trace here, a plain message to the client."""
    if isinstance(err, HTTPException):
        return _error(err.description or err.name, err.code or 500)
    logger.exception("API request %s failed", request.full_path, exc_info=err)
    return _error("internal error; the administrator can find the details in the log", 500)
