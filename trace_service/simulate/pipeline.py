"""Where the signed batches come from: generated in this process, or by a second process while
this one ingests (a run spends about a third of its time composing and signing, which then
overlaps with ingest on a second core).

The generating process needs nothing from the database: it draws the same world from the same
seed (party ids and keys included), plans and signs every event itself, and sends batches and
month boundaries through a pipe, then what each party handled and suffered (`Finished`).
Either way the stream is identical, item for item.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from trace_service.simulate.draw import draw_world
from trace_service.simulate.engine import Batch, MonthEnd, Simulation
from trace_service.simulate.params import SimulationParams
from trace_service.simulate.world import Hidden, World

# Batches ready in this process: enough to ride out a slow ingest call or hook, few enough to
# keep memory flat.
QUEUE_DEPTH = 8

Tally = dict[str, tuple[int, dict[str, int]]]


@dataclass(frozen=True)
class Finished:
    """The end of the stream: parcels dispatched, events composed, and per party id what it
    handled and the faults it committed."""

    parcels: int
    events: int
    tally: Tally


Item = Batch | MonthEnd | Finished


class GeneratorFailed(RuntimeError):
    """The generating process died or raised (its traceback is in the message)."""


def _hidden(world: World) -> dict[str, Hidden]:
    found = {u.party_id: u.hidden for u in world.units()}
    found.update({m.principal.party_id: m.hidden for m in world.merchants})
    return found


def tally(world: World) -> Tally:
    """What each party handled and the faults it committed, by party id."""
    return {pid: (h.handled, dict(h.faults)) for pid, h in _hidden(world).items()}


def apply_tally(world: World, counts: Tally) -> None:
    """Copy counts from the generating process onto this process's copy of the world."""
    for pid, hidden in _hidden(world).items():
        handled, faults = counts[pid]
        hidden.handled = handled
        hidden.faults.clear()
        hidden.faults.update(faults)


def in_process(world: World) -> Generator[Item, None, None]:
    """Generate in this process, between ingest calls."""
    simulation = Simulation(world)
    yield from simulation.run()
    yield Finished(simulation.parcels, simulation.emitter.events, tally(world))


def _produce() -> None:
    """The generating process (`python -m trace_service.simulate.pipeline`): reads the pickled
    parameters on stdin and writes the stream of `in_process`, pickled item by item, to stdout.
    """
    params = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for item in in_process(draw_world(params)):
        pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def in_second_process(params: SimulationParams) -> Generator[Item, None, None]:
    """Generate in a second Python process: a fresh interpreter, so it shares no database
    connection and does not re-run the caller's main module. A reader thread keeps up to
    QUEUE_DEPTH items ready; the pipe holds the generator back when ingest falls behind.

    Raises GeneratorFailed when that process fails or stops early (with its error output).
    """
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the generator's finally)
    # The child imports this very source tree, installed or not.
    root = str(Path(__file__).resolve().parents[2])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "trace_service.simulate.pipeline"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    pickle.dump(params, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
    process.stdin.close()
    ready: queue.Queue[Item | None] = queue.Queue(maxsize=QUEUE_DEPTH)
    reader = threading.Thread(target=_read, args=(process.stdout, ready), daemon=True)
    reader.start()
    finished = False
    try:
        while not finished:
            item = ready.get()
            if item is None:
                process.wait()
                errors.seek(0)
                detail = errors.read().decode(errors="replace").strip()
                raise GeneratorFailed(
                    f"the generating process stopped early (exit {process.returncode}):\n{detail}"
                )
            finished = isinstance(item, Finished)
            yield item
    finally:
        if not finished and process.poll() is None:
            process.kill()  # ingest stopped early: the rest of the stream is not wanted
        process.stdout.close()
        process.wait()
        errors.close()


def _read(stream: IO[bytes], ready: queue.Queue[Item | None]) -> None:
    """Unpickle items from `stream` into `ready` until the end; None marks the end."""
    try:
        while True:
            item = pickle.load(stream)
            ready.put(item)
            if isinstance(item, Finished):
                return
    except BaseException:  # the end of the stream, or garbage: either way the run cannot go on
        ready.put(None)


if __name__ == "__main__":
    # Run from the module under its own name, so that pickled items name their real classes
    # (trace_service.simulate.pipeline.Finished), not this __main__ copy's.
    from trace_service.simulate.pipeline import _produce as produce

    produce()
