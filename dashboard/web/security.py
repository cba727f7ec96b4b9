"""HTTP hardening of the dashboard: security headers, the same-origin test, request checks.

:func:`install_security` adds to every response a Content-Security-Policy under which Dash,
plotly and MapLibre run (scripts only from the server plus the hash of Dash's one inline
bootstrap line; MapLibre's workers from ``blob:``; inline styles, which plotly and the data
table write at run time), frame and content-type options and a referrer policy. It also
caps request bodies and turns every error into a short message without a stack trace.

The same-origin and token tests (:func:`same_origin`, :func:`tokens_match`) and the shape
check of Dash callback requests (:func:`check_callback_request`) are used by
:mod:`dashboard.web.auth`, which knows the session they are checked against.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from dash import Dash
from dash.exceptions import DependencyException
from flask import Flask, Request, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from data.settings import basemap
from data.storage import StorageError, is_storage_error, note_failure

logger = logging.getLogger(__name__)

#: Largest request body accepted (bytes): callback requests are a few kilobytes.
MAX_BODY_BYTES = 1024 * 1024
#: Paths whose responses are cacheable library code or static files.
_CACHEABLE_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico", "/geo/")

#: Headers every response carries, besides the Content-Security-Policy.
STATIC_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def script_hash(source: str) -> str:
    """The CSP source expression (``'sha256-…'``) allowing one inline script."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(
    inline_script_hashes: Iterable[str] = (), image_origins: Iterable[str] = ()
) -> str:
    """The policy: everything from the server itself, nothing from anywhere else but the
    ``image_origins`` (the configured basemap's tile server, ``ANNING_BASEMAP``).

    ``style-src 'unsafe-inline'`` is needed because plotly and Dash's data table inject
    ``<style>`` elements at run time; ``blob:`` workers because MapLibre starts its workers
    from blobs; ``data:`` images and fonts because plotly and MapLibre draw with them.
    """
    scripts = " ".join(["'self'", *inline_script_hashes])
    directives = [
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        " ".join(["img-src 'self' data: blob:", *image_origins]),
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def own_origin(req: Request) -> str:
    """``scheme://host[:port]`` of the server as the request addressed it."""
    return req.host_url.rstrip("/")


def same_origin(req: Request, extra_origins: Iterable[str] = ()) -> bool:
    """Whether a state-changing request comes from a page of this server.

    The ``Origin`` header decides (browsers send it on every POST); without one, the
    ``Referer``'s origin does; a request with neither is refused.
    """
    allowed = {own_origin(req), *extra_origins}
    origin = req.headers.get("Origin")
    if origin is None:
        referer = req.headers.get("Referer")
        if not referer:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin.rstrip("/") in allowed


def tokens_match(expected: str | None, given: object) -> bool:
    """Constant-time comparison of a CSRF token with what the request carried."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


class CallbackRequestError(ValueError):
    """A ``_dash-update-component`` body that no Dash page would send."""


def request_json(req: Request) -> object:
    """The request's JSON body, None if it is not JSON.

    Raises
    ------
    CallbackRequestError
        For JSON nested too deeply to parse (Python's parser would raise ``RecursionError``,
        which Flask's ``silent`` does not catch: a 500 with a stack trace).
    """
    try:
        return req.get_json(silent=True)
    except RecursionError:
        raise CallbackRequestError("the body is not valid JSON: nested too deeply") from None


def log_refusal(status: int, reason: str) -> None:
    """One log line for a request refused as bad input (no stack trace: nothing failed)."""
    logger.warning("%s %s %s refused: %s", status, request.method, request.path[:200], reason[:300])


def safe_suite_path(view_args: Mapping[str, object]) -> bool:
    """Whether a ``/_dash-component-suites/<package>/<path>`` request names a file inside the
    package: no ``..`` segment, no backslash, no absolute path."""
    for value in (view_args.get("package_name"), view_args.get("fingerprinted_path")):
        text = str(value or "")
        if not text or "\\" in text or text.startswith("/") or ".." in text.split("/"):
            return False
    return True


#: JSON types a callback input of this property may carry (None is always allowed): what the
#: components of Dash send. Properties not listed may carry anything.
_SCALAR = (str, int, float)
PROPERTY_TYPES: dict[str, tuple[type, ...]] = {
    "pathname": (str,),
    "search": (str,),
    "hash": (str,),
    "href": (str,),
    "n_clicks": (int,),
    "n_submit": (int,),
    "n_intervals": (int,),
    "start_date": (str,),
    "end_date": (str,),
    "date": (str,),
    # AG Grid (dash-ag-grid): a row request of the infinite row model, clicks and selections
    "getRowsRequest": (dict,),
    "cellClicked": (dict,),
    "selectedRows": (list,),
    "filterModel": (dict,),
    "columnDefs": (list,),
    "clickData": (dict,),
    "selectedData": (dict,),
    "relayoutData": (dict,),
    "value": (*_SCALAR, list),
}
#: Stores whose data has one type (the language code of the page).
STORE_TYPES: dict[str, tuple[type, ...]] = {"lang-store": (str,), "page-lang": (str,)}
_TYPE_NAMES = {str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _value_problem(component: str, prop: str, value: object) -> str | None:
    """Why ``value`` cannot be ``component.prop`` as the page sends it, or None."""
    if value is None:
        return None
    wanted = STORE_TYPES.get(component) if prop == "data" else PROPERTY_TYPES.get(prop)
    if wanted is None:
        return None
    ok = isinstance(value, wanted) and not (isinstance(value, bool) and bool not in wanted)
    if ok and prop == "value" and isinstance(value, list):
        ok = all(isinstance(v, _SCALAR) and not isinstance(v, bool) for v in value)
    if ok and prop == "getRowsRequest":
        field = _row_request_problem(value)
        if field:
            return f"{component[:40]}.{prop}.{field}"
    if ok:
        return None
    names = " or ".join(dict.fromkeys(_TYPE_NAMES[t] for t in wanted))
    return f"{component[:40]}.{prop} must be {names}, got {type(value).__name__}"


#: What each field of a row request of AG Grid's infinite row model may be (None is allowed).
ROW_REQUEST_FIELDS: dict[str, tuple[type, ...]] = {
    "startRow": (int,),
    "endRow": (int,),
    "sortModel": (list,),
    "filterModel": (dict,),
}


def _row_request_problem(request: dict) -> str | None:
    """What is wrong with a grid's ``getRowsRequest`` (``'startRow must be a number, got
    str'``), or None: row indices are whole numbers, the sort model a list of objects."""
    for name, wanted in ROW_REQUEST_FIELDS.items():
        value = request.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, wanted):
            names = " or ".join(_TYPE_NAMES[t] for t in wanted)
            return f"{name} must be {names}, got {type(value).__name__}"
        if name == "sortModel" and not all(isinstance(v, dict) for v in value):
            return "sortModel must be a list of objects"
    return None


def _check_items(name: str, items: object, declared: list) -> None:
    if not isinstance(items, list):
        raise CallbackRequestError(f"'{name}' must be a list, got {type(items).__name__}")
    if len(items) != len(declared):
        raise CallbackRequestError(f"'{name}' must have {len(declared)} items, got {len(items)}")
    for item, want in zip(items, declared, strict=True):
        want_id = str(want.get("id", ""))
        pattern = want_id.startswith("{")  # a pattern-matching id, as JSON text
        if isinstance(item, list):  # ALL/ALLSMALLER: one entry per matching component
            if not pattern or not all(
                isinstance(i, dict) and "id" in i and "property" in i for i in item
            ):
                raise CallbackRequestError(f"'{name}' holds a malformed item")
            continue
        if not isinstance(item, dict) or "id" not in item or "property" not in item:
            raise CallbackRequestError(f"'{name}' holds a malformed item")
        if not pattern and (item["id"], item["property"]) != (want_id, want["property"]):
            raise CallbackRequestError(
                f"'{name}' has {str(item['id'])[:40]}.{str(item['property'])[:40]} where the "
                f"callback declares {want_id}.{want['property']}"
            )
        if not pattern:
            problem = _value_problem(want_id, want["property"], item.get("value"))
            if problem:
                raise CallbackRequestError(f"'{name}': {problem}")


def check_callback_request(body: object, callback_map: Mapping[str, dict]) -> str:
    """Check the shape of a callback request; return the ``output`` key it addresses.

    Dash answers a malformed body with a 500 and a stack trace in the log; this refuses it
    first with a message naming what is wrong: not an object, an unknown output, inputs or
    state that do not match the callback's declaration, changed properties not a list.

    Raises
    ------
    CallbackRequestError
    """
    if not isinstance(body, dict):
        raise CallbackRequestError("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise CallbackRequestError(f"no callback has the output {str(output)[:80]!r}")
    spec = callback_map[output]
    if "callback" not in spec:  # a clientside callback: it runs in the browser only
        raise CallbackRequestError(
            f"the output {str(output)[:80]!r} is computed in the browser, not on the server"
        )
    if not isinstance(body.get("outputs"), dict | list):
        raise CallbackRequestError("'outputs' must be an object or a list")
    _check_items("inputs", body.get("inputs"), spec.get("inputs", []))
    _check_items("state", body.get("state", []), spec.get("state", []))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise CallbackRequestError("'changedPropIds' must be a list of strings")
    return output


def output_ids(output: str) -> list[str]:
    """Component ids of a callback's ``output`` key (``..a.children...b.value..`` → a, b)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [p.rsplit(".", 1)[0] for p in parts]


def _wants_json() -> bool:
    return request.path.startswith(("/_dash", "/geo/", "/api/", "/admin/")) or (
        request.accept_mimetypes.best == "application/json"
    )


def _error_response(code: int, message: str) -> tuple[Response, int] | tuple[str, int, dict]:
    if _wants_json():
        return jsonify(error=message), code
    page = (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>安宁</title>'
        '<link rel="stylesheet" href="/assets/style.css"></head><body>'
        f'<main class="content"><div class="card notice" role="alert"><p>{code}</p>'
        f'<p>{message}</p><p><a href="/">安宁 · Anning</a></p></div></main></body></html>'
    )
    return page, code, {"Content-Type": "text/html; charset=utf-8"}


#: What each refused request is told (both languages: the language is not known yet).
ERROR_MESSAGES: dict[int, str] = {
    400: "请求无效。The request is not valid.",
    401: "请先登录。Please log in.",
    403: "无权访问。You are not permitted to do this.",
    404: "页面不存在。This page does not exist.",
    405: "不支持此请求方法。This method is not allowed here.",
    413: "请求过大。The request is too large.",
    500: "服务器内部错误，请联系系统管理员。Internal error: please call the administrator.",
    503: "数据库暂时无法写入（存储只读或故障），本次操作未执行；请联系系统管理员。"
    "The database cannot be written just now (its storage is read-only or failing): nothing "
    "was done. Please call the administrator.",
}


def install_security(app: Dash, extra_origins: Iterable[str] = ()) -> None:
    """Add the security headers, the body cap and calm error pages to ``app``'s server."""
    server: Flask = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    tiles = basemap()
    origins = [tiles.origin] if tiles is not None and tiles.origin else []
    policy = content_security_policy([script_hash(app.renderer)], origins)

    @server.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if "Cache-Control" not in response.headers and not request.path.startswith(
            _CACHEABLE_PREFIXES
        ):
            response.headers["Cache-Control"] = "no-store"
        return response

    @server.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if err.code is None or err.code < 400:
            return err
        message = ERROR_MESSAGES.get(err.code, err.name)
        return _error_response(err.code, message)

    @server.errorhandler(DependencyException)
    def _no_such_library(err: DependencyException):
        # Dash raises this for a component-suites path naming no registered library.
        log_refusal(404, "no such library file")
        return _error_response(404, ERROR_MESSAGES[404])

    @server.errorhandler(StorageError)
    def _storage(err: StorageError):
        logger.error("503 %s %s: storage refuses writes: %s", request.method, request.path, err)
        return _error_response(503, ERROR_MESSAGES[503])

    @server.errorhandler(Exception)
    def _unexpected(err: Exception):
        if is_storage_error(err):
            note_failure(err)
            return _storage(StorageError(str(err)))
        logger.error("unhandled error on %s %s", request.method, request.path, exc_info=err)
        return _error_response(500, ERROR_MESSAGES[500])
