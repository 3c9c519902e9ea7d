"""The simulated clock: parcels arrive day by day, their steps run in time order, and the
resulting events are cut into ingest batches and month boundaries.

Only the parcels under way are held (a heap of their next steps), so memory follows the parcels
in transit, not the run's size. Arrivals follow e-commerce seasons (双11, 618, the Spring
Festival lull) and a slow growth, and the daily counts add up to exactly `params.parcels`.
Raises nothing.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from trace_service.simulate.events import Emitter, Expect, Outbox
from trace_service.simulate.params import SimulationParams, add_months
from trace_service.simulate.parcel import Parcel
from trace_service.simulate.plan import Planner
from trace_service.simulate.world import World

# 春节 (Chinese New Year's day): parcels slow to a trickle for about two weeks around it.
_SPRING_FESTIVAL = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
_CST = timedelta(hours=8)


@dataclass
class Batch:
    """Submissions for one ingest call, at server time `now`, and what each must yield."""

    submissions: list[dict[str, Any]]
    expects: list[Expect]
    now: datetime
    parcels: int  # parcels dispatched in this batch (for progress)


@dataclass(frozen=True)
class MonthEnd:
    at: datetime


def day_weight(day: date, first: date) -> float:
    """Relative parcel volume of a day: growth, shopping festivals and the Spring Festival."""
    weight = 1.0 + 0.15 * (day - first).days / 365
    if day.month == 11 and day.day <= 11:
        weight *= 1.5 + 1.5 * day.day / 11  # the run-up to 双11
    elif day.month == 11 and day.day <= 20:
        weight *= 1.6  # working off the 双11 backlog
    elif day.month == 6 and day.day <= 18:
        weight *= 1.5  # 618
    elif day.month == 12 and day.day == 12:
        weight *= 1.8  # 双12
    festival = _SPRING_FESTIVAL.get(day.year) or _SPRING_FESTIVAL.get(day.year + 1)
    if festival is not None and abs((day - festival).days) <= 7:
        weight *= 0.4
    return weight


def arrivals(params: SimulationParams) -> Iterator[int]:
    """Dispatch times (epoch seconds), in order, between 9:00 and 21:00 China time."""
    rng = random.Random(f"trace-sim/{params.seed}/arrivals")
    first, last = params.start, params.end - timedelta(seconds=1)
    lo, hi = int(first.timestamp()), int(last.timestamp())
    opening, closing = 9 * 3600, 21 * 3600  # China time
    days = []
    for n in range((last - first).days + 2):
        day = (first + _CST).date() + timedelta(n)
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - 8 * 3600
        if midnight + opening <= hi and midnight + closing > lo:
            days.append(day)
    weights = [day_weight(d, days[0]) for d in days]
    total = sum(weights)
    cumulative, emitted = 0.0, 0
    for day, weight in zip(days, weights, strict=True):
        cumulative += weight
        target = round(params.parcels * cumulative / total)
        count, emitted = target - emitted, target
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) - 8 * 3600
        times = sorted(midnight + rng.randrange(opening, closing) for _ in range(count))
        for t in times:
            yield min(max(t, lo), hi)


def month_ends(start: datetime, end: datetime) -> list[datetime]:
    """The first instants of the calendar months (UTC) after `start`, up to `end`."""
    boundary = add_months(datetime(start.year, start.month, 1, tzinfo=UTC), 1)
    found = []
    while boundary <= end:
        found.append(boundary)
        boundary = add_months(boundary, 1)
    return found


class Simulation:
    """Runs the world's parcels on the simulated clock; `run` yields batches and month ends."""

    def __init__(self, world: World) -> None:
        params = world.params
        self.params = params
        rng = random.Random(f"trace-sim/{params.seed}/parcels")
        self.planner = Planner(world, rng)
        self.emitter = Emitter(world, rng)
        self.parcels = 0

    def run(self) -> Iterator[Batch | MonthEnd]:
        params = self.params
        end = int(params.end.timestamp())
        span = int(params.max_batch_span.total_seconds())
        boundaries = [(int(b.timestamp()), b) for b in month_ends(params.start, params.end)]
        heap: list[tuple[int, int, Parcel]] = []
        sequence = 0
        incoming = arrivals(params)
        arrival = next(incoming, None)
        out: Outbox = []
        opened = last = 0
        started = 0
        while True:
            due = heap[0][0] if heap else None
            new = arrival is not None and (due is None or arrival <= due)
            if new and arrival is not None:
                t = arrival
            elif due is not None:
                t = due
            else:
                break
            if t >= end:
                break
            while boundaries and t >= boundaries[0][0]:
                if out:
                    yield self._batch(out, last, started)
                    out, started = [], 0
                yield MonthEnd(boundaries.pop(0)[1])
            if out and t - opened > span:
                yield self._batch(out, last, started)
                out, started = [], 0
            if not out:
                opened = t
            if new:
                parcel = self.planner.plan(t)
                arrival = next(incoming, None)
                started += 1
                self.parcels += 1
            else:
                parcel = heapq.heappop(heap)[2]
            self.emitter.emit(parcel, parcel.steps.popleft(), out)
            last = t
            if parcel.steps:
                sequence += 1
                heapq.heappush(heap, (parcel.steps[0].time, sequence, parcel))
            if len(out) >= params.batch_size:
                yield self._batch(out, last, started)
                out, started = [], 0
        if out:
            yield self._batch(out, last, started)
        for _, boundary in boundaries:
            yield MonthEnd(boundary)

    @staticmethod
    def _batch(out: Outbox, last: int, started: int) -> Batch:
        return Batch(
            [s for s, _ in out],
            [e for _, e in out],
            datetime.fromtimestamp(last, UTC),
            started,
        )
