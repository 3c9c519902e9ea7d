"""Crash safety of batched ingest: SIGKILL the gunicorn master and every worker at random moments,
restart on the same database, and check that nothing acknowledged was lost.

Client threads submit batches of freshly signed events (POST /events/batch; listing + sale pairs
built by scripts/benchmark.py) to gunicorn with 2+ workers. At seeded random moments while it takes
writes, the master and its workers are killed with SIGKILL in a random order (no shutdown hook
runs; transactions are cut wherever they are), the server is restarted, and before the clients
resume:

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
import base64
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from sqlalchemy import make_url, select, text  # noqa: E402

from scripts import benchmark  # noqa: E402
from trace_service.audit.verify import verify_log  # noqa: E402
from trace_service.db import make_engine, new_session  # noqa: E402
from trace_service.ledger import merkle  # noqa: E402
from trace_service.ledger.checkpoint import Checkpoint, verify_checkpoint  # noqa: E402
from trace_service.ledger.models import Checkpoint as StoredCheckpoint  # noqa: E402
from trace_service.ledger.models import LogEntry  # noqa: E402
from trace_service.lifecycle.compose import submission  # noqa: E402

KILL_PATTERNS = ("together", "workers first", "master first")
JSON = {"Content-Type": "application/json"}


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


# --------------------------------------------------------------------------- the server's processes


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def gunicorn_processes(instance: Path) -> tuple[int | None, list[int]]:
    """The live gunicorn master and other processes (workers, orphaned ones too) serving
    `instance`: found by the TRACE_INSTANCE_PATH they were started with, so no other server on
    the machine is ever touched."""
    marker = f"TRACE_INSTANCE_PATH={instance}".encode()
    master, others = None, []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or b"gunicorn" not in _read(entry / "cmdline"):
            continue
        if marker not in _read(entry / "environ").split(b"\0"):
            continue
        stat = _read(entry / "stat").rsplit(b")", 1)[-1].split()
        if not stat or stat[0] == b"Z":
            continue
        if int(stat[1]) == os.getpid():
            master = int(entry.name)
        else:
            others.append(int(entry.name))
    return master, others


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


class Server:
    """gunicorn over one database and instance folder, started by scripts/benchmark.py."""

    def __init__(self, url: str, instance: Path, workers: int) -> None:
        self.url, self.instance, self.workers = url, instance, workers
        # One metrics folder for every restart: each gunicorn would otherwise make its own
        # temporary one and, killed, never remove it.
        self.metrics = instance.parent / "metrics"
        self.metrics.mkdir(exist_ok=True)
        self._stack: ExitStack | None = None
        self.port = 0

    def start(self) -> int:
        self.stop()
        stack = ExitStack()
        with mock.patch.dict(os.environ, {"PROMETHEUS_MULTIPROC_DIR": str(self.metrics)}):
            self.port = stack.enter_context(
                benchmark.gunicorn(self.url, self.instance, self.workers)
            )
        self._stack = stack
        return self.port

    def stop(self) -> None:
        """SIGTERM a running server; after a kill, only reaps the dead master."""
        if self._stack is not None:
            self._stack.close()
            self._stack = None


def http_json(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> Any:
    """One request on a keep-alive connection; raises RuntimeError unless it answers 200."""
    conn.request(method, path, None if body is None else json.dumps(body).encode(), JSON)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if response.getheader("Content-Type", "").endswith("json") else data


# --------------------------------------------------------------------------- clients and evidence


@dataclass
class Evidence:
    """What the clients hold: receipts by event hash, checkpoints by size, and what a kill did
    to their requests."""

    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    fresh: list[dict[str, Any]] = field(default_factory=list)  # receipts since the last check
    notes: dict[int, str] = field(default_factory=dict)
    fresh_notes: set[int] = field(default_factory=set)
    cut_off: int = 0  # requests whose answer a kill cut off
    recovered: int = 0  # events of cut-off batches that had been committed (duplicate on retry)
    batches: int = 0  # batches acknowledged
    last_batch: dict[int, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = field(
        default_factory=dict
    )  # per client: its last acknowledged batch and receipts, to resubmit
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledge(
        self, client: int, events: list[dict[str, Any]], answer: Any, retried: bool
    ) -> None:
        with self.lock:
            receipts = []
            for result in answer["results"]:
                receipt = result.get("receipt")
                if receipt is None or (result["status"] == 200 and not retried):
                    self.refused.append(json.dumps(result)[:300])
                    continue
                if result["status"] == 200:
                    self.recovered += 1
                known = self.receipts.setdefault(receipt["hash"], receipt)
                if known is receipt:
                    self.fresh.append(receipt)
                size = receipt["inclusion"]["tree_size"]
                if self.notes.setdefault(size, receipt["checkpoint"]) == receipt["checkpoint"]:
                    self.fresh_notes.add(size)
                else:
                    self.refused.append(f"two different checkpoints handed out for size {size}")
                receipts.append(receipt)
            if len(receipts) == len(events):
                self.last_batch[client] = (events, receipts)
            self.batches += 1


class Clients:
    """Client threads submitting batches; while the server is down they wait, then resubmit
    whatever was cut off, byte for byte."""

    def __init__(self, world: benchmark.World, settings: Settings) -> None:
        self.world, self.settings = world, settings
        self.evidence = Evidence()
        self.up = threading.Event()
        self.stopping = threading.Event()
        self.closed = threading.Event()  # the run is over (or failed): give up at once
        self.port = 0
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True)
            for n in range(settings.clients)
        ]
        self.errors: list[BaseException] = []

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def resume(self, port: int) -> None:
        self.port = port
        self.up.set()

    def wait_for_progress(self, timeout: float = 120) -> None:
        """Return once the server has acknowledged a batch since this call: a kill then lands
        on a server that is taking writes, not on one still warming up."""
        seen, deadline = self.evidence.batches, time.monotonic() + timeout
        while self.evidence.batches == seen and not self.errors:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no batch acknowledged in {timeout:.0f} s")
            time.sleep(0.02)

    def pause(self) -> None:
        self.up.clear()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _batch(self, client: int, start: int) -> list[dict[str, Any]]:
        at = datetime.now(UTC).replace(microsecond=0)
        return [
            submission(envelope)
            for n in range(start, start + self.settings.pairs)
            for envelope in benchmark.listing_and_sale(self.world, f"C{client}", n, at)
        ]

    def _run(self, client: int) -> None:
        try:
            start = 0
            while not self.stopping.is_set():
                events = self._batch(client, start)
                start += self.settings.pairs
                self._submit(client, events)
        except BaseException as exc:  # reported by the main thread
            self.errors.append(exc)

    def _submit(self, client: int, events: list[dict[str, Any]]) -> None:
        retried = False
        conn: http.client.HTTPConnection | None = None
        while not self.closed.is_set():
            self.up.wait()
            port = self.port
            if conn is None or conn.port != port:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                answer = http_json(conn, "POST", "/events/batch", {"events": events})
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
                with self.evidence.lock:
                    self.evidence.cut_off += 1
                retried = True
                time.sleep(0.05)
                continue
            conn.close()
            self.evidence.acknowledge(client, events, answer, retried)
            return


# --------------------------------------------------------------------------- checks after a restart


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
class Checker:
    """The checks run after every restart, before the clients resume."""

    app: Flask
    problems: list[str] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)
    bad_checkpoints: set[int] = field(default_factory=set)
    served: Checkpoint | None = None
    checked_stored: int = 0

    def check(self, port: int, evidence: Evidence, rng: random.Random) -> tuple[int, bool]:
        """Run every check; returns the served tree size and whether verify-log passed."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            vkey = http_json(conn, "GET", "/log/key").decode().strip()
            served = verify_checkpoint(http_json(conn, "GET", "/checkpoint").decode(), vkey)
            leaves = self._stored_leaves(served)
            with evidence.lock:
                receipts = dict(evidence.receipts)
                fresh, evidence.fresh = evidence.fresh, []
                notes = {s: evidence.notes[s] for s in evidence.fresh_notes}
                evidence.fresh_notes = set()
                sample = [evidence.last_batch[k] for k in sorted(evidence.last_batch)]
            self._receipts(receipts, fresh, leaves, vkey)
            seen = {size: verify_checkpoint(note, vkey).root for size, note in notes.items()}
            seen.update(self._new_stored(served.size))
            if self.served is not None:
                seen[self.served.size] = self.served.root
            self._consistency(conn, seen, served)
            self.served = served
            if sample:
                self._resubmit(conn, *rng.choice(sample))
        finally:
            conn.close()
        return served.size, self._verify_log(vkey)

    def _stored_leaves(self, served: Checkpoint) -> list[bytes]:
        indices, leaves = [], []
        session = new_session(self.app)
        try:
            for index, body in session.execute(
                select(LogEntry.idx, LogEntry.body).order_by(LogEntry.idx)
            ):
                indices.append(index)
                leaves.append(merkle.leaf_hash(bytes(body)))
        finally:
            session.close()
        if indices != list(range(len(leaves))):
            self.problems.append("log_entries indices are not 0..N-1")
        if len(leaves) != served.size:
            self.problems.append(f"served size {served.size}, stored entries {len(leaves)}")
        return leaves

    def _receipts(
        self,
        receipts: dict[str, dict[str, Any]],
        fresh: list[dict[str, Any]],
        leaves: list[bytes],
        vkey: str,
    ) -> None:
        for digest, receipt in receipts.items():
            index = receipt["index"]
            if (
                index >= len(leaves)
                or base64.b64encode(leaves[index]).decode() != receipt["leaf_hash"]
            ):
                if digest not in self.lost:
                    self.problems.append(f"acknowledged event {digest} is not at index {index}")
                self.lost.add(digest)
        for receipt in fresh:  # each inclusion proof once, against its signed checkpoint
            proof = receipt["inclusion"]
            try:
                root = verify_checkpoint(receipt["checkpoint"], vkey).root
                merkle.verify_inclusion(
                    base64.b64decode(receipt["leaf_hash"]),
                    receipt["index"],
                    proof["tree_size"],
                    [base64.b64decode(h) for h in proof["hashes"]],
                    root,
                )
            except Exception as exc:
                self.problems.append(f"receipt of {receipt['hash']}: {exc}")

    def _new_stored(self, served_size: int) -> dict[int, bytes]:
        """Checkpoints stored since the last check (the earlier ones were checked then)."""
        session = new_session(self.app)
        try:
            rows = session.execute(
                select(StoredCheckpoint.size, StoredCheckpoint.root).where(
                    StoredCheckpoint.size > self.checked_stored
                )
            ).all()
        finally:
            session.close()
        self.checked_stored = max([self.checked_stored, *(int(s) for s, _ in rows)])
        return {int(size): bytes(root) for size, root in rows if size > 0}

    def _consistency(
        self, conn: http.client.HTTPConnection, seen: dict[int, bytes], served: Checkpoint
    ) -> None:
        """Every seen checkpoint is a prefix of the served tree; checking the previously served
        one as well covers all checked before it (a prefix of a prefix is a prefix)."""
        for size, root in sorted(seen.items()):
            if size == 0:
                continue  # the empty tree is a prefix of every tree
            try:
                if size > served.size:
                    raise ValueError(f"larger than the served tree ({served.size})")
                query = f"/log/consistency?first={size}&second={served.size}"
                proof = [base64.b64decode(h) for h in http_json(conn, "GET", query)["hashes"]]
                merkle.verify_consistency(size, served.size, proof, root, served.root)
            except Exception as exc:
                self.bad_checkpoints.add(size)
                self.problems.append(f"checkpoint of size {size}: {exc}")

    def _resubmit(
        self,
        conn: http.client.HTTPConnection,
        events: list[dict[str, Any]],
        receipts: list[dict[str, Any]],
    ) -> None:
        """An acknowledged batch sent again: every event comes back 200 with its receipt."""
        answer = http_json(conn, "POST", "/events/batch", {"events": events})
        for result, original in zip(answer["results"], receipts, strict=True):
            again = {k: v for k, v in result.get("receipt", {}).items() if k != "duplicate"}
            if result["status"] != 200 or again != {
                k: v for k, v in original.items() if k != "duplicate"
            }:
                self.problems.append(f"resubmitting {original['hash']} gave {result}")

    def _verify_log(self, vkey: str) -> bool:
        log_key = self.app.extensions["trace_log_key"]
        session = new_session(self.app)
        try:
            report = verify_log(session, vkey, log_key.origin)
        finally:
            session.close()
        self.problems += [f"verify-log: {p}" for p in report.problems[:20]]
        return report.ok


# --------------------------------------------------------------------------- one run


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
        world = benchmark.setup_world(app)
    clients = Clients(world, settings)
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
    print(f"crash test — {benchmark.machine()}; load average {os.getloadavg()[0]:.2f}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for problem in summary.problems:
        print(f"  PROBLEM {problem}")


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """Create the PostgreSQL database `url` names (dropping a leftover first) and drop it after."""
    name = make_url(url).database
    admin_url = make_url(url).set(database="postgres").render_as_string(hide_password=False)

    def run(statement: str) -> None:
        admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(statement))
        admin.dispose()

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        bench = benchmark.Bench(argparse.Namespace(database_url=url), workdir)
        app, url, _ = bench.fresh("crash")
        stack.callback(app.extensions["trace_engine"].dispose)
        benchmark.log(f"crash test on {make_url(url).get_backend_name()}, work folder {workdir}")
        summary = run_crash_cycles(app, url, settings, benchmark.log)
        print_summary(summary)
    if summary.problems or summary.lost or summary.bad_checkpoints:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
