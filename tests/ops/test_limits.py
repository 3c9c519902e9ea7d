"""Rate limits per client: reads, event writes and registrations each have their own budget;
the N+1-th request is a 429 problem with Retry-After; with Redis, app servers share budgets."""

from __future__ import annotations

import uuid

import pytest

from tests.lifecycle.flow import assert_problem

CLIENT = {"REMOTE_ADDR": "203.0.113.7"}  # a documentation address, not loopback
REDIS_URL = "redis://127.0.0.1:6379/0"


def _low(**config: object) -> dict[str, object]:
    # Hourly windows: a minute boundary cannot fall between the requests of a test.
    return {
        "RATE_LIMIT_PUBLIC": "3/hour",
        "RATE_LIMIT_WRITE": "2/hour",
        "RATE_LIMIT_REGISTRATION": "2/hour",
        **config,
    }


def _refused(response) -> dict:
    body = assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


def test_reads_limited_after_n(make_app):
    client = make_app(**_low()).test_client()
    for _ in range(3):
        assert client.get("/log/key", environ_base=CLIENT).status_code == 200
    body = _refused(client.get("/checkpoint", environ_base=CLIENT))  # one budget for all reads
    assert "3/hour" in body["detail"]
    # Another client has its own budget; probes are never limited.
    assert client.get("/log/key", environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path, environ_base=CLIENT).status_code == 200


def test_writes_and_registrations_have_their_own_budgets(make_app):
    client = make_app(**_low()).test_client()
    for _ in range(3):
        client.get("/log/key", environ_base=CLIENT)
    _refused(client.get("/log/key", environ_base=CLIENT))
    # Reads are spent; writes are not: refused on their merits until their own budget runs out.
    for _ in range(2):
        assert client.post("/events", json={}, environ_base=CLIENT).status_code != 429
    _refused(client.post("/events/batch", json={"events": []}, environ_base=CLIENT))
    for _ in range(2):
        assert client.post("/parties", json={}, environ_base=CLIENT).status_code != 429
    _refused(client.post("/products", json={}, environ_base=CLIENT))


def test_loopback_exempt_by_default(make_app):
    client = make_app(**_low()).test_client()  # the test client calls from 127.0.0.1
    for _ in range(10):
        assert client.get("/log/key").status_code == 200


def test_behind_a_proxy_the_forwarded_client_is_limited(make_app):
    client = make_app(**_low(TRUSTED_PROXY_HOPS=1)).test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(3):
        headers = {"X-Forwarded-For": "198.51.100.1"}
        assert client.get("/log/key", headers=headers, environ_base=proxy).status_code == 200, n
    _refused(client.get("/log/key", headers=headers, environ_base=proxy))
    other = {"X-Forwarded-For": "198.51.100.2"}
    assert client.get("/log/key", headers=other, environ_base=proxy).status_code == 200


def test_limit_switched_off_by_empty_setting(make_app):
    client = make_app(**_low(RATE_LIMIT_PUBLIC="")).test_client()
    for _ in range(6):
        assert client.get("/log/key", environ_base=CLIENT).status_code == 200


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_redis_shares_the_budget_between_app_servers(make_app):
    shared = _low(REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    first, second = make_app(**shared).test_client(), make_app(**shared).test_client()
    assert first.get("/log/key", environ_base=CLIENT).status_code == 200
    assert second.get("/log/key", environ_base=CLIENT).status_code == 200
    assert first.get("/log/key", environ_base=CLIENT).status_code == 200
    _refused(second.get("/log/key", environ_base=CLIENT))
    _refused(first.get("/log/key", environ_base=CLIENT))
