"""The server's memory under load: the resident set of gunicorn's master and workers together,
sampled at a fixed interval."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from scripts.harness.server import gunicorn_processes


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
