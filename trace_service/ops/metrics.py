"""Prometheus metrics at `/metrics`: requests, ingest outcomes, and the log's size and freshness.

Under gunicorn the config sets PROMETHEUS_MULTIPROC_DIR, so every worker writes its counts to
files there and a scrape of any worker sums them all (prometheus_client's multiprocess mode);
without it (flask run, tests) the counts live in this process. Label values are bounded: route
templates, never raw paths; known methods; stable problem codes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from trace_service.db import get_session
from trace_service.errors import DomainError
from trace_service.ledger.models import Checkpoint
from trace_service.lifecycle.signals import events_ingested
from trace_service.ops.request_log import elapsed_seconds, method_label, route_template

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

# `*_created` series double the exposition and no dashboard here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

REQUEST_SECONDS = Histogram(
    "trace_http_request_duration_seconds",
    "HTTP request latency by method, route template and status; _count is the request count.",
    ["method", "route", "status"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INGEST_EVENTS = Counter(
    "trace_ingest_events",
    "Submitted events by outcome (accepted, duplicate, refused) and problem code if refused.",
    ["outcome", "code"],
)
INGEST_BATCHES = Counter("trace_ingest_batches", "POST /events/batch submissions ingested.")


def count_ingest(outcomes: Sequence[object], *, batch: bool = False) -> None:
    """Count what ingest did with each submitted event (an error or a receipt)."""
    if batch:
        INGEST_BATCHES.inc()
    for outcome in outcomes:
        if isinstance(outcome, DomainError):
            INGEST_EVENTS.labels("refused", outcome.code).inc()
        elif getattr(outcome, "duplicate", False):
            INGEST_EVENTS.labels("duplicate", "").inc()
        else:
            INGEST_EVENTS.labels("accepted", "").inc()


def _count_ingested(app: Flask, outcomes: Sequence[object], batch: bool, **_: Any) -> None:
    count_ingest(outcomes, batch=batch)


class LogGauges(Collector):
    """The log's tree size and the age of its latest checkpoint, read at scrape time
    (one primary-key lookup)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            latest = self.session.execute(
                select(Checkpoint.size, Checkpoint.signed_at)
                .order_by(Checkpoint.size.desc())
                .limit(1)
            ).first()
        except SQLAlchemyError:
            log.warning("metrics: the log's size could not be read", exc_info=True)
            self.session.rollback()
            return
        size = GaugeMetricFamily("trace_log_tree_size", "Entries in the log (latest checkpoint).")
        size.add_metric([], int(latest.size) if latest else 0)
        yield size
        if latest is not None:
            age = (datetime.now(UTC) - latest.signed_at).total_seconds()
            yield GaugeMetricFamily(
                "trace_log_checkpoint_age_seconds",
                "Seconds since the latest checkpoint was signed.",
                value=max(age, 0.0),
            )


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


@bp.get("/metrics")
def scrape() -> Response:
    """The Prometheus exposition of this service (all workers under gunicorn)."""
    # Built per scrape, as prometheus_client asks for multiprocess mode.
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_mode():
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        sources = [registry]
    else:
        sources = [REGISTRY, registry]
    registry.register(LogGauges(get_session()))
    body = b"".join(generate_latest(source) for source in sources)
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def _observe(response: Response) -> Response:
    REQUEST_SECONDS.labels(method_label(), route_template(), str(response.status_code)).observe(
        elapsed_seconds()
    )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_observe)
    app.register_blueprint(bp)
    events_ingested.connect(_count_ingested, sender=app, weak=False)
