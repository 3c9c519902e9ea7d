"""The benchmark's four phases, each on a fresh database: in-process ingest (the baseline),
batched and single-event HTTP ingest through gunicorn, and resolve lookups over a filled log."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scripts.harness.console import log
from scripts.harness.replay import JSON, LoadResult, Request, pct, run_load
from scripts.harness.server import Bench, gunicorn, log_size
from scripts.harness.world import (
    BATCH,
    World,
    item_id,
    presign_pairs,
    setup_world,
    sign_journeys,
)
from trace_service.db import new_session
from trace_service.errors import DomainError
from trace_service.ledger.log_key import current_log_key
from trace_service.lifecycle import personal_data
from trace_service.lifecycle.ingest import IngestContext, ingest


@dataclass
class Figure:
    """One line of the benchmark's table: a rate and, for HTTP phases, its latency."""

    name: str
    rate: float
    unit: str
    p50: float | None = None
    p99: float | None = None
    note: str = ""


def in_process_ingest(
    app: Any,
    batches: Iterable[list[dict[str, Any]]],
    at: datetime,
    progress: Callable[[int], None] | None = None,
) -> float:
    """Seconds spent ingesting the batches in-process; raises if any event is refused."""
    with app.app_context():
        ctx = IngestContext(current_log_key(), personal_data.current_vault(), 300)
        session = new_session(app)
        elapsed = 0.0
        done = 0
        try:
            for batch in batches:
                start = time.perf_counter()
                outcomes = ingest(session, batch, ctx, at)
                elapsed += time.perf_counter() - start
                refused = [o for o in outcomes if isinstance(o, DomainError)]
                if refused:
                    raise RuntimeError(f"refused: {refused[0].problem()}")
                done += len(batch)
                if progress:
                    progress(done)
        finally:
            session.close()
    return elapsed


