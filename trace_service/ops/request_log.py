"""Structured logs: JSON lines on stderr, one per request (method, route template, status,
duration, request id, the authenticated party), never personal data, tokens or raw paths."""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from flask.logging import default_handler

from trace_service.identity.auth import bearer_token
from trace_service.identity.service import authenticate
from trace_service.plumbing.request_id import HEADER, assign_request_id, current_request_id

PACKAGE_LOGGER = "trace_service"
log = logging.getLogger("trace_service.requests")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes hit these every few seconds: their lines are kept at DEBUG.
_QUIET_BLUEPRINTS = frozenset({"health", "metrics"})


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id when in a
    request, the fields passed as `extra={"fields": {...}}`, and a traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = current_request_id()  # lines logged while handling a request
        if rid is not None:
            line["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str) -> None:
    """JSON lines for the package's loggers at `level`; idempotent (once per process)."""
    logger = logging.getLogger(PACKAGE_LOGGER)
    # Flask adds its plain-text handler to the app's logger (named like the package).
    logger.removeHandler(default_handler)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    logger.setLevel(level)


def route_template() -> str:
    """The matched URL rule (`/01/<gtin>/21/<path:serial>`), never the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def method_label() -> str:
    """The request method, with unknown methods folded into one value."""
    return request.method if request.method in _METHODS else "OTHER"


def elapsed_seconds() -> float:
    """Time since the request started (0 if the start was not recorded)."""
    started: float | None = g.get("request_started")
    return time.perf_counter() - started if started is not None else 0.0


def _authenticated_party(status: int) -> str | None:
    """The party whose bearer credential the request carried, if it is valid; cheap, because a
    handler that authenticated left the rows in the request's session (no query then)."""
    token = bearer_token()
    session = g.get("db_session")
    if token is None or status == 401 or session is None:
        return None
    try:
        return authenticate(session, token).id
    except Exception:  # a failed lookup never fails the response
        return None


def _start() -> None:
    g.request_started = time.perf_counter()
    assign_request_id()


def _finish(response: Response) -> Response:
    rid = current_request_id()
    if rid is not None:
        response.headers[HEADER] = rid
    quiet = request.blueprint in _QUIET_BLUEPRINTS
    level = logging.DEBUG if quiet else logging.INFO
    if log.isEnabledFor(level):
        fields: dict[str, Any] = {
            "request_id": rid,
            "method": method_label(),
            "route": route_template(),
            "status": response.status_code,
            "duration_ms": round(elapsed_seconds() * 1000, 2),
        }
        party = _authenticated_party(response.status_code)
        if party is not None:
            fields["party"] = party
        log.log(level, "request", extra={"fields": fields})
    return response


def init_app(app: Flask) -> None:
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start)
    app.after_request(_finish)
