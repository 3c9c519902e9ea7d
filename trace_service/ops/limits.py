"""Rate limits per client address (Flask-Limiter): public reads, event writes, registrations.

Three classes of request, each with its own budget shared by all routes of the class:
- `write`: POST /events and POST /events/batch (RATE_LIMIT_WRITE);
- `registration`: every other change — parties, keys, credentials, products, and the
  authenticated workflow actions (RATE_LIMIT_REGISTRATION);
- `public`: every read (RATE_LIMIT_PUBLIC): consumer lookups, the log's audit endpoints, codes.
Health, readiness and metrics are never limited, nor are clients in RATE_LIMIT_EXEMPT (loopback
by default: the operator's own tools and benchmarks). Counts live in memory, per process, unless
REDIS_URL is set: then every worker and app server shares them. A breach is a 429 problem
(`rate_limited`) with Retry-After.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable

from flask import Flask, Response, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from werkzeug.middleware.proxy_fix import ProxyFix

WRITE_ENDPOINTS = frozenset({"lifecycle.Events", "lifecycle.EventBatch"})
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
UNLIMITED_BLUEPRINTS = frozenset({"health", "metrics"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def request_class() -> str:
    """`public`, `write` or `registration`: which budget the current request draws on."""
    if request.method in _READS:
        return "public"
    if request.endpoint in WRITE_ENDPOINTS:
        return "write"
    return "registration"


def client_address() -> str:
    """The key of a client's budget: its address (as set by ProxyFix behind a load balancer)."""
    return request.remote_addr or "unknown"


def exempt_networks(spec: str) -> list[Network]:
    """Parse RATE_LIMIT_EXEMPT: comma-separated addresses or networks; raises ValueError."""
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()
    ]


def _is_exempt(networks: list[Network]) -> Callable[[], bool]:
    def exempt() -> bool:
        if request.blueprint in UNLIMITED_BLUEPRINTS:
            return True
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return False
        return any(address in network for network in networks)

    return exempt


def _budget(name: str, limit: str, what: str) -> ApplicationLimit:
    return ApplicationLimit(
        limit,
        scope=name,
        exempt_when=lambda: request_class() != name,
        error_message=f"too many {what} from this client (limit: {limit}); retry later",
    )


def _retry_after(limit: RequestLimit) -> Response:
    # Carried to the problem response by trace_service.plumbing.problems. `reset_at` is already
    # rounded up to the next whole second.
    seconds = max(1, int(limit.reset_at - time.time()))
    return Response(status=429, headers={"Retry-After": str(seconds)})


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops:
        # Behind a load balancer the client is in X-Forwarded-For: budgets and logs need it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    budgets = [
        _budget(name, app.config[key], what)
        for name, key, what in (
            ("public", "RATE_LIMIT_PUBLIC", "reads"),
            ("write", "RATE_LIMIT_WRITE", "event submissions"),
            ("registration", "RATE_LIMIT_REGISTRATION", "registrations and changes"),
        )
        if app.config.get(key)
    ]
    # Several services may share one Redis: keys are prefixed with the service's name.
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "trace_service")
    limiter = Limiter(
        client_address,
        application_limits=list(budgets),
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        strategy="fixed-window",
        on_breach=_retry_after,
        # Redis unreachable: keep limiting, per process, rather than fail every request.
        in_memory_fallback_enabled=True,
    )
    limiter.request_filter(_is_exempt(exempt_networks(app.config.get("RATE_LIMIT_EXEMPT", ""))))
    limiter.init_app(app)
    app.extensions["trace_limiter"] = limiter
