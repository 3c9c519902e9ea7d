"""The courier credit rating method (DESIGN §6), as one pure function of its inputs.

``rate_units(units, faults, as_of, params)`` rates every unit, each against the peers of its role
and volume band. It reads no database and no clock: the same inputs give the same output, in the
same order, whatever order they came in, so a snapshot's content hash is reproducible.

Pipeline: exposure by role → weighted faults (exact) → peer groups → Gamma prior per group →
posterior per unit → 90% interval → sufficiency → grade. The parts live beside this module:
``parameters`` (every number), ``faults`` (weighting and explanations), ``smoothing``,
``gamma_distribution``, ``grades`` and ``lists`` (红名单/黑名单).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from trace_service.credit.faults import (
    INPUT_ERROR,
    Fault,
    FaultContribution,
    WeightedFaults,
    require_aware,
    round_fraction,
    weighted_faults,
)
from trace_service.credit.grades import (
    PeerThresholds,
    assign_grade,
    credible_interval,
    data_sufficient,
)
from trace_service.credit.lists import GradeRecord
from trace_service.credit.parameters import (
    DEFAULT_PARAMETERS,
    METHOD_VERSION,
    Grade,
    MethodParameters,
    Role,
)
from trace_service.credit.smoothing import PeerGroup, dispersion, fit_prior, peer_groups
from trace_service.errors import ValidationFailed

__all__ = [
    "DEFAULT_PARAMETERS",
    "METHOD_VERSION",
    "Fault",
    "FaultContribution",
    "Grade",
    "MethodParameters",
    "PeerSummary",
    "Role",
    "UnitExposure",
    "UnitRating",
    "exposure",
    "rate_units",
    "weighted_faults",
]


@dataclass(frozen=True)
class UnitExposure:
    """What a rated unit handled in the rating window, by role.

    ``custody_segments`` counts parcels held in custody: consecutive segments of one parcel
    within the unit (e.g. two scans at one outlet) count once, so that a unit handling N parcels
    end to end has pickups = custody_segments = deliveries = N.
    """

    unit_id: str
    role: Role
    pickups: int  # 揽收
    custody_segments: int
    deliveries: int  # delivery attempts (投递), repeated attempts included


def exposure(unit: UnitExposure, params: MethodParameters = DEFAULT_PARAMETERS) -> Fraction:
    """Exposure in parcel-equivalents: 1/5 pickups + 1/2 custody segments + 3/10 deliveries.

    Each stage is weighted by its share of the chances to cause a fault, so the expected count
    is λ × Σ(stage weight × stage count): a fault is charged against the exposure of the stage
    it can happen in, and a unit doing only custody (a hub) is not compared per parcel with one
    doing the whole job. Rates are per million parcel-equivalents (百万件).
    Raises ValidationFailed on a negative count.
    """
    counts = (unit.pickups, unit.custody_segments, unit.deliveries)
    if any(count < 0 for count in counts):
        raise ValidationFailed(f"negative exposure for {unit.unit_id}", code=INPUT_ERROR)
    return (
        params.pickup_weight * unit.pickups
        + params.custody_weight * unit.custody_segments
        + params.delivery_weight * unit.deliveries
    )


@dataclass(frozen=True)
class PeerSummary:
    """What a rating discloses about the peer group it was compared with."""

    label: str
    size: int
    prior_shape: Decimal
    prior_mean_per_million: Decimal
    dispersion: Decimal  # φ = Σw²/Σw, 1 when unadjusted
    safeguard: str
    better_per_million: Decimal  # peer 25th percentile
    median_per_million: Decimal
    worse_per_million: Decimal  # peer 90th percentile


@dataclass(frozen=True)
class UnitRating:
    """One unit's published rating (信用评级) with its explanation."""

    method_version: str
    as_of: datetime
    unit_id: str
    role: Role
    peer_group: PeerSummary
    pickups: int
    custody_segments: int
    deliveries: int
    exposure: Decimal  # parcel-equivalents
    weighted_faults: Decimal  # = Σ explanation contributions, exactly
    raw_rate_per_million: Decimal | None  # None without exposure
    posterior_mean_per_million: Decimal
    interval_per_million: tuple[Decimal, Decimal]
    probability_better: Decimal  # P(rate < peer 25th percentile)
    probability_worse: Decimal  # P(rate > peer 90th percentile)
    grade: Grade
    explanation: tuple[FaultContribution, ...]

    def grade_record(self) -> GradeRecord:
        """This rating as one entry of the unit's list history."""
        return GradeRecord(self.unit_id, self.role, self.as_of, self.grade)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready canonical form (numbers as decimal strings), for snapshots and hashing."""
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__}


def _plain(value: Any) -> Any:
    if isinstance(value, PeerSummary | UnitRating | FaultContribution):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value  # str, int, bool, None


def _decimal(value: float, places: int) -> Decimal:
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _empty(unit_id: str, places: int) -> WeightedFaults:
    return WeightedFaults(unit_id, Fraction(0), round_fraction(Fraction(0), places), ())


def _validated(units: Sequence[UnitExposure], faults: Sequence[Fault]) -> None:
    ids = [unit.unit_id for unit in units]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("each unit may appear once", code=INPUT_ERROR)
    unknown = sorted({fault.unit_id for fault in faults} - set(ids))
    if unknown:
        raise ValidationFailed(
            f"faults attributed to units without exposure: {', '.join(unknown[:5])}",
            code=INPUT_ERROR,
        )


def _rate_group(
    group: PeerGroup,
    units: dict[str, UnitExposure],
    exposures: dict[str, Fraction],
    tallies: dict[str, WeightedFaults],
    as_of: datetime,
    params: MethodParameters,
) -> list[UnitRating]:
    members = [tallies[uid] for uid in group.unit_ids]
    scale = dispersion(members) if params.dispersion_adjusted else 1.0
    counts = [tally.exact for tally in members]
    fit = fit_prior(counts, [exposures[uid] for uid in group.unit_ids], scale, params)
    prior = fit.prior
    thresholds = PeerThresholds.of(prior, params)
    million, rate_places = params.per_million, params.rate_places
    summary = PeerSummary(
        label=group.label,
        size=len(group.unit_ids),
        prior_shape=_decimal(prior.shape, rate_places),
        prior_mean_per_million=_decimal(prior.mean() * million, rate_places),
        dispersion=_decimal(scale, rate_places),
        safeguard=fit.safeguard,
        better_per_million=_decimal(thresholds.better * million, rate_places),
        median_per_million=_decimal(thresholds.median * million, rate_places),
        worse_per_million=_decimal(thresholds.worse * million, rate_places),
    )
    ratings = []
    for uid in group.unit_ids:
        unit, tally, exposed = units[uid], tallies[uid], exposures[uid]
        posterior = prior.updated(tally.exact, exposed)
        interval = credible_interval(posterior, params)
        grade, evidence = assign_grade(posterior, thresholds, params)
        clearly_worse = grade is Grade.D
        if not data_sufficient(exposed, interval, posterior, prior, params, clearly_worse):
            grade = Grade.INSUFFICIENT_DATA
        raw = None if exposed == 0 else round_fraction(tally.exact / exposed * million, rate_places)
        ratings.append(
            UnitRating(
                method_version=params.version,
                as_of=as_of,
                unit_id=uid,
                role=unit.role,
                peer_group=summary,
                pickups=unit.pickups,
                custody_segments=unit.custody_segments,
                deliveries=unit.deliveries,
                exposure=round_fraction(exposed, params.count_places),
                weighted_faults=tally.total,
                raw_rate_per_million=raw,
                posterior_mean_per_million=_decimal(posterior.mean() * million, rate_places),
                interval_per_million=(
                    _decimal(interval[0] * million, rate_places),
                    _decimal(interval[1] * million, rate_places),
                ),
                probability_better=_decimal(evidence.better, params.probability_places),
                probability_worse=_decimal(evidence.worse, params.probability_places),
                grade=grade,
                explanation=tally.rows,
            )
        )
    return ratings


def rate_units(
    units: Sequence[UnitExposure],
    faults: Sequence[Fault],
    as_of: datetime,
    params: MethodParameters = DEFAULT_PARAMETERS,
) -> list[UnitRating]:
    """Rate every unit at ``as_of``; output sorted by (role, unit id), independent of input order.

    Raises ValidationFailed on a duplicate unit, a fault for a unit not in ``units``, a negative
    exposure, a naive datetime, or an invalid fault (see ``weighted_faults``).
    """
    require_aware(as_of, "as_of")
    _validated(units, faults)
    by_id = {unit.unit_id: unit for unit in units}
    exposures = {uid: exposure(unit, params) for uid, unit in by_id.items()}
    tallies = dict(weighted_faults(faults, as_of, params))
    for uid in by_id:
        tallies.setdefault(uid, _empty(uid, params.count_places))
    groups = peer_groups([(uid, by_id[uid].role, exposures[uid]) for uid in by_id], params)
    ratings = [
        rating
        for group in groups
        for rating in _rate_group(group, by_id, exposures, tallies, as_of, params)
    ]
    return sorted(ratings, key=lambda rating: (rating.role.value, rating.unit_id))
