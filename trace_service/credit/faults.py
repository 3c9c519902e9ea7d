"""Weighted fault counts: severity × time weight × share × surcharge, fault by fault (DESIGN §6).

Arithmetic is exact (``Fraction``); each contribution is rounded only for publication, and the
rounding apportions the rounded total (largest remainder), so the published contributions of an
explanation sum exactly to the published weighted count.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from trace_service.credit.parameters import DEFAULT_PARAMETERS, MethodParameters
from trace_service.errors import ValidationFailed

INPUT_ERROR = "credit_input_invalid"


@dataclass(frozen=True)
class Fault:
    """One attribution of one complaint to one rated unit (its share of the blame)."""

    unit_id: str
    category: str
    occurred_at: datetime
    share: Fraction  # in (0, 1]; shares of one complaint across units sum to at most 1
    resolved_within_7_days: bool
    repaired: bool  # 信用修复 in effect: keeps its audit record, weighs zero
    complaint_id: str


@dataclass(frozen=True)
class FaultContribution:
    """One row of a rating's explanation: how one fault contributes to the weighted count."""

    complaint_id: str
    category: str
    occurred_at: datetime
    severity: int
    time_weight: int
    share: Fraction
    surcharge: Fraction  # 1, or the unresolved surcharge
    repaired: bool
    exact: Fraction  # severity × time weight × share × surcharge, 0 when repaired
    contribution: Decimal  # published; the rows of one unit sum exactly to its published total
    reason: str


@dataclass(frozen=True)
class WeightedFaults:
    """A unit's weighted fault count in the window, with the rows that make it up."""

    unit_id: str
    exact: Fraction
    total: Decimal  # published: round(exact) to the method's count places
    rows: tuple[FaultContribution, ...]  # ordered by (occurred_at, complaint_id)

    @property
    def sum_of_squares(self) -> Fraction:
        """Σ contribution², for the compound-Poisson dispersion of the unit's peer group."""
        return sum((row.exact * row.exact for row in self.rows), Fraction(0))


def require_aware(moment: datetime, name: str) -> None:
    """Refuse naive datetimes: month boundaries must be unambiguous.

    Raises ValidationFailed when ``moment`` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationFailed(f"{name} must be timezone-aware", code=INPUT_ERROR)


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` calendar months earlier, the day clamped to month end."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def time_weight(occurred_at: datetime, as_of: datetime, params: MethodParameters) -> int:
    """The 3/2/1 time weight of a fault at ``as_of``; 0 outside the window or in the future.

    Bands are half-open at the old end: a fault exactly 6 months old weighs 2, exactly 24 months
    old weighs 0. Month arithmetic is calendar months in ``as_of``'s time zone.
    Raises ValidationFailed for naive datetimes.
    """
    require_aware(as_of, "as_of")
    return _banded_weight(occurred_at, as_of, _time_bands(as_of, params))


def _time_bands(as_of: datetime, params: MethodParameters) -> list[tuple[datetime, int]]:
    """(oldest moment excluded, weight) per band, newest band first."""
    return [(months_before(as_of, months), weight) for months, weight in params.time_weights]


def _banded_weight(
    occurred_at: datetime, as_of: datetime, bands: list[tuple[datetime, int]]
) -> int:
    require_aware(occurred_at, "occurred_at")
    if occurred_at > as_of:
        return 0
    for start, weight in bands:
        if occurred_at > start:
            return weight
    return 0


def repair_in_effect(
    category: str, rectified_at: datetime, as_of: datetime, params: MethodParameters
) -> bool:
    """Whether credit repair (信用修复) applies: rectification recorded and the minimum period over.

    Serious categories wait ``repair_min_days_serious``, others ``repair_min_days``.
    Raises ValidationFailed for naive datetimes.
    """
    require_aware(rectified_at, "rectified_at")
    require_aware(as_of, "as_of")
    serious = category in params.serious_categories
    days = params.repair_min_days_serious if serious else params.repair_min_days
    return rectified_at + timedelta(days=days) <= as_of


def _validate(fault: Fault, params: MethodParameters) -> None:
    if not fault.unit_id or not fault.complaint_id:
        raise ValidationFailed("a fault needs a unit id and a complaint id", code=INPUT_ERROR)
    if fault.category not in params.severity:
        raise ValidationFailed(f"unknown complaint category {fault.category!r}", code=INPUT_ERROR)
    if isinstance(fault.share, float):
        # A float share (0.1 ≠ 1/10) would make the explanation's exact sum a lie.
        raise ValidationFailed("shares must be exact (Fraction), not float", code=INPUT_ERROR)
    if not 0 < fault.share <= 1:
        raise ValidationFailed(
            f"share of complaint {fault.complaint_id} must be in (0, 1]", code=INPUT_ERROR
        )


def _row(fault: Fault, weight: int, params: MethodParameters) -> FaultContribution:
    severity = params.severity[fault.category]
    surcharge = Fraction(1) if fault.resolved_within_7_days else params.unresolved_surcharge
    share = Fraction(fault.share)
    if fault.repaired:
        exact = Fraction(0)
        reason = "credit repaired (信用修复): kept for audit, weighs zero"
    else:
        exact = severity * weight * share * surcharge
        reason = "attributed" + ("" if surcharge == 1 else "; not resolved within 7 days")
    return FaultContribution(
        complaint_id=fault.complaint_id,
        category=fault.category,
        occurred_at=fault.occurred_at,
        severity=severity,
        time_weight=weight,
        share=share,
        surcharge=surcharge,
        repaired=fault.repaired,
        exact=exact,
        contribution=Decimal(0),  # set by _publish, once the unit's total is known
        reason=reason,
    )


def decimal_units(units: int, places: int) -> Decimal:
    """``units`` steps of 10^-places as a Decimal with exactly ``places`` decimals."""
    return Decimal(units).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def round_fraction(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half-even to ``places`` decimals, exactly (no float on the way)."""
    return decimal_units(round(value * 10**places), places)


