"""gunicorn settings, from the environment (see README: PORT, WEB_CONCURRENCY, BIND)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
# Concurrent POST /events of a worker are ingested as one group (lifecycle.ingest.GroupCommit):
# more threads make bigger groups; 16 measured best on 2 cores (4: ~240 events/s, 16: ~500-680).
threads = int(os.environ.get("GUNICORN_THREADS") or 16)
keepalive = 5
timeout = 60
graceful_timeout = 20
max_requests = 0
accesslog = os.environ.get("ACCESS_LOG") or None

# Prometheus multiprocess mode: every worker writes its metrics to files in one directory and a
# scrape of any worker sums them. The variable must be set before the workers import
# prometheus_client, so it is set here, in the master; a directory we create is ours to remove.
_OWNED = "TRACE_OWNS_PROMETHEUS_DIR"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="trace-metrics-")
    os.environ[_OWNED] = "1"
METRICS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_starting(server: Any) -> None:
    # Files left by an earlier run would add its counts to this one's.
    METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    # Drops the dead worker's live gauges; its counters stay, so totals never go backwards.
    multiprocess.mark_process_dead(worker.pid, str(METRICS_DIR))  # type: ignore[no-untyped-call]


def on_exit(server: Any) -> None:
    if os.environ.get(_OWNED):
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
