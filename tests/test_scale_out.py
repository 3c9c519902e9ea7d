"""Scale-out on PostgreSQL: 4 gunicorn workers, concurrent writers and readers, for a bounded time.

Writers (one thread per parcel stream) sign and submit whole journeys — listing, sale, dispatch,
two handoffs, delivery, receipt, review — of distinct items and parcels; readers look items up
as consumers do and poll /checkpoint. Afterwards: every acknowledged event is in the log at its
index, the whole log verifies (verify-log), no response was a 5xx, the first and last observed
checkpoints are consistent, and the metrics summed over the 4 workers count every event.
See docs/SCALING.md for what this does and does not show.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from stdnum import ean

from tests.conftest import PG_URL
from tests.lifecycle.flow import World, build_world, full_journey
from tests.lifecycle.test_workers import Server, gunicorn  # noqa: F401  # the fixture, reused
from trace_service.db import make_engine
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import verify_checkpoint
from trace_service.ledger.key_holder import KeyHolder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="scale-out runs on PostgreSQL (TEST_DATABASE_URL)"),
]

WORKERS = 4
WRITERS = 8
READERS = 4
DURATION = 12.0  # seconds of load; the whole test stays well under a minute


@dataclasses.dataclass
class Call:
    kind: str  # "write" or a read's name
    status: int
    seconds: float
    body: Any = None


class HttpClient:
    """The slice of Flask's test client that `World` uses, over one keep-alive connection to
    gunicorn; remembers every call."""

    def __init__(self, server: Server, calls: list[Call]) -> None:
        self.conn = server.connect()
        self.calls = calls

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Call:
        data = None if body is None else json.dumps(body).encode()
        started = time.perf_counter()
        self.conn.request(
            method, path, data, {"Content-Type": "application/json", **(headers or {})}
        )
        response = self.conn.getresponse()
        raw = response.read()
        call = Call(kind, response.status, time.perf_counter() - started)
        if response.getheader("Content-Type", "").endswith("json"):
            call.body = json.loads(raw)
        else:
            call.body = raw.decode()
        self.calls.append(call)
        return call

    def post(self, path: str, json: Any) -> Any:  # Flask's test client's name
        call = self.request("write", "POST", path, json)
        return _Reply(call)


@dataclasses.dataclass
class _Reply:
    call: Call

    @property
    def status_code(self) -> int:
        return self.call.status

    def get_json(self) -> Any:
        return self.call.body


def sscc(stream: int, n: int) -> str:
    digits = f"1061414{stream:02d}{n:08d}"
    return f"00/{digits}{ean.calc_check_digit(digits)}"


@pytest.fixture
def four_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    # gunicorn reads GUNICORN_CMD_ARGS after its config file: 4 workers instead of the fixture's 3.
    monkeypatch.setenv("GUNICORN_CMD_ARGS", f"--workers {WORKERS}")


@pytest.fixture
def server(four_workers: None, gunicorn: Server) -> Iterator[Server]:  # noqa: F811
    deadline = time.monotonic() + 20
    while gunicorn.log.read_text().count("Booting worker") < WORKERS:
        assert time.monotonic() < deadline, gunicorn.log.read_text()
        time.sleep(0.1)
    yield gunicorn


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def test_four_workers_under_concurrent_writers_and_readers(
    server, app, client, make_party, database_url
):
    base = build_world(client, make_party)  # parties and the product, in-process
    calls: list[Call] = []  # list.append is atomic: threads share it
    delivered: list[str] = []
    failures: list[BaseException] = []
    stop = time.monotonic() + DURATION

    def writer(stream: int) -> None:
        world: World = dataclasses.replace(
            base, client=HttpClient(server, calls), heads={}, buyer=KeyHolder()
        )
        n = 0
        try:
            while time.monotonic() < stop:
                delivered.append(full_journey(world, f"S{stream:02d}{n:05d}", sscc(stream, n)))
                n += 1
        except BaseException as exc:  # reported below
            failures.append(exc)

    checkpoints: list[str] = []

    def reader(number: int) -> None:
        http = HttpClient(server, calls)
        n = 0
        try:
            while time.monotonic() < stop:
                n += 1
                if n % 3 == 0 or not delivered:
                    call = http.request("checkpoint", "GET", "/checkpoint")
                    if call.status == 200:
                        checkpoints.append(call.body)
                else:
                    item = delivered[(n * 7 + number) % len(delivered)]
                    call = http.request(
                        "lookup", "GET", f"/{item}", headers={"Accept": "application/json"}
                    )
                    assert call.status == 200, call.body
                    assert call.body["verified"] is True, call.body
                    assert len(call.body["events"]) >= 3, call.body
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    threads += [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 90)
    elapsed = time.perf_counter() - started
    assert not [t for t in threads if t.is_alive()], "a client thread hung"
    assert not failures, failures[:3]
    assert not [c for c in calls if c.status >= 500], "5xx responses"

    receipts = [c.body for c in calls if c.kind == "write"]
    assert all(c.status == 201 for c in calls if c.kind == "write")
    assert len(receipts) >= 8 * WRITERS, "each writer completes at least one journey"

    # Every acknowledged event is in the log, at the index its receipt names.
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = dict(conn.execute(text("SELECT idx, hash FROM log_entries")).all())
    finally:
        engine.dispose()
    assert sorted(stored) == list(range(len(stored)))
    assert {r["index"]: r["hash"] for r in receipts}.items() <= stored.items()
    vkey = HttpClient(server, []).request("key", "GET", "/log/key").body.strip()
    for receipt in receipts:
        head = verify_checkpoint(receipt["checkpoint"], vkey)
        proof = [base64.b64decode(h) for h in receipt["inclusion"]["hashes"]]
        leaf = base64.b64decode(receipt["leaf_hash"])
        merkle.verify_inclusion(leaf, receipt["index"], head.size, proof, head.root)

    # The whole log verifies: signatures, chains, lifecycle rules, Merkle roots, checkpoints.
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code == 0, result.output

    # What the readers saw: the first and last checkpoints are consistent.
    # (Readers poll from the start: the first non-empty one is the earliest with a proof.)
    heads = sorted((verify_checkpoint(note, vkey) for note in checkpoints), key=lambda h: h.size)
    first, last = next(h for h in heads if h.size), heads[-1]
    assert last.size > first.size
    call = HttpClient(server, []).request(
        "consistency", "GET", f"/log/consistency?first={first.size}&second={last.size}"
    )
    hashes = [base64.b64decode(h) for h in call.body["hashes"]]
    merkle.verify_consistency(first.size, last.size, hashes, first.root, last.root)

    # The 4 workers' metrics, summed by whichever worker answers the scrape.
    scraped = HttpClient(server, []).request("metrics", "GET", "/metrics").body
    accepted = [
        s.value
        for family in text_string_to_metric_families(scraped)
        for s in family.samples
        if s.name == "trace_ingest_events_total" and s.labels["outcome"] == "accepted"
    ]
    assert accepted == [len(receipts)]

    writes = [c.seconds * 1000 for c in calls if c.kind == "write"]
    lookups = [c.seconds * 1000 for c in calls if c.kind == "lookup"]
    polls = [c.seconds * 1000 for c in calls if c.kind == "checkpoint"]
    print(
        f"\nscale-out: {WORKERS} workers, {WRITERS} writers, {READERS} readers, {elapsed:.1f} s: "
        f"{len(receipts)} events ({len(receipts) / elapsed:.0f}/s, {len(delivered)} journeys), "
        f"write p50 {statistics.median(writes):.1f} ms p99 {percentile(writes, 0.99):.1f} ms; "
        f"{len(lookups)} lookups ({len(lookups) / elapsed:.0f}/s) p50 "
        f"{statistics.median(lookups):.1f} ms p99 {percentile(lookups, 0.99):.1f} ms; "
        f"{len(polls)} checkpoint reads p50 {statistics.median(polls):.1f} ms; "
        f"checkpoints seen {first.size}..{last.size}"
    )
