"""Running a simulation into the database: register the world, ingest every batch in time order,
check every outcome, call the hooks the rest of the service runs by, write the truth.

The simulated clock is the server clock: each batch is ingested with `now` at its last event,
under a clock bound (`params.skew_seconds`) that covers the batch's time span. Between batches
`after_batch(session, ctx, now)` runs (e.g. tracing.operations.trace_pending, which attributes the
new complaints), and at each month boundary `at_month_end(session, ctx, month_end)` (e.g. a
credit snapshot); whatever they leave uncommitted is committed after them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from trace_service.db import new_session
from trace_service.errors import DomainError
from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.lifecycle.receipts import Outcome
from trace_service.simulate.draw import draw_world
from trace_service.simulate.engine import Batch, MonthEnd
from trace_service.simulate.params import SimulationParams
from trace_service.simulate.pipeline import Finished, apply_tally, in_process, in_second_process
from trace_service.simulate.register import register_world
from trace_service.simulate.truth import TruthWriter

PIPELINE_FROM = 10_000  # below this, starting a second process costs more than it saves

Hook = Callable[[Session, IngestContext, datetime], object]
Progress = Callable[[int], object]


class SimulationFailed(RuntimeError):
    """Ingest answered something the simulation did not plan: a refused event (with its
    problem), an accepted adversarial one, or a hash that is not the one signed."""


@dataclass(frozen=True)
class RunReport:
    parcels: int
    events: int
    accepted: int
    refused_adversarial: int
    complaints: int
    batches: int
    seconds: float
    truth: Path

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def run_simulation(
    app: Flask,
    params: SimulationParams,
    truth_path: Path,
    *,
    after_batch: Hook | None = None,
    at_month_end: Hook | None = None,
    progress: Progress | None = None,
    pipelined: bool | None = None,
) -> RunReport:
    """Generate the network of `params` into the app's (empty) database; write its truth.

    `pipelined` composes and signs the events in a second process while this one ingests
    (default: for runs of PIPELINE_FROM parcels or more); the result is the same either way.

    Raises RuntimeError when the database already holds parties, SimulationFailed when ingest
    refuses an event the simulation did not mean to be refused (or accepts one it did),
    GeneratorFailed when the generating process fails, and whatever the hooks raise.
    """
    started = time.perf_counter()
    world = draw_world(params)
    ctx = IngestContext.for_app(
        app, max(int(app.config["CLOCK_SKEW_SECONDS"]), params.skew_seconds)
    )
    if pipelined is None:
        pipelined = params.parcels >= PIPELINE_FROM
    session = new_session(app)
    try:
        # Parties exist (and keys are valid) from the day before the first parcel.
        register_world(session, world, params.start - timedelta(days=1))
        source = in_second_process(params) if pipelined else in_process(world)
        accepted = batches = parcels = events = 0
        # closing: a run that stops early stops its generating process at once.
        with closing(source), TruthWriter(truth_path) as truth:
            truth.header(world)
            for item in source:
                if isinstance(item, Finished):
                    apply_tally(world, item.tally)
                    parcels, events = item.parcels, item.events
                elif isinstance(item, MonthEnd):
                    if at_month_end is not None:
                        at_month_end(session, ctx, item.at)
                        session.commit()
                else:
                    outcomes = ingest(session, item.submissions, ctx, item.now)
                    accepted += _check(item, outcomes, truth)
                    batches += 1
                    if after_batch is not None:
                        after_batch(session, ctx, item.now)
                        session.commit()
                    if progress is not None:
                        progress(item.parcels)
            summary = {"parcels": parcels, "events": events, "accepted": accepted}
            truth.finish(world, {**summary, "end": params.as_json()["end"]})
            refused, complaints = truth.refusals, sum(truth.complaints.values())
    finally:
        session.close()
    return RunReport(
        parcels=parcels,
        events=events,
        accepted=accepted,
        refused_adversarial=refused,
        complaints=complaints,
        batches=batches,
        seconds=time.perf_counter() - started,
        truth=truth_path,
    )


def _check(batch: Batch, outcomes: Sequence[Outcome], truth: TruthWriter) -> int:
    """Match each outcome with what was planned; returns the number accepted."""
    accepted = 0
    for submission, expect, outcome in zip(batch.submissions, batch.expects, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            if expect.refusal is not None and outcome.code == expect.refusal:
                truth.refusal(expect.hash, expect.truth or {}, outcome.code)
                continue
            raise SimulationFailed(f"{_what(submission)} was refused: {outcome.problem()}")
        if expect.refusal is not None:
            raise SimulationFailed(
                f"{_what(submission)} was accepted, but the rules should refuse it "
                f"({expect.refusal})"
            )
        if outcome.hash != expect.hash:
            raise SimulationFailed(
                f"{_what(submission)} was logged as {outcome.hash}, not as signed ({expect.hash})"
            )
        accepted += 1
        if expect.truth is not None:
            truth.complaint(outcome.hash, expect.truth)
    return accepted


def _what(submission: dict[str, Any]) -> str:
    body = submission.get("payload", {})
    return f"simulated {body.get('type')} of {body.get('subject')} at {body.get('time')}"