def _publish(unit_id: str, rows: list[FaultContribution], places: int) -> WeightedFaults:
    """Round the total, then hand out its quanta to rows by largest remainder (ties by order)."""
    exact = sum((row.exact for row in rows), Fraction(0))
    scale = 10**places
    total_units = round(exact * scale)  # half-even, as Fraction.__round__ does
    units = [math.floor(row.exact * scale) for row in rows]
    # Σ floors <= total_units <= Σ floors + (rows with a remainder): the loop never overshoots.
    by_remainder = sorted(range(len(rows)), key=lambda i: (units[i] - rows[i].exact * scale, i))
    for i in by_remainder[: total_units - sum(units)]:
        units[i] += 1
    published = tuple(
        replace(row, contribution=decimal_units(count, places))
        for row, count in zip(rows, units, strict=True)
    )
    return WeightedFaults(
        unit_id=unit_id, exact=exact, total=decimal_units(total_units, places), rows=published
    )


def weighted_faults(
    faults: Sequence[Fault], as_of: datetime, params: MethodParameters = DEFAULT_PARAMETERS
) -> Mapping[str, WeightedFaults]:
    """Per-unit weighted fault counts at ``as_of``, keyed by unit id in sorted order.

    Faults outside the window (or after ``as_of``) are left out; repaired faults stay as rows
    with contribution 0. Raises ValidationFailed on an unknown category, a share outside (0, 1],
    a naive datetime, or the same complaint attributed twice to one unit.
    """
    require_aware(as_of, "as_of")
    bands = _time_bands(as_of, params)
    by_unit: dict[str, list[FaultContribution]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for fault in faults:
        _validate(fault, params)
        key = (fault.unit_id, fault.complaint_id)
        if key in seen:
            raise ValidationFailed(
                f"complaint {fault.complaint_id} is attributed twice to {fault.unit_id}",
                code=INPUT_ERROR,
            )
        seen.add(key)
        weight = _banded_weight(fault.occurred_at, as_of, bands)
        if weight:
            by_unit[fault.unit_id].append(_row(fault, weight, params))
    result: dict[str, WeightedFaults] = {}
    for unit_id in sorted(by_unit):
        rows = sorted(by_unit[unit_id], key=lambda row: (row.occurred_at, row.complaint_id))
        result[unit_id] = _publish(unit_id, rows, params.count_places)
    return result
