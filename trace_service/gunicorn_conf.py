"""gunicorn settings, from the environment (see README: PORT, WEB_CONCURRENCY, BIND)."""

from __future__ import annotations

import multiprocessing
import os

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
