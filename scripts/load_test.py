"""A bounded mixed load on loopback against gunicorn over a populated database.

The database is filled first by the network simulator (`flask simulate`: merchants, courier
companies, parcels over 24 months, complaints traced and monthly rating snapshots taken), then
the load's own writers are registered (scripts/benchmark.py's world). Client threads, each with
its own keep-alive connection, then mix for `--duration` seconds:

* consumer lookups: GS1 Digital Link resolve as JSON and as the page, the latest checkpoint,
  inclusion and consistency proofs;
* ingest: freshly signed events, one per request (POST /events: a listing, then its sale) and
  whole item journeys of 7 events per batch (POST /events/batch);
* regulator queries with the regulator's bearer credential: ratings, a unit's explanation, the
  case list and single cases.

Any answer other than the expected status (and, for ingest, an accepted event) is an error. The
server's memory (RSS of master and workers) is sampled every 10 s. At the end the whole log is
re-verified. Load generators share the machine's cores with the server: figures are lower bounds.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import func, make_url, select  # noqa: E402

from scripts import benchmark  # noqa: E402
from scripts.crash_test import Server, gunicorn_processes, scratch_database  # noqa: E402
from trace_service.audit.verify import verify_log  # noqa: E402
from trace_service.db import new_session  # noqa: E402
from trace_service.identity import service as identity  # noqa: E402
from trace_service.identity.models import Party  # noqa: E402
from trace_service.ledger.models import LogEntry  # noqa: E402
from trace_service.lifecycle.compose import submission  # noqa: E402
from trace_service.simulate.cli import AFTER_BATCH, AT_MONTH_END, find_hook  # noqa: E402
from trace_service.simulate.driver import run_simulation  # noqa: E402
from trace_service.simulate.params import SimulationParams  # noqa: E402

CLASSES = {"consumer": 70, "ingest": 15, "regulator": 15}  # share of requests, in percent
ACCEPT_JSON = {"Accept": "application/json"}
ACCEPT_HTML = {"Accept": "text/html"}
JSON = {"Content-Type": "application/json"}
MIB = 1024 * 1024


# --------------------------------------------------------------------------- the populated database


@dataclass(frozen=True)
class Population:
    """What the load draws on: the writers' keys, the regulator's credential, and targets."""

    world: benchmark.World
    token: str
    lots: list[str]  # Digital Link paths of the simulated items
    complaints: list[str]  # complaint hashes (case ids)
    events: int


def populate(app: Flask, parcels: int, months: int, seed: int, truth: Path) -> Population:
    """Simulate a courier network (complaints traced, monthly snapshots), then register the
    load's writers and issue the network's regulator a bearer credential."""
    params = SimulationParams(parcels=parcels, months=months, seed=seed)
    with app.app_context():
        report = run_simulation(
            app,
            params,
            truth,
            after_batch=find_hook(*AFTER_BATCH),
            at_month_end=find_hook(*AT_MONTH_END),
        )
        benchmark.log(
            f"  simulated {report.parcels:,} parcels, {report.events:,} events, "
            f"{report.complaints:,} complaints in {report.seconds:.0f} s"
        )
        session = new_session(app)
        try:
            regulator = session.scalars(select(Party.id).where(Party.kind == "regulator")).one()
            token = identity.issue_credential(session, regulator, datetime.now(UTC))
            session.commit()
            lots = session.scalars(select(LogEntry.subject).where(LogEntry.type == "listing"))
            paths = ["/" + subject for subject in lots]
            complaints = list(
                session.scalars(select(LogEntry.hash).where(LogEntry.type == "complaint"))
            )
            events = int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)
        finally:
            session.close()
        world = benchmark.setup_world(app)
    return Population(world, token, paths, complaints, events)


# --------------------------------------------------------------------------- the load


@dataclass
class Tally:
    """Latencies of the expected answers and the count of the others, per operation."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, op: str, seconds: float) -> None:
        with self.lock:
            self.latencies[op].append(seconds)

    def error(self, op: str, what: str) -> None:
        with self.lock:
            self.errors[op] += 1
            if len(self.examples) < 10:
                self.examples.append(f"{op}: {what}")


Check = Callable[[bytes], bool]


