"""The request id: taken from a well-formed `X-Request-Id`, else generated; echoed back, logged
with every line of the request and added to its problem responses."""

from __future__ import annotations

import re
import uuid

from flask import g, has_request_context, request

HEADER = "X-Request-Id"
# What load balancers and tracing systems send (UUIDs, hex, AWS trace ids); nothing that could
# break a log line or a header.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")


def assign_request_id() -> str:
    """The current request's id, from its `X-Request-Id` header when well formed."""
    sent = request.headers.get(HEADER, "")
    rid = sent if _WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex
    g.request_id = rid
    return rid


def current_request_id() -> str | None:
    """The id of the request being handled, None outside a request."""
    if not has_request_context():
        return None
    rid: str | None = g.get("request_id")
    return rid
