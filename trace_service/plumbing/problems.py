"""Map every error the app can raise to an RFC 9457 `application/problem+json` response."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, json, request
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, UnsupportedMediaType

from trace_service.errors import PROBLEM_TYPE_BASE, BadRequest, DomainError
from trace_service.plumbing.request_id import current_request_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# Stable codes for the errors Flask and webargs raise before our code runs.
_HTTP_CODES = {
    400: ("malformed_request", "Malformed request"),
    401: ("unauthorized", "Credentials required"),
    403: ("forbidden", "Not allowed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict with the current state"),
    413: ("body_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_failed", "The request did not validate"),
    429: ("rate_limited", "Too many requests"),
}


def problem_response(body: dict[str, Any], status: int) -> Response:
    rid = current_request_id()
    if rid is not None:
        # An extension member: the client quotes it, the operator finds the request's log lines.
        body = {**body, "request_id": rid}
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _domain_error(exc: DomainError) -> Response:
    return problem_response(exc.problem(), exc.status)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code, title = _HTTP_CODES.get(status, ("http_error", exc.name))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": exc.description or title,
        "code": code,
    }
    data = getattr(exc, "data", None)
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages:
        # webargs puts field errors under {location: {field: [messages]}}
        body["errors"] = messages
        body["detail"] = "One or more fields are invalid; see 'errors'."
        if status == 400 and "json" in messages and "_schema" in messages.get("json", {}):
            body["code"] = "malformed_json"
            body["type"] = PROBLEM_TYPE_BASE + "malformed_json"
    response = problem_response(body, status)
    if status in (405, 429):
        # What the client needs to act on: the allowed methods, when to retry (rate limits).
        original = exc.get_response().headers
        for name in ("Allow", "Retry-After"):
            if original.get(name):
                response.headers[name] = original[name]
    return response


def _data_error(exc: DataError | UnicodeEncodeError) -> Response:
    # A value the database cannot store or compare, e.g. a NUL character in a path, a query or
    # a name on PostgreSQL, or a lone surrogate (a "\ud800" escape is valid JSON syntax) that no
    # driver can encode: the client's input, not a server failure. The transaction is gone.
    log.info("database refused a value: %s", getattr(exc, "orig", exc))
    return problem_response(
        {
            "type": PROBLEM_TYPE_BASE + "unstorable_value",
            "title": "A value in the request cannot be stored",
            "status": 422,
            "detail": "A value in the request (e.g. one holding a NUL character) cannot be "
            "stored or looked up; nothing was written.",
            "code": "unstorable_value",
        },
        422,
    )


def _nested_too_deeply(exc: RecursionError) -> Response:
    # JSON nested past the parser's reach (webargs parses the bodies of the registration API).
    log.info("request nested too deeply: %s", exc)
    return problem_response(
        {
            "type": PROBLEM_TYPE_BASE + "malformed_json",
            "title": "Malformed request",
            "status": 400,
            "detail": "The body is not JSON this service reads: it is nested too deeply.",
            "code": "malformed_json",
        },
        400,
    )


_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")  # CESU-8: json.loads lets it through
_ESCAPE = re.compile(rb"(\\+)u([0-9A-Fa-f]{4})")


def _unpaired_surrogate(data: bytes) -> bool:
    """Whether JSON text holds a surrogate that is not half of a pair, raw or escaped: I-JSON
    (RFC 7493) forbids them, no UTF-8 encoder can write them back (not even into a problem)."""
    if _RAW_SURROGATE.search(data):
        return True
    high_ends_at = None  # where a high surrogate escape ended, awaiting its low half
    for m in _ESCAPE.finditer(data):
        if len(m.group(1)) % 2 == 0:
            continue  # an escaped backslash followed by the letter u
        unit = int(m.group(2), 16)
        if 0xDC00 <= unit <= 0xDFFF and high_ends_at == m.start():
            high_ends_at = None
        elif high_ends_at is not None or 0xDC00 <= unit <= 0xDFFF:
            return True
        elif 0xD800 <= unit <= 0xDBFF:
            high_ends_at = m.end()
    return high_ends_at is not None


def _json_bodies_only() -> None:
    """Every body a write sends is JSON within the size limit, whether its endpoint reads a body
    or not: another media type is refused (415) rather than read as no body at all (webargs
    would then act on the defaults: take a snapshot, issue a credential, revoke a key), and
    text with an unpaired surrogate is malformed (400)."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    length, limit = request.content_length, request.max_content_length
    if length and limit is not None and length > limit:
        raise RequestEntityTooLarge()
    if not (length or request.headers.get("Transfer-Encoding")):
        return
    if not request.is_json:
        raise UnsupportedMediaType("the body must be application/json")
    if _unpaired_surrogate(request.get_data(cache=True)):
        raise BadRequest(
            "the body is not JSON this service reads: it holds an unpaired surrogate",
            code="malformed_json",
        )


def _integrity_error(exc: IntegrityError) -> Response:
    # Two requests raced to create the same thing (a USCC, a GTIN, a key): the loser hears 409.
    log.info("integrity conflict: %s", exc.orig)
    return problem_response(
        {
            "type": PROBLEM_TYPE_BASE + "conflict",
            "title": "Conflict with the current state",
            "status": 409,
            "detail": "The record already exists or conflicts with another; nothing was written.",
            "code": "conflict",
        },
        409,
    )


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return problem_response(
        {
            "type": PROBLEM_TYPE_BASE + "internal_error",
            "title": "Internal error",
            "status": 500,
            "detail": "The service failed to process the request; nothing was written.",
            "code": "internal_error",
        },
        500,
    )


def init_app(app: Flask) -> None:
    """Register the handlers (and the check that bodies are JSON); call after the smorest Api so
    these take precedence."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(UnicodeEncodeError, _data_error)
    app.register_error_handler(RecursionError, _nested_too_deeply)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(Exception, _unexpected)
    app.before_request(_json_bodies_only)