def phase_baseline(bench: Bench, events: int) -> Figure:
    app, url, _ = bench.fresh("baseline")
    world = setup_world(app)
    at = datetime.now(UTC).replace(microsecond=0)
    batches = presign_pairs(world, "A", events // 2, at)
    log(f"baseline: ingesting {events} events in-process, batches of {BATCH}")
    seconds = in_process_ingest(app, batches, at)
    app.extensions["trace_engine"].dispose()
    assert log_size(url) == events
    return Figure(
        "1. in-process ingest() (baseline)",
        events / seconds,
        "events/s",
        note=f"{events} events, {len(batches)} batches of {BATCH}, 1 process",
    )


def phase_batched(bench: Bench, events: int, clients: int, workers: int) -> Figure:
    app, url, instance = bench.fresh("batched")
    world = setup_world(app)
    app.extensions["trace_engine"].dispose()
    at = datetime.now(UTC).replace(microsecond=0)
    batches = presign_pairs(world, "B", events // 2, at)
    bodies = [json.dumps({"events": b}).encode() for b in batches]
    lanes = [
        [("POST", "/events/batch", body, JSON) for body in bodies[i::clients]]
        for i in range(clients)
    ]
    log(f"batched HTTP: {events} events in {len(bodies)} batches from {clients} connections")
    with gunicorn(url, instance, workers) as port:
        result = run_load(port, lanes, min(clients, 2), (200,), b'"rejected":0')
    _check(result, url, events)
    return Figure(
        f"2. HTTP POST /events/batch ({BATCH}/batch)",
        events / result.seconds,
        "events/s",
        pct(result.latencies, 0.5),
        pct(result.latencies, 0.99),
        f"{workers} gunicorn workers; {clients} client connections in "
        f"{min(clients, 2)} processes; latency per batch",
    )


def phase_single(
    bench: Bench, events: int, clients: int, processes: int, workers: int
) -> list[Figure]:
    app, url, instance = bench.fresh("single")
    world = setup_world(app)
    app.extensions["trace_engine"].dispose()
    at = datetime.now(UTC).replace(microsecond=0)
    batches = presign_pairs(world, "S", events // 2, at)
    pairs = [b[i : i + 2] for b in batches for i in range(0, len(b), 2)]
    # One lane per connection; an item's sale follows its listing on the same lane.
    lanes: list[list[Request]] = [[] for _ in range(clients)]
    for n, pair in enumerate(pairs):
        lanes[n % clients] += [("POST", "/events", json.dumps(e).encode(), JSON) for e in pair]
    log(f"single-event HTTP: {events} events from {clients} connections in {processes} processes")
    with gunicorn(url, instance, workers) as port:
        result = run_load(port, lanes, processes, (201,))
        # The same clients against the cheapest endpoint: what the HTTP stack alone allows here.
        key_request: Request = ("GET", "/log/key", None, {})
        floor = [[key_request] * (events // clients) for _ in range(clients)]
        noop = run_load(port, floor, processes, (200,))
    _check(result, url, events)
    return [
        Figure(
            "3. HTTP POST /events (1 event/request)",
            events / result.seconds,
            "events/s",
            pct(result.latencies, 0.5),
            pct(result.latencies, 0.99),
            f"{workers} gunicorn workers; {clients} connections in {processes} processes; "
            "latency per request",
        ),
        Figure(
            "   (reference: GET /log/key, same clients)",
            len(noop.latencies) / noop.seconds,
            "requests/s",
            pct(noop.latencies, 0.5),
            pct(noop.latencies, 0.99),
            "the cheapest endpoint (no database) under the same load: the ceiling the HTTP stack "
            "(gunicorn gthread + Flask) leaves for any per-request work on this machine",
        ),
    ]


def _check(result: LoadResult, url: str, events: int) -> None:
    if result.failures:
        raise RuntimeError(f"{result.failures} requests failed, e.g. {result.first_failure}")
    stored = log_size(url)
    if stored != events:
        raise RuntimeError(f"the log holds {stored} events, expected {events}")


def fill(app: Any, world: World, events: int) -> int:
    """Fill the log with item journeys (7 events each) by in-process ingest; returns the items."""
    per_batch = 700  # journeys per signing job: 4,900 events per ingest batch
    items = events // 7
    at = datetime.now(UTC).replace(microsecond=0)
    jobs = [
        (world, start, min(per_batch, items - start), at) for start in range(0, items, per_batch)
    ]
    rest = events - items * 7
    started = time.perf_counter()
    last = [0]

    def progress(done: int) -> None:
        if done - last[0] >= 100_000 or done == items * 7:
            last[0] = done
            rate = done / (time.perf_counter() - started)
            log(f"  fill: {done:>9,} / {events:,} events ({rate:,.0f} events/s incl. signing)")

    with mp.get_context("fork").Pool(max(1, (os.cpu_count() or 2) - 1)) as pool:
        in_process_ingest(app, pool.imap(sign_journeys, jobs), at, progress)
    if rest:
        extra = presign_pairs(world, "X", (rest + 1) // 2, at)
        flat = [e for b in extra for e in b][:rest]
        in_process_ingest(app, [flat], at)
    return items


def phase_resolve(
    bench: Bench, events: int, lookups: int, clients: list[int], workers: int
) -> list[Figure]:
    app, url, instance = bench.fresh("resolve")
    world = setup_world(app)
    log(
        f"resolve: filling the log to {events:,} events (in-process ingest, pre-signed in "
        f"{max(1, (os.cpu_count() or 2) - 1)} signer process(es))"
    )
    started = time.perf_counter()
    items = fill(app, world, events)
    app.extensions["trace_engine"].dispose()
    stored = log_size(url)
    log(f"  filled {stored:,} events in {time.perf_counter() - started:.0f} s")
    assert stored == events

    rng = random.Random(7)
    accept = {"Accept": "application/json"}
    picks = [rng.randrange(items) for _ in range(lookups)]  # the same items at every level
    figures = []
    with gunicorn(url, instance, workers) as port:
        warm = [[("GET", "/" + item_id("J", n), None, accept) for n in picks[:200]]]
        run_load(port, warm, 1, (200,), b'"verified":true')
        for conns in clients:
            lanes = [
                [("GET", "/" + item_id("J", n), None, accept) for n in picks[i::conns]]
                for i in range(conns)
            ]
            log(f"resolve: {lookups} lookups of random items from {conns} connection(s)")
            result = run_load(port, lanes, min(conns, 2), (200,), b'"verified":true')
            if result.failures:
                raise RuntimeError(f"{result.failures} lookups failed: {result.first_failure}")
            rate = len(result.latencies) / result.seconds
            figures.append(
                Figure(
                    f"4. GET /01/<gtin>/21/<serial> JSON, {conns} conn",
                    rate,
                    "lookups/s",
                    pct(result.latencies, 0.5),
                    pct(result.latencies, 0.99),
                    f"log of {stored:,} events; item with 7 events over 2 subjects; "
                    f"{workers} workers; {min(conns, 2)} client process(es)",
                )
            )
    return figures
