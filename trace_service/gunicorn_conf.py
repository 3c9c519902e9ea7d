"""gunicorn settings, from the environment (see README: PORT, WEB_CONCURRENCY, BIND)."""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
keepalive = 5
timeout = 60
graceful_timeout = 20
max_requests = 0
accesslog = os.environ.get("ACCESS_LOG") or None
