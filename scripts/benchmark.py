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
import array
import http.client
import json
import multiprocessing as mp
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nacl.signing  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from trace_service import create_app  # noqa: E402
from trace_service.db import make_engine, new_session  # noqa: E402
from trace_service.errors import DomainError  # noqa: E402
from trace_service.identity import service as identity  # noqa: E402
from trace_service.ledger.log_key import current_log_key  # noqa: E402
from trace_service.ledger.models import LogEntry  # noqa: E402
from trace_service.lifecycle import personal_data  # noqa: E402
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign  # noqa: E402
from trace_service.lifecycle.compose import submission as as_submission  # noqa: E402
from trace_service.lifecycle.ingest import IngestContext, ingest  # noqa: E402
from trace_service.lifecycle.products import register_product  # noqa: E402
from trace_service.migrations import upgrade  # noqa: E402

GTIN = "09506000134352"  # a valid GTIN-14 (check digit 2)
BATCH = 500
BUYERS = 1000
USCC = ["91310000MA1FL0001", "91330100MA2H00002", "91310000MA1FL0004", "11310000MB0123456"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- world and events


@dataclass(frozen=True)
class World:
    """Registered parties (ids and key seeds): picklable, so signer processes can rebuild keys."""

    platform: str
    merchant: str
    merchant_seed: bytes
    courier: str
    pickup: str
    pickup_seed: bytes
    last_mile: str
    last_mile_seed: bytes
    buyer_seeds: tuple[bytes, ...]


def setup_world(app: Any) -> World:
    from stdnum.cn import uscc

    at = datetime(2020, 1, 1, tzinfo=UTC)
    codes = iter(base + uscc.calc_check_digit(base) for base in USCC)
    session = new_session(app)
    try:
        registrar = identity.bootstrap_registrar(
            session, identity.PartySpec("regulator", "基准测试 监管", next(codes)), at
        )

        def party(kind: str, name: str, company: str | None = None) -> tuple[str, bytes]:
            code = next(codes) if kind in ("platform", "merchant", "courier_company") else None
            spec = identity.PartySpec(kind, name, uscc=code, company_id=company)
            registered = identity.register_party(session, registrar, spec, at)
            holder = KeyHolder(party_id=registered.id)
            identity.enrol_key(session, registrar, registered.id, holder.public_key, at)
            return registered.id, bytes(holder.signing_key)

        platform_id, _ = party("platform", "基准商城")
        merchant, merchant_seed = party("merchant", "基准茶叶店")
        courier, _ = party("courier_company", "基准快递")
        pickup, pickup_seed = party("staff", "揽收员", courier)
        last_mile, last_mile_seed = party("staff", "派送员", courier)
        register_product(
            session,
            identity.get_party(session, merchant),
            {"gtin": GTIN, "name": "基准 绿茶 250g", "origin": "浙江杭州", "producer": "基准茶厂"},
            at,
        )
        session.commit()
    finally:
        session.close()
    seeds = tuple(bytes(nacl.signing.SigningKey.generate()) for _ in range(BUYERS))
    return World(
        platform_id,
        merchant,
        merchant_seed,
        courier,
        pickup,
        pickup_seed,
        last_mile,
        last_mile_seed,
        seeds,
    )


_keys: dict[bytes, KeyHolder] = {}


def _holder(seed: bytes) -> KeyHolder:
    if seed not in _keys:
        _keys[seed] = KeyHolder(nacl.signing.SigningKey(seed))
    return _keys[seed]


def item_id(prefix: str, n: int) -> str:
    return f"01/{GTIN}/21/{prefix}{n:08d}"


def parcel_id(n: int) -> str:
    body = f"06901234{n:09d}"
    odd = sum(int(d) for d in body[::-2])
    even = sum(int(d) for d in body[-2::-2])
    return f"00/{body}{(10 - (3 * odd + even) % 10) % 10}"


PRICE = {"amount": "88.00", "currency": "CNY"}


def listing_and_sale(world: World, prefix: str, n: int, at: datetime) -> list[Any]:
    """Two chained envelopes of one item: listing, then its sale (prev = the listing's hash)."""
    merchant = _holder(world.merchant_seed)
    buyer = _holder(world.buyer_seeds[n % BUYERS])
    item = item_id(prefix, n)
    listed = sign(
        payload(
            "listing", item, None, at, platform=world.platform, listing_ref=f"L{n}", price=PRICE
        ),
        merchant,
    )
    sold = sign(
        payload(
            "sale",
            item,
            listed.hash,
            at,
            platform=world.platform,
            order_ref=f"O{n}",
            price=PRICE,
            buyer_key=buyer.public_b64,
        ),
        merchant,
    )
    return [listed, sold]


def journey(world: World, n: int, at: datetime) -> list[dict[str, Any]]:
    """Seven events over an item and its parcel: listing, sale, dispatch (countersigned, with
    encrypted recipient data), handoff, delivery, receipt and review."""
    merchant = _holder(world.merchant_seed)
    pickup = _holder(world.pickup_seed)
    last_mile = _holder(world.last_mile_seed)
    buyer = _holder(world.buyer_seeds[n % BUYERS])
    listed, sold = listing_and_sale(world, "J", n, at)
    item, parcel = item_id("J", n), parcel_id(n)
    personal, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    place = {"name": "上海转运中心", "city": "上海"}
    dispatched = sign(
        payload(
            "dispatch",
            parcel,
            None,
            at,
            items=[item],
            courier=world.courier,
            declared_weight_g=800,
            promised_by=at + timedelta(days=3),
            origin_city="杭州",
            destination_city="上海",
            recipient_commitment=commitment,
        ),
        merchant,
        pickup,
    )
    handed = sign(
        payload(
            "handoff",
            parcel,
            dispatched.hash,
            at,
            from_=world.pickup,
            location=place,
            condition="intact",
            weight_g=800,
        ),
        last_mile,
    )
    delivered = sign(
        payload(
            "delivery",
            parcel,
            handed.hash,
            at,
            method="in_person",
            consent=True,
            location=place,
            condition="intact",
            weight_g=800,
        ),
        last_mile,
    )
    received = sign(payload("receipt", parcel, delivered.hash, at, condition="intact"), buyer)
    reviewed = sign(
        payload("review", item, sold.hash, at, score=5, text="茶叶新鲜，包装完好"), buyer
    )
    return [
        as_submission(listed),
        as_submission(sold),
        as_submission(dispatched, personal),
        as_submission(handed),
        as_submission(delivered),
        as_submission(received),
        as_submission(reviewed),
    ]


# Signing runs in worker processes (fork start): these build whole batches.


def _sign_pairs(args: tuple[World, str, int, int, datetime]) -> list[dict[str, Any]]:
    world, prefix, start, count, at = args
    return [
        as_submission(e)
        for n in range(start, start + count)
        for e in listing_and_sale(world, prefix, n, at)
    ]


def _sign_journeys(args: tuple[World, int, int, datetime]) -> list[dict[str, Any]]:
    world, start, count, at = args
    return [e for n in range(start, start + count) for e in journey(world, n, at)]


def presign_pairs(
    world: World, prefix: str, items: int, at: datetime
) -> list[list[dict[str, Any]]]:
    """Self-contained batches of BATCH events (BATCH/2 items, each listed then sold)."""
    per = BATCH // 2
    jobs = [(world, prefix, start, min(per, items - start), at) for start in range(0, items, per)]
    with mp.get_context("fork").Pool(os.cpu_count()) as pool:
        return pool.map(_sign_pairs, jobs)


# --------------------------------------------------------------------------- databases and server


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir

    def fresh(self, name: str) -> tuple[Any, str, Path]:
        """A fresh migrated database and instance folder, and an app over them."""
        instance = self.workdir / name / "instance"
        instance.mkdir(parents=True)
        if self.args.database_url:
            url = self.args.database_url
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            url = f"sqlite:///{instance / 'trace.db'}"
            engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        os.environ["TRACE_INSTANCE_PATH"] = str(instance)
        app = create_app({"DATABASE_URL": url})
        # personal_data creates its key file without a guard between processes: make it before
        # gunicorn's workers start together (the log key's creation is already atomic).
        personal_data.load_key(app)
        return app, url, instance


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(url: str, instance: Path, workers: int) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(workers),
        "PORT": str(port),
        "TRACE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
    }
    env.pop("BIND", None)
    out = (instance / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "python:trace_service.gunicorn_conf",
            "trace_service:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError((instance / "gunicorn.log").read_text())
            booted = (instance / "gunicorn.log").read_text().count("Booting worker")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/log/key")
                ready = conn.getresponse().status == 200 and booted >= workers
                conn.close()
            except OSError:
                ready = False
            if ready:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def log_size(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(LogEntry)) or 0)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- load generation

Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


