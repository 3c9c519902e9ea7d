"""One JSON line per request with its id, route template, status, duration and the caller's
party; the id comes from a well-formed X-Request-Id and is echoed and put into problems."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from tests.lifecycle.flow import GTIN, assert_problem
from trace_service.ops.request_log import JsonFormatter


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="trace_service.requests")

    def requests_logged() -> list[dict[str, object]]:
        formatter = JsonFormatter()
        return [
            json.loads(formatter.format(record))
            for record in caplog.records
            if record.name == "trace_service.requests"
        ]

    return requests_logged


def test_request_id_taken_echoed_and_in_problems(client):
    sent = "lb-4f1c2a9e.7:b"
    response = client.get(
        f"/01/{GTIN}/21/NOPE", headers={"X-Request-Id": sent, "Accept": "application/json"}
    )
    assert response.headers["X-Request-Id"] == sent
    assert assert_problem(response, 404, "unknown_product")["request_id"] == sent


@pytest.mark.parametrize("sent", ["", "has space", "a\tb", "x" * 129, "-leading-dash", "ü"])
def test_malformed_request_id_is_replaced(client, sent):
    response = client.get("/log/key", headers={"X-Request-Id": sent})
    generated = response.headers["X-Request-Id"]
    assert generated != sent and len(generated) == 32
    assert client.get("/log/key").headers["X-Request-Id"] != generated  # one per request


def test_one_line_per_request_with_route_template(client, lines):
    response = client.get(
        f"/01/{GTIN}/21/SECRET-SERIAL?token=abc",
        headers={"X-Request-Id": "r-1", "Accept": "application/json"},
    )
    assert response.status_code == 404
    [line] = lines()
    assert line["request_id"] == "r-1"
    assert line["method"] == "GET"
    assert line["route"] == "/01/<gtin>/21/<path:serial>"
    assert line["status"] == 404
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and line["message"] == "request"
    assert "party" not in line
    # The raw path and query (which may carry identifiers) are never logged.
    assert "SECRET-SERIAL" not in json.dumps(line) and "abc" not in json.dumps(line)


def test_authenticated_party_logged_never_its_token(client, make_party, lines):
    regulator = make_party("regulator", "上海市邮政管理局")
    response = client.get("/lists/nominations", headers=regulator.auth)
    assert response.status_code == 200
    [line] = lines()
    assert line["party"] == regulator.party_id
    assert regulator.token not in json.dumps(line)
    # A bad credential: refused, and no party named.
    client.get("/lists/nominations", headers={"Authorization": "Bearer ts_forged"})
    assert "party" not in lines()[-1] and lines()[-1]["status"] == 401


def test_probes_are_quiet_at_info(client, lines):
    client.get("/healthz")
    client.get("/metrics")
    assert lines() == []


def test_log_level_from_config(make_app, caplog):
    app = make_app(LOG_LEVEL="WARNING")
    app.test_client().get("/log/key")
    assert not [r for r in caplog.records if r.name == "trace_service.requests"]
    assert logging.getLogger("trace_service").level == logging.WARNING


def test_other_log_lines_carry_the_request_id():
    try:
        raise ValueError("boom")
    except ValueError:
        info = sys.exc_info()
    record = logging.LogRecord(
        "trace_service.x", logging.ERROR, __file__, 1, "failed %s", ("y",), exc_info=info
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed y" and line["level"] == "error"
    assert "ValueError: boom" in line["exception"]
    assert "request_id" not in line  # outside a request
