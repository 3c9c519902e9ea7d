"""Promised times, the delay budget of each custody segment, and scale noise.

The budgets follow the attribution rules' own model (tracing/rulebook.RuleSet.leg_budget, read
from DEFAULT_RULES so the two cannot drift apart): a parcel on time keeps every segment inside
its budget, and a delayed one overruns exactly the segment of the holder at fault.
Raises nothing.
"""

from __future__ import annotations

import random
from collections import Counter

from trace_service.simulate.names import City
from trace_service.tracing.rulebook import DEFAULT_RULES, Leg

HOUR = 3600
NOISE_G = 8  # scales differ by a few grams; well inside the rules' 20 g / 5 % tolerance


def promise_hours(origin: City, destination: City) -> int:
    """次日达 in the city, two days in the region, three across the country."""
    if origin is destination:
        return 24
    return 48 if origin.region == destination.region else 72


def legs(places: list[tuple[str, str]], destination: str) -> list[Leg]:
    """The leg of each custody segment, as tracing.delay_budget.leg names it: the pickup is the
    first mile, the courier's holding (closed by the delivery) and any holding that starts in
    the destination city the last mile, the rest line haul."""
    n = len(places)
    found: list[Leg] = []
    for index, (_, city) in enumerate(places):
        if index == 0:
            found.append("first_mile")
        elif index == n - 1 or city == destination:
            found.append("last_mile")
        else:
            found.append("line_haul")
    return found


def budgets(places: list[tuple[str, str]], destination: str, promise_s: int) -> list[float]:
    """Each segment's share of the promised duration, in seconds."""
    names = legs(places, destination)
    proportions = dict(DEFAULT_RULES.leg_budget)
    per_leg = Counter(names)
    present = sum(proportions[name] for name in per_leg)
    return [promise_s * proportions[name] / present / per_leg[name] for name in names]


def noisy(rng: random.Random, weight_g: int) -> int:
    """What a scale reads for a parcel of `weight_g`: a few grams either way, never zero."""
    spread = min(NOISE_G, max(1, weight_g // 10))
    return max(1, weight_g + rng.randint(-spread, spread))
