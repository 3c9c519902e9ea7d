"""/metrics: requests by route template, ingest outcomes, the log's size and freshness; under
several gunicorn workers a scrape of any worker counts them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.lifecycle.flow import GTIN, build_world, full_journey, now
from tests.lifecycle.test_workers import Server, gunicorn  # noqa: F401  # the fixture, reused
from trace_service.lifecycle.compose import payload, sign, submission

ROOT = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(client: Any) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    return parse(response.get_data(as_text=True))


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def events(samples: Samples, outcome: str, code: str = "") -> float:
    return value(samples, "trace_ingest_events_total", outcome=outcome, code=code)


def test_ingest_counters_and_log_gauges_move(client, make_party):
    world = build_world(client, make_party)
    before = scrape(client)
    full_journey(world, "M0001", "00/106141412345678908")  # 8 events, one at a time
    # One batch: a listing accepted, the same listing again (duplicate) and a fork refused.
    item = f"01/{GTIN}/21/M0002"
    fields = {"platform": world.platform.party_id, "price": {"amount": "9.00", "currency": "CNY"}}
    listing = submission(
        sign(payload("listing", item, None, now(), listing_ref="A", **fields), world.merchant.key)
    )
    rival = submission(
        sign(payload("listing", item, None, now(), listing_ref="B", **fields), world.merchant.key)
    )
    response = client.post("/events/batch", json={"events": [listing, listing, rival]})
    assert [r["status"] for r in response.get_json()["results"]] == [201, 200, 409]
    after = scrape(client)

    assert events(after, "accepted") - events(before, "accepted") == 9
    assert events(after, "duplicate") - events(before, "duplicate") == 1
    assert events(after, "refused", "fork") - events(before, "refused", "fork") == 1
    batches = "trace_ingest_batches_total"
    assert value(after, batches) - value(before, batches) == 1
    assert value(after, "trace_log_tree_size") - value(before, "trace_log_tree_size") == 9
    assert 0 <= value(after, "trace_log_checkpoint_age_seconds") < 60


def test_requests_labelled_by_route_template(client):
    client.get(f"/01/{GTIN}/21/RAW-SERIAL-1", headers={"Accept": "application/json"})
    client.get("/definitely/not/a/route")
    client.open("/log/key", method="BREW")
    text = client.get("/metrics").get_data(as_text=True)
    samples = parse(text)
    count = "trace_http_request_duration_seconds_count"
    route = "/01/<gtin>/21/<path:serial>"
    assert value(samples, count, method="GET", route=route, status="404") >= 1
    assert value(samples, count, method="GET", route="<unmatched>", status="404") >= 1
    # An unknown method matches no rule either; it is folded into one label value.
    assert value(samples, count, method="OTHER", route="<unmatched>", status="405") >= 1
    assert "RAW-SERIAL-1" not in text and "definitely" not in text and "BREW" not in text


def test_metrics_of_an_empty_log(client):
    samples = scrape(client)
    assert value(samples, "trace_log_tree_size") == 0


@pytest.mark.slow
def test_several_workers_share_counts(gunicorn: Server, client, make_party):  # noqa: F811
    """gunicorn (3 workers, multiprocess mode): whichever worker answers a scrape, it counts
    every worker's events."""
    world = build_world(client, make_party)
    accepted = 0
    for n in range(12):
        item = f"01/{GTIN}/21/G{n:04d}"
        body = payload(
            "listing",
            item,
            None,
            now(),
            platform=world.platform.party_id,
            listing_ref=f"G{n}",
            price={"amount": "1.00", "currency": "CNY"},
        )
        conn = gunicorn.connect()  # a new connection each time: the workers take turns
        conn.request(
            "POST",
            "/events",
            json.dumps(submission(sign(body, world.merchant.key))),
            {"Content-Type": "application/json"},
        )
        accepted += conn.getresponse().status == 201
        conn.close()
    assert accepted == 12
    for _ in range(6):
        conn = gunicorn.connect()
        conn.request("GET", "/metrics")
        samples = parse(conn.getresponse().read().decode())
        conn.close()
        assert events(samples, "accepted") == 12
        assert value(samples, "trace_log_tree_size") == 12
        count = "trace_http_request_duration_seconds_count"
        assert value(samples, count, method="POST", route="/events", status="201") == 12


def _metrics_dir_kept(given: Path | None) -> bool:
    """Load the gunicorn config in a fresh interpreter, run its start and exit hooks, and say
    whether the metrics directory is still there (stale files must be gone after start)."""
    script = (
        "import os, trace_service.gunicorn_conf as c\n"
        "d = c.METRICS_DIR; assert d.is_dir(), d\n"
        "(d / 'counter_1.db').write_bytes(b'stale'); c.on_starting(None)\n"
        "assert not list(d.iterdir()); c.on_exit(None)\n"
        "print(d.exists())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if given is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(given)
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip() == "True"


def test_gunicorn_config_owns_and_removes_its_metrics_dir(tmp_path: Path):
    """The config creates the multiprocess directory when none is given and removes it on exit;
    a given one is kept and only wiped of stale files at start."""
    assert not _metrics_dir_kept(None)
    given = tmp_path / "metrics"
    given.mkdir()
    assert _metrics_dir_kept(given)
