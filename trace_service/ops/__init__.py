"""Operations: health, metrics, request logs, rate limits, security headers, key rotation.

Submodules are imported inside `init_app`, so importing the package stays cheap and free of
import cycles.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the operational hooks and endpoints, in the order their request hooks must run."""
    from trace_service.ops import health, limits, metrics, request_log, security_headers

    # Before-request hooks run in registration order: the request id and the clock start first,
    # so a request refused by the rate limiter is still logged, counted and given an id.
    request_log.init_app(app)
    metrics.init_app(app)
    security_headers.init_app(app)
    limits.init_app(app)
    health.init_app(app)
