"""The crash test's clients: threads submitting batches of freshly signed events through every
kill, resubmitting whatever a kill cut off byte for byte, and holding the receipts and
checkpoints they were handed (the evidence the checks after each restart hold the server to)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scripts.harness.replay import JSON
from scripts.harness.world import World, listing_and_sale
from trace_service.lifecycle.compose import submission


def http_json(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> Any:
    """One request on a keep-alive connection; raises RuntimeError unless it answers 200."""
    conn.request(method, path, None if body is None else json.dumps(body).encode(), JSON)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if response.getheader("Content-Type", "").endswith("json") else data


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

    def __init__(self, world: World, threads: int, pairs: int) -> None:
        """`threads` clients, each submitting batches of `pairs` listing and sale pairs."""
        self.world, self.pairs = world, pairs
        self.evidence = Evidence()
        self.up = threading.Event()
        self.stopping = threading.Event()
        self.closed = threading.Event()  # the run is over (or failed): give up at once
        self.port = 0
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
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
            for n in range(start, start + self.pairs)
            for envelope in listing_and_sale(self.world, f"C{client}", n, at)
        ]

    def _run(self, client: int) -> None:
        try:
            start = 0
            while not self.stopping.is_set():
                events = self._batch(client, start)
                start += self.pairs
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
