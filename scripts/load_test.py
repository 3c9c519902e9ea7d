"""A bounded mixed load on loopback against gunicorn over a populated database.

The database is filled first by the network simulator (`flask simulate`: merchants, courier
companies, parcels over 24 months, complaints traced and monthly rating snapshots taken), then
the load's own writers are registered (scripts/harness/world.py). Client threads, each with
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
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import func, make_url, select  # noqa: E402

from scripts.harness.console import log, machine  # noqa: E402
from scripts.harness.memory import MemorySampler  # noqa: E402
from scripts.harness.mix import CLASSES, OP_CLASS, Load, Population  # noqa: E402
from scripts.harness.replay import pct  # noqa: E402
from scripts.harness.server import Bench, Server, scratch_database  # noqa: E402
from scripts.harness.world import setup_world  # noqa: E402
from trace_service.audit.verify import verify_log  # noqa: E402
from trace_service.db import new_session  # noqa: E402
from trace_service.identity import service as identity  # noqa: E402
from trace_service.identity.models import Party  # noqa: E402
from trace_service.ledger.models import LogEntry  # noqa: E402
from trace_service.simulate.cli import AFTER_BATCH, AT_MONTH_END, find_hook  # noqa: E402
from trace_service.simulate.driver import run_simulation  # noqa: E402
from trace_service.simulate.params import SimulationParams  # noqa: E402

MIB = 1024 * 1024


# --------------------------------------------------------------------------- the populated database


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
        log(
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
        world = setup_world(app)
    return Population(world, token, paths, complaints, events)


# --------------------------------------------------------------------------- report and main


def _row(name: str, latencies: list[float], errors: int, seconds: float) -> str:
    if not latencies:
        return f"  {name:<22} {0:>8} {errors:>7}"
    ms = [pct(latencies, q) * 1000 for q in (0.5, 0.95, 0.99)]
    return (
        f"  {name:<22} {len(latencies):>8,} {errors:>7} {ms[0]:>8.1f} {ms[1]:>8.1f} {ms[2]:>8.1f}"
        f" {len(latencies) / seconds:>8.1f}"
    )


def report(load: Load, seconds: float, memory: MemorySampler, settings: dict[str, Any]) -> int:
    """Print the figures; returns the number of errors."""
    tally = load.tally
    print()
    print(f"load test — {machine()}")
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
        app, url, instance = Bench(argparse.Namespace(database_url=url), workdir).fresh("load")
        stack.callback(app.extensions["trace_engine"].dispose)
        backend = make_url(url).get_backend_name()
        log(f"populating ({backend}, work folder {workdir}): {args.parcels:,} parcels")
        population = populate(app, args.parcels, args.months, args.seed, workdir / "truth.jsonl")
        server = Server(url, instance, args.workers)
        stack.callback(server.stop)
        port = server.start()
        memory = MemorySampler(instance)
        memory.sample()
        memory.start()
        log(
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
