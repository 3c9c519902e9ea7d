"""Load generation: lanes of pre-encoded requests replayed in order over keep-alive http.client
connections, one thread per lane, spread over client processes that start together; every
request is timed."""

from __future__ import annotations

import array
import http.client
import multiprocessing as mp
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
