"""Crash safety of batched ingest: SIGKILL the gunicorn master and every worker at random moments,
restart on the same database, and check that nothing acknowledged was lost.

Client threads (scripts/harness/receipts.py) submit batches of freshly signed events (POST
/events/batch; listing + sale pairs of scripts/harness/world.py) to gunicorn with 2+ workers. At
seeded random moments while it takes writes, the master and its workers are killed with SIGKILL
in a random order (no shutdown hook runs; transactions are cut wherever they are), the server is
restarted, and before the clients resume (scripts/harness/survival.py):

* every event whose receipt a client holds is at its receipt's index with the same leaf hash;
* the log verifies (the `verify-log` verifier, in-process);
* no checkpoint was signed beyond what survived: every checkpoint handed to a client and every
  stored one is no larger than the served tree and consistent with it (RFC 9162 consistency
  proofs fetched from the server), and every receipt's inclusion proof verifies;
* resubmitting acknowledged events returns the very same receipts.

The clients then resubmit the batches whose answers the kill cut off (idempotent: events
committed before the kill come back as duplicates with their original receipts) and carry on.
At the end, every event in the log is one a client holds a receipt for.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from scripts.harness.console import log, machine  # noqa: E402
from scripts.harness.receipts import Clients  # noqa: E402
from scripts.harness.server import (  # noqa: E402
    Bench,
    Server,
    gunicorn_processes,
    scratch_database,
)
from scripts.harness.survival import Checker  # noqa: E402
from scripts.harness.world import setup_world  # noqa: E402

KILL_PATTERNS = ("together", "workers first", "master first")


@dataclass(frozen=True)
class Settings:
    cycles: int = 20
    seed: int = 1
    workers: int = 2
    clients: int = 4
    pairs: int = 10  # listing + sale pairs per batch
    # Seconds of load before each kill, drawn from this range and counted from the first batch
    # the (re)started server acknowledges.
    uptime: tuple[float, float] = (0.5, 3.0)


# --------------------------------------------------------------------------- kills


def _kill(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def kill_server(instance: Path, rng: random.Random) -> tuple[str, int]:
    """SIGKILL the master and every worker in a seeded order; returns the pattern and how many
    processes were killed (a master killed after its workers may have forked new ones)."""
    master, workers = gunicorn_processes(instance)
    pattern = rng.choice(KILL_PATTERNS)
    order: list[int | None]
    if pattern == "together":
        order = [master, *workers]
        rng.shuffle(order)
    elif pattern == "workers first":
        order = [*workers, None, master]
    else:
        order = [master, None, *workers]
    killed = set()
    for pid in order:
        if pid is None:
            time.sleep(rng.uniform(0.0, 0.1))  # the survivors keep serving meanwhile
        else:
            _kill(pid)
            killed.add(pid)
    deadline = time.monotonic() + 15
    while True:  # anything forked or left behind in the meantime
        master, rest = gunicorn_processes(instance)
        left = [p for p in (master, *rest) if p is not None]
        if not left:
            return pattern, len(killed)
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn processes survive SIGKILL: {left}")
        for pid in left:
            _kill(pid)
            killed.add(pid)
        time.sleep(0.05)


# --------------------------------------------------------------------------- one run


@dataclass
class CycleFigures:
    cycle: int
    pattern: str
    killed: int
    restart_s: float
    check_s: float
    log_size: int
    acknowledged: int
    lost: int
    bad_checkpoints: int
    verify_ok: bool


@dataclass
class Summary:
    database: str
    settings: Settings
    cycles: list[CycleFigures]
    acknowledged: int
    cut_off: int
    recovered: int
    lost: int
    checkpoints_seen: int
    bad_checkpoints: int
    final_size: int
    seconds: float
    problems: list[str]


def run_crash_cycles(
    app: Flask,
    url: str,
    settings: Settings,
    echo: Callable[[str], None] | None = None,
    after_kill: Callable[[], None] | None = None,
) -> Summary:
    """Kill and restart gunicorn `settings.cycles` times under batched ingest, checking after
    every restart; `app` is an app over the migrated, empty database `url`. `after_kill` runs
    while the server is down (the test of the checks themselves edits the database there)."""
    say = echo or (lambda _message: None)
    started = time.perf_counter()
    instance = Path(app.instance_path)
    rng = random.Random(settings.seed)
    with app.app_context():
        world = setup_world(app)
    clients = Clients(world, settings.clients, settings.pairs)
    checker = Checker(app)
    server = Server(url, instance, settings.workers)
    figures: list[CycleFigures] = []
    try:
        clients.start()
        clients.resume(server.start())
        for cycle in range(1, settings.cycles + 1):
            clients.wait_for_progress()
            time.sleep(rng.uniform(*settings.uptime))
            clients.pause()
            pattern, killed = kill_server(instance, rng)
            server.stop()
            if after_kill is not None:
                after_kill()
            t0 = time.perf_counter()
            port = server.start()
            t1 = time.perf_counter()
            size, verified = checker.check(port, clients.evidence, rng)
            t2 = time.perf_counter()
            figures.append(
                CycleFigures(
                    cycle,
                    pattern,
                    killed,
                    t1 - t0,
                    t2 - t1,
                    size,
                    len(clients.evidence.receipts),
                    len(checker.lost),
                    len(checker.bad_checkpoints),
                    verified,
                )
            )
            say(_cycle_line(figures[-1]))
            if clients.errors:
                raise clients.errors[0]
            clients.resume(port)
        clients.stop()
        final_size, _ = checker.check(server.port, clients.evidence, rng)
    finally:
        clients.closed.set()
        clients.stopping.set()
        clients.up.set()
        server.stop()
    evidence = clients.evidence
    if evidence.refused:
        checker.problems += [f"refused: {r}" for r in evidence.refused[:20]]
    if final_size != len(evidence.receipts):
        checker.problems.append(
            f"the log holds {final_size} events but clients hold {len(evidence.receipts)} receipts"
        )
    return Summary(
        database=make_url(url).get_backend_name(),
        settings=settings,
        cycles=figures,
        acknowledged=len(evidence.receipts),
        cut_off=evidence.cut_off,
        recovered=evidence.recovered,
        lost=len(checker.lost),
        checkpoints_seen=len(evidence.notes),
        bad_checkpoints=len(checker.bad_checkpoints),
        final_size=final_size,
        seconds=time.perf_counter() - started,
        problems=checker.problems,
    )


def _cycle_line(f: CycleFigures) -> str:
    return (
        f"cycle {f.cycle:>3}: killed {f.killed} ({f.pattern:<13}) restart {f.restart_s:5.2f} s, "
        f"checks {f.check_s:5.2f} s; log {f.log_size:>7,}, acknowledged {f.acknowledged:>7,}, "
        f"lost {f.lost}, bad checkpoints {f.bad_checkpoints}, "
        f"verify-log {'ok' if f.verify_ok else 'FAILED'}"
    )


def print_summary(summary: Summary) -> None:
    s = summary.settings
    restarts = [c.restart_s for c in summary.cycles]
    verified = all(c.verify_ok for c in summary.cycles)
    restart = f"{sum(restarts) / max(1, len(restarts)):.2f} / {max(restarts, default=0):.2f} s"
    rows = [
        ("database", summary.database),
        ("gunicorn workers / client threads", f"{s.workers} / {s.clients}"),
        ("events per batch", f"{2 * s.pairs}"),
        ("kill cycles (master + workers, SIGKILL)", f"{len(summary.cycles)} (seed {s.seed})"),
        ("processes killed", f"{sum(c.killed for c in summary.cycles)}"),
        ("requests cut off by a kill, resubmitted", f"{summary.cut_off}"),
        ("  events among them already committed", f"{summary.recovered}"),
        ("events acknowledged (receipts held)", f"{summary.acknowledged:,}"),
        ("events lost", f"{summary.lost}"),
        ("checkpoints handed out", f"{summary.checkpoints_seen:,}"),
        ("checkpoints lost or inconsistent", f"{summary.bad_checkpoints}"),
        ("verify-log after every restart", "ok" if verified else "FAILED"),
        ("final log size", f"{summary.final_size:,}"),
        ("restart time mean / max", restart),
        ("run time", f"{summary.seconds:.0f} s"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print()
    print(f"crash test — {machine()}; load average {os.getloadavg()[0]:.2f}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for problem in summary.problems:
        print(f"  PROBLEM {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=Settings.cycles)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    parser.add_argument("--workers", type=int, default=Settings.workers)
    parser.add_argument("--clients", type=int, default=Settings.clients)
    parser.add_argument("--pairs", type=int, default=Settings.pairs, help="pairs per batch")
    uptime = "seconds between the first batch a (re)started server acknowledges and the kill"
    parser.add_argument("--min-uptime", type=float, default=Settings.uptime[0], help=uptime)
    parser.add_argument("--max-uptime", type=float, default=Settings.uptime[1], help=uptime)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database to CREATE for the run and DROP after it (default: a SQLite "
        "file in WAL mode in a temporary folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if args.cycles < 1 or args.workers < 2:
        parser.error("at least 1 cycle and 2 workers")
    settings = Settings(
        args.cycles,
        args.seed,
        args.workers,
        args.clients,
        args.pairs,
        (args.min_uptime, args.max_uptime),
    )
    workdir = Path(tempfile.mkdtemp(prefix="trace-crash-"))
    with ExitStack() as stack:
        if not args.keep:
            stack.callback(shutil.rmtree, workdir, True)
        url = (
            stack.enter_context(scratch_database(args.database_url)) if args.database_url else None
        )
        bench = Bench(argparse.Namespace(database_url=url), workdir)
        app, url, _ = bench.fresh("crash")
        stack.callback(app.extensions["trace_engine"].dispose)
        log(f"crash test on {make_url(url).get_backend_name()}, work folder {workdir}")
        summary = run_crash_cycles(app, url, settings, log)
        print_summary(summary)
    if summary.problems or summary.lost or summary.bad_checkpoints:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
