"""The load test's request mix: client threads drawing consumer lookups, ingest and regulator
queries at random (seeded) until a deadline, each answer timed and checked."""

from __future__ import annotations

import http.client
import itertools
import json
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scripts.harness.world import World, item_id, journey, listing_and_sale
from trace_service.lifecycle.compose import submission

CLASSES = {"consumer": 70, "ingest": 15, "regulator": 15}  # share of requests, in percent
ACCEPT_JSON = {"Accept": "application/json"}
ACCEPT_HTML = {"Accept": "text/html"}
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Population:
    """What the load draws on: the writers' keys, the regulator's credential, and targets."""

    world: World
    token: str
    lots: list[str]  # Digital Link paths of the simulated items
    complaints: list[str]  # complaint hashes (case ids)
    events: int


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
        for envelope in listing_and_sale(world, "P", next(self.pairs), at):
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
        events = journey(self.population.world, n, datetime.now(UTC).replace(microsecond=0))
        accepted = self.request(
            conn,
            "POST /events/batch",
            "POST",
            "/events/batch",
            {"events": events},
            check=lambda b: b'"rejected":0' in b,
        )
        if accepted is not None:
            self.own_items.append(item_id("J", n))

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
