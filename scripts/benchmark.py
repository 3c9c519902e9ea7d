"""Ingest and resolve throughput of trace_service on this machine, in one run.

1. baseline: in-process `ingest()` in batches of 500 on a fresh database;
2. batched HTTP ingest (POST /events/batch, 500 events) through gunicorn with 2 workers;
3. single-event HTTP ingest (POST /events) from concurrent clients;
4. resolve lookups (GET /01/<gtin>/21/<serial>, JSON) once the log holds --events-resolve events.

Every event is signed before the clock starts (signing is the client's cost, not the server's);
event hashes are deterministic, so whole chains are pre-signed. The load generators are separate
processes sending pre-encoded bodies over keep-alive http.client connections; they share the
machine's cores with the server, which the output says.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.harness.console import log, machine  # noqa: E402
from scripts.harness.server import Bench  # noqa: E402
from scripts.harness.throughput import (  # noqa: E402
    Figure,
    phase_baseline,
    phase_batched,
    phase_resolve,
    phase_single,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run (a few minutes)")
    parser.add_argument(
        "--events-resolve",
        type=int,
        default=None,
        help="log size for the resolve lookups (default 1,000,000; quick: 30,000)",
    )
    parser.add_argument(
        "--events", type=int, default=None, help="events per ingest phase (default 60,000)"
    )
    parser.add_argument(
        "--single-events", type=int, default=None, help="events of phase 3 (default 20,000)"
    )
    parser.add_argument(
        "--lookups", type=int, default=None, help="lookups per connection level (default 5,000)"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL to use instead of fresh SQLite files (its public "
        "schema is DROPPED and re-created for every phase)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--batch-clients", type=int, default=4, help="connections, phase 2")
    parser.add_argument("--single-clients", type=int, default=32, help="connections, phase 3")
    parser.add_argument("--single-processes", type=int, default=2, help="client processes, 3")
    parser.add_argument(
        "--resolve-clients", default="1,2,4", help="connection levels, phase 4 (default 1,2,4)"
    )
    parser.add_argument("--only", default="1234", help="phases to run, e.g. 12 (default 1234)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    quick = args.quick
    events = args.events or (6_000 if quick else 60_000)
    single = args.single_events or (3_000 if quick else 20_000)
    resolve_events = args.events_resolve or (30_000 if quick else 1_000_000)
    lookups = args.lookups or (1_000 if quick else 5_000)
    levels = [int(n) for n in args.resolve_clients.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="trace-bench-"))
    bench = Bench(args, workdir)
    backend = "PostgreSQL" if args.database_url else "SQLite (WAL, synchronous=NORMAL)"
    load_before = os.getloadavg()
    log(f"machine: {machine()}; database: {backend}; work dir {workdir}")
    log(f"load average before the run: {load_before[0]:.2f} {load_before[1]:.2f}")
    started = time.perf_counter()
    figures: list[Figure] = []
    baseline = None
    try:
        if "1" in args.only:
            figures.append(phase_baseline(bench, events))
            baseline = figures[-1].rate
            log(f"  {baseline:,.0f} events/s")
        if "2" in args.only:
            figures.append(phase_batched(bench, events, args.batch_clients, args.workers))
            log(f"  {figures[-1].rate:,.0f} events/s")
        if "3" in args.only:
            figures += phase_single(
                bench, single, args.single_clients, args.single_processes, args.workers
            )
            log(f"  {figures[-2].rate:,.0f} events/s")
        if "4" in args.only:
            figures += phase_resolve(bench, resolve_events, lookups, levels, args.workers)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    report(figures, baseline, backend, args, load_before, minutes)


def report(
    figures: list[Figure],
    baseline: float | None,
    backend: str,
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    minutes: float,
) -> None:
    threads = os.environ.get("GUNICORN_THREADS") or "config default"
    load_after = os.getloadavg()
    print()
    print(f"trace_service benchmark — {machine()}")
    print(
        f"database: {backend}; gunicorn {args.workers} workers, gthread (threads: {threads}); "
        f"run took {minutes:.1f} min"
    )
    print(
        f"load average (1 min / 5 min) before: {load_before[0]:.2f} / {load_before[1]:.2f}, "
        f"after: {load_after[0]:.2f} / {load_after[1]:.2f} — other processes on this machine "
        "compete for the same cores"
    )
    print(
        "load generators: separate processes, keep-alive http.client connections, pre-signed "
        "and pre-encoded bodies; they run on the same 2 cores as the server, so HTTP figures "
        "are lower bounds"
    )
    print()
    header = f"{'measure':<44} {'rate':>10} {'unit':<11} {'vs base':>8} {'p50 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for f in figures:
        ratio = f"{f.rate / baseline:.0%}" if baseline and not f.name.startswith(" ") else "-"
        p50 = f"{f.p50 * 1000:.2f}" if f.p50 is not None else "-"
        p99 = f"{f.p99 * 1000:.2f}" if f.p99 is not None else "-"
        print(f"{f.name:<44} {f.rate:>10,.0f} {f.unit:<11} {ratio:>8} {p50:>8} {p99:>8}")
    print()
    for f in figures:
        print(f"  {f.name.strip()}: {f.note}")
    print()
    for f in figures:
        verdict = None
        if f.name.startswith("2.") and baseline:
            verdict = ("batched ingest >= 70% of baseline", f.rate >= 0.7 * baseline)
        elif f.name.startswith("3."):
            verdict = ("single-event ingest >= 1,500 events/s", f.rate >= 1500)
        elif f.name.startswith("4.") and f.p99 is not None:
            verdict = (f"resolve p99 <= 10 ms ({f.name.split(', ')[-1]})", f.p99 <= 0.010)
        if verdict:
            print(f"  target {verdict[0]}: {'met' if verdict[1] else 'MISSED'}")


if __name__ == "__main__":
    main()