class Load:
    """Client threads drawing operations at random (seeded) until the deadline."""

    def __init__(self, port: int, population: Population, seed: int) -> None:
        self.port, self.population, self.seed = port, population, seed
        self.tally = Tally()
        self.size = population.events  # a tree size the server has signed
        self.units: list[str] = []
        self.own_items: list[str] = []
        self.journeys = itertools.count()
        self.pairs = itertools.count()
        self.auth = {"Authorization": f"Bearer {population.token}"}
        self.ops: dict[str, list[Callable[[http.client.HTTPConnection, random.Random], None]]] = {
            "consumer": [
                self.resolve_json,
                self.resolve_page,
                self.checkpoint,
                self.inclusion,
                self.consistency,
            ],
            "ingest": [self.event, self.batch],
            "regulator": [self.ratings, self.explanation, self.cases, self.case],
        }

    def run(self, threads: int, seconds: float) -> float:
        """Drive the load from `threads` threads for `seconds`; returns the elapsed time."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        ratings = self.request(conn, "", "GET", "/ratings", headers=self.auth)
        self.units = [u["unit_id"] for u in json.loads(ratings or b"{}").get("units", [])]
        conn.close()
        if not self.units or not self.population.complaints:
            raise RuntimeError("the populated database has no ratings or no complaints")
        deadline = time.monotonic() + seconds
        workers = [
            threading.Thread(target=self._worker, args=(n, deadline)) for n in range(threads)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return time.perf_counter() - started

    def _worker(self, number: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + number)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        kinds, weights = list(CLASSES), list(CLASSES.values())
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            rng.choice(self.ops[kind])(conn, rng)
        conn.close()

    def request(
        self,
        conn: http.client.HTTPConnection,
        op: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        expect: int = 200,
        check: Check | None = None,
    ) -> bytes | None:
        """One timed request; the body when the answer is the expected one, else None."""
        data = None if body is None else json.dumps(body).encode()
        start = time.perf_counter()
        try:
            conn.request(method, path, data, {**(headers or {}), **(JSON if data else {})})
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self.tally.error(op, f"{method} {path}: {exc!r}")
            return None
        elapsed = time.perf_counter() - start
        if response.status != expect or (check is not None and not check(answer)):
            self.tally.error(op, f"{method} {path}: {response.status} {answer[:200]!r}")
            return None
        if op:
            self.tally.ok(op, elapsed)
        return answer

    # consumers ------------------------------------------------------------------------------

    def _resolve(self, conn: http.client.HTTPConnection, rng: random.Random, page: bool) -> None:
        """A Digital Link scan: a simulated item, or (30 %) one the load itself recorded."""
        own = self.own_items
        if own and rng.random() < 0.3:
            path = "/" + own[rng.randrange(len(own))]
        else:
            path = self.population.lots[rng.randrange(len(self.population.lots))]
        op, accept, marker = (
            ("resolve page", ACCEPT_HTML, b"<html")
            if page
            else ("resolve JSON", ACCEPT_JSON, b'"verified":true')
        )
        self.request(conn, op, "GET", path, headers=accept, check=lambda b: marker in b)

    def resolve_json(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        self._resolve(conn, rng, page=False)

    def resolve_page(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        self._resolve(conn, rng, page=True)

    def checkpoint(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        note = self.request(conn, "checkpoint", "GET", "/checkpoint")
        if note is not None:
            self.size = max(self.size, int(note.split(b"\n")[1]))

    def inclusion(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        size = self.size
        path = f"/log/inclusion?index={rng.randrange(size)}&size={size}"
        self.request(conn, "inclusion proof", "GET", path)

    def consistency(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        size = self.size
        path = f"/log/consistency?first={rng.randint(1, size)}&second={size}"
        self.request(conn, "consistency proof", "GET", path)

    # ingest ---------------------------------------------------------------------------------

    def event(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        """A listing, then its sale, one event per request."""
        at = datetime.now(UTC).replace(microsecond=0)
        world = self.population.world
        for envelope in benchmark.listing_and_sale(world, "P", next(self.pairs), at):
            if (
                self.request(
                    conn, "POST /events", "POST", "/events", submission(envelope), None, 201
                )
                is None
            ):
                return

    def batch(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        """An item's whole journey (listing to review, 7 events) in one batch."""
        n = next(self.journeys)
        events = benchmark.journey(
            self.population.world, n, datetime.now(UTC).replace(microsecond=0)
        )
        accepted = self.request(
            conn,
            "POST /events/batch",
            "POST",
            "/events/batch",
            {"events": events},
            check=lambda b: b'"rejected":0' in b,
        )
        if accepted is not None:
            self.own_items.append(benchmark.item_id("J", n))

    # regulators -----------------------------------------------------------------------------

    def ratings(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        self.request(conn, "ratings", "GET", "/ratings", headers=self.auth)

    def explanation(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        unit = self.units[rng.randrange(len(self.units))]
        path = f"/ratings/units/{unit}/explanation"
        self.request(conn, "rating explanation", "GET", path, headers=self.auth)

    def cases(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        path = f"/cases?page={rng.randint(1, 5)}&page_size=20"
        self.request(conn, "case list", "GET", path, headers=self.auth)

    def case(self, conn: http.client.HTTPConnection, rng: random.Random) -> None:
        complaint = self.population.complaints[rng.randrange(len(self.population.complaints))]
        self.request(conn, "case", "GET", f"/cases/{complaint}", headers=self.auth)


OP_CLASS = {
    "resolve JSON": "consumer",
    "resolve page": "consumer",
    "checkpoint": "consumer",
    "inclusion proof": "consumer",
    "consistency proof": "consumer",
    "POST /events": "ingest",
    "POST /events/batch": "ingest",
    "ratings": "regulator",
    "rating explanation": "regulator",
    "case list": "regulator",
    "case": "regulator",
}


# --------------------------------------------------------------------------- the server's memory


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """The RSS of gunicorn's master and workers together, every `every` seconds."""

    def __init__(self, instance: Path, every: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.instance, self.every = instance, every
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()
        self.t0 = time.monotonic()

    def sample(self) -> None:
        master, workers = gunicorn_processes(self.instance)
        pids = [p for p in (master, *workers) if p is not None]
        self.samples.append((time.monotonic() - self.t0, sum(rss_bytes(p) for p in pids)))

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.sample()

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        self.sample()


# --------------------------------------------------------------------------- report and main


def _row(name: str, latencies: list[float], errors: int, seconds: float) -> str:
    if not latencies:
        return f"  {name:<22} {0:>8} {errors:>7}"
    ms = [benchmark.pct(latencies, q) * 1000 for q in (0.5, 0.95, 0.99)]
    return (
        f"  {name:<22} {len(latencies):>8,} {errors:>7} {ms[0]:>8.1f} {ms[1]:>8.1f} {ms[2]:>8.1f}"
        f" {len(latencies) / seconds:>8.1f}"
    )


def report(load: Load, seconds: float, memory: MemorySampler, settings: dict[str, Any]) -> int:
    """Print the figures; returns the number of errors."""
    tally = load.tally
    print()
    print(f"load test — {benchmark.machine()}")
    print("  " + "; ".join(f"{k}: {v}" for k, v in settings.items()))
    print(f"  ran {seconds:.0f} s; load average now {os.getloadavg()[0]:.2f}")
    print()
    print(f"  {'operation':<22} {'count':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'req/s':>8}")  # fmt: skip
    by_class: dict[str, list[float]] = defaultdict(list)
    class_errors: dict[str, int] = defaultdict(int)
    for kind in CLASSES:
        for op, owner in OP_CLASS.items():
            if owner == kind:
                print(_row(op, tally.latencies[op], tally.errors[op], seconds))
                by_class[kind] += tally.latencies[op]
                class_errors[kind] += tally.errors[op]
    print()
    everything: list[float] = []
    for kind in CLASSES:
        print(_row(f"all {kind}", by_class[kind], class_errors[kind], seconds))
        everything += by_class[kind]
    errors = sum(tally.errors.values())
    print(_row("all requests", everything, errors, seconds))
    print()
    rss = [b / MIB for _, b in memory.samples]
    under_load = rss[1] if len(rss) > 1 else rss[0]
    print(
        f"  server RSS (master + workers), MiB: idle before the load {rss[0]:.0f}, after 10 s "
        f"{under_load:.0f}, max {max(rss):.0f}, end {rss[-1]:.0f}"
    )
    print("  every 10 s: " + " ".join(f"{r:.0f}" for r in rss))
    for example in tally.examples:
        print(f"  ERROR {example}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (300)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--parcels", type=int, default=10_000, help="simulated parcels (10,000)")
    parser.add_argument("--months", type=int, default=24, help="simulated months (24)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to CREATE for the run and DROP after it (default: a SQLite "
        "file in WAL mode in a temporary folder)",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip verify-log at the end")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="trace-load-"))
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, workdir, True)
        url = args.database_url and stack.enter_context(scratch_database(args.database_url))
        app, url, instance = benchmark.Bench(argparse.Namespace(database_url=url), workdir).fresh(
            "load"
        )
        stack.callback(app.extensions["trace_engine"].dispose)
        backend = make_url(url).get_backend_name()
        benchmark.log(f"populating ({backend}, work folder {workdir}): {args.parcels:,} parcels")
        population = populate(app, args.parcels, args.months, args.seed, workdir / "truth.jsonl")
        server = Server(url, instance, args.workers)
        stack.callback(server.stop)
        port = server.start()
        memory = MemorySampler(instance)
        memory.sample()
        memory.start()
        benchmark.log(
            f"load: {args.concurrency} threads for {args.duration:.0f} s on a log of "
            f"{population.events:,} events"
        )
        load = Load(port, population, args.seed)
        before = os.getloadavg()[0]
        seconds = load.run(args.concurrency, args.duration)
        memory.stop()
        server.stop()
        session = new_session(app)
        try:
            after = int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)
        finally:
            session.close()
        threads = os.environ.get("GUNICORN_THREADS", 16)
        settings = {
            "database": backend,
            "gunicorn": f"{args.workers} workers × {threads} threads",
            "client threads": args.concurrency,
            "mix": ", ".join(f"{k} {v}%" for k, v in CLASSES.items()),
            "load average before": f"{before:.2f}",
            "log": f"{population.events:,} → {after:,} events "
            f"({(after - population.events) / seconds:.0f} events/s ingested)",
        }
        errors = report(load, seconds, memory, settings)
        if not args.no_verify:
            errors += verify(app)
    if errors:
        raise SystemExit(1)


def verify(app: Flask) -> int:
    """Re-verify the whole log after the load; returns the number of problems."""
    started = time.perf_counter()
    log_key = app.extensions["trace_log_key"]
    session = new_session(app)
    try:
        result = verify_log(session, log_key.vkey, log_key.origin)
    finally:
        session.close()
    print(f"  verify-log: {result.summary()} ({time.perf_counter() - started:.0f} s)")
    for problem in result.problems[:20]:
        print(f"  PROBLEM {problem}")
    return len(result.problems)


if __name__ == "__main__":
    main()
