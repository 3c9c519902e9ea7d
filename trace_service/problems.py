"""Map every error the app can raise to an RFC 9457 `application/problem+json` response."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from trace_service.errors import PROBLEM_TYPE_BASE, DomainError
from trace_service.ops.request_id import current_request_id

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


def _data_error(exc: DataError) -> Response:
    # A value the database cannot store or compare, e.g. a NUL character in a path, a query or
    # a name on PostgreSQL: the client's input, not a server failure. The transaction is gone.
    log.info("database refused a value: %s", exc.orig)
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
    """Register the handlers; call after the smorest Api so these take precedence."""
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(Exception, _unexpected)
