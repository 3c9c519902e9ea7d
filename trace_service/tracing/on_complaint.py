"""Attributing complaints as soon as ingest accepts them (责任倒查), connected to the lifecycle's
`complaints_accepted` signal for each app."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import Flask

from trace_service.db import get_session
from trace_service.errors import DomainError
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.signals import complaints_accepted
from trace_service.plumbing.timestamps import parse_time
from trace_service.tracing.operations import trace_pending

log = logging.getLogger(__name__)


def trace_accepted_complaints(app: Flask, times: list[str], now: datetime, **_: Any) -> None:
    """Attribute complaints just accepted, logging the service-signed attributions. Never fails
    the client's request: the complaint is logged whatever happens here, and a failure leaves it
    for the next complaint, POST /cases/trace or the snapshot."""
    session = get_session()
    try:
        # Whole seconds, as parties sign, unless a complaint just accepted is later than that.
        moment = max([now.replace(microsecond=0), *(t for t in map(parse_time, times) if t <= now)])
        trace_pending(session, IngestContext.for_app(app), moment)
    except DomainError as exc:  # e.g. a concurrent request logged the same attribution first
        session.rollback()
        log.warning("tracing after an accepted complaint was refused: %s", exc.detail)
    except Exception:
        session.rollback()
        log.exception("tracing after an accepted complaint failed; it stays untraced for now")


def init_app(app: Flask) -> None:
    """Trace this app's accepted complaints right after they are logged."""
    complaints_accepted.connect(trace_accepted_complaints, sender=app, weak=False)
