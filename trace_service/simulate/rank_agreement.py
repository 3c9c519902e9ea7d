"""Do the published ratings rank units by their true fault rates? Spearman's rho (average ranks
for ties) between the published posterior rates and the rates the simulation's truth implies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from trace_service.credit.parameters import DEFAULT_PARAMETERS
from trace_service.simulate.truth import Truth


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); nan for fewer than 3 pairs."""
    if len(xs) < 3:
        return math.nan
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / math.sqrt(vx * vy) if vx and vy else math.nan


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def expected_weighted_faults(unit: dict[str, Any], truth: Truth) -> float:
    """A unit's expected severity-weighted count of complained faults over the run (for an
    outlet or a company, summed over its staff)."""
    severity = DEFAULT_PARAMETERS.severity
    chance = truth.header.get("complaint_probability", {})
    return sum(
        float(expected) * severity.get(category, 1) * float(chance.get(category, 1.0))
        for category, expected in unit.get("expected_faults", {}).items()
        if category in severity
    )


def rank_agreement(truth: Truth, ratings: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Spearman between published posterior rates and true rates, per role, over the units with
    sufficient data; the true rate is the expected weighted count of complained faults over the
    unit's rated exposure (parcel-equivalents), i.e. on the published scale."""
    result: dict[str, Any] = {}
    pooled: list[tuple[float, float]] = []
    for role in ("staff", "outlet", "company"):
        pairs = []
        for unit_id, unit in truth.units.items():
            rating = ratings.get(unit_id)
            if unit["role"] != role or rating is None or rating["grade"] == "insufficient_data":
                continue
            exposure = float(rating["exposure"])
            if exposure <= 0:
                continue
            published = float(rating["posterior_mean_per_million"])
            pairs.append((published, expected_weighted_faults(unit, truth) / exposure))
        result[role] = _agreement(pairs)
        pooled += pairs
    result["all"] = _agreement(pooled)
    return result


def _agreement(pairs: list[tuple[float, float]]) -> dict[str, Any]:
    return {
        "units_with_sufficient_data": len(pairs),
        "spearman": spearman([p for p, _ in pairs], [t for _, t in pairs]),
    }