@dataclass
class LoadResult:
    latencies: list[float]
    seconds: float
    failures: int
    first_failure: str


def _client_process(
    port: int,
    lanes: Sequence[Sequence[Request]],
    expect: tuple[int, ...],
    check: bytes,
    ready: Any,
    go: Any,
    out: Any,
) -> None:
    """Each lane runs in its own thread over its own keep-alive connection, in order."""
    results: list[tuple[array.array[float], int, str, float, float]] = []

    def run(lane: Sequence[Request]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        lat = array.array("d")
        fails, first = 0, ""
        go.wait()
        t0 = time.perf_counter()
        for method, path, body, headers in lane:
            start = time.perf_counter()
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read()
            lat.append(time.perf_counter() - start)
            if response.status not in expect or (check and check not in data):
                fails += 1
                first = first or f"{response.status} {data[:300]!r}"
        results.append((lat, fails, first, t0, time.perf_counter()))
        conn.close()

    threads = [threading.Thread(target=run, args=(lane,)) for lane in lanes]
    for t in threads:
        t.start()
    ready.release()
    for t in threads:
        t.join()
    out.put([(lat.tobytes(), fails, first, t0, t1) for lat, fails, first, t0, t1 in results])


def run_load(
    port: int,
    lanes: Sequence[Sequence[Request]],
    processes: int,
    expect: tuple[int, ...],
    check: bytes = b"",
) -> LoadResult:
    """Drive the lanes from `processes` client processes (lanes spread over them as threads)."""
    ctx = mp.get_context("fork")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(
            target=_client_process, args=(port, lanes[i::processes], expect, check, ready, go, out)
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    go.set()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    latencies: list[float] = []
    fails, first, t0, t1 = 0, "", float("inf"), 0.0
    for part in parts:
        for raw, f, msg, start, end in part:
            lat = array.array("d")
            lat.frombytes(raw)
            latencies.extend(lat)
            fails += f
            first = first or msg
            t0, t1 = min(t0, start), max(t1, end)
    return LoadResult(latencies, t1 - t0, fails, first)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


JSON = {"Content-Type": "application/json"}


# --------------------------------------------------------------------------- the phases


@dataclass
class Figure:
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
        in_process_ingest(app, pool.imap(_sign_journeys, jobs), at, progress)
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
    import random

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


# --------------------------------------------------------------------------- main


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
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
