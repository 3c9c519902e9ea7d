"""Data sufficiency and the A/B/C/D grade rule, from posterior probabilities (DESIGN §6).

Grades compare a unit's posterior with its peer group's percentiles, where the percentiles are
those of the fitted prior, i.e. of the estimated distribution of true rates among peers; a unit
is never graded by its raw rank, so a lucky small unit cannot top the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from trace_service.credit.parameters import Grade, MethodParameters
from trace_service.credit.smoothing import ScaledGamma


@dataclass(frozen=True)
class PeerThresholds:
    """The peer group's rate percentiles (weighted faults per parcel) the grade rule uses."""

    better: float  # 25th percentile by default
    median: float
    worse: float  # 90th percentile by default

    @classmethod
    def of(cls, prior: ScaledGamma, params: MethodParameters) -> PeerThresholds:
        """The percentiles of the group's prior."""
        return cls(
            better=prior.quantile(float(params.better_percentile)),
            median=prior.quantile(float(params.median_percentile)),
            worse=prior.quantile(float(params.worse_percentile)),
        )


@dataclass(frozen=True)
class GradeEvidence:
    """The posterior probabilities a grade rests on."""

    better: float  # P(λ < peer 25th percentile)
    below_median: float  # P(λ < peer median)
    worse: float  # P(λ > peer 90th percentile)


def credible_interval(posterior: ScaledGamma, params: MethodParameters) -> tuple[float, float]:
    """The equal-tailed credible interval (90% by default) of the posterior rate."""
    tail = float((1 - params.interval_probability) / 2)
    return posterior.quantile(tail), posterior.quantile(1.0 - tail)


def data_sufficient(
    exposure: Fraction,
    interval: tuple[float, float],
    posterior: ScaledGamma,
    prior: ScaledGamma,
    params: MethodParameters,
    clearly_worse: bool = False,
) -> bool:
    """Whether a unit has enough data to be graded rather than published as insufficient_data.

    Sufficient means both: exposure of at least ``min_exposure_parcels``, and an interval no wider
    than ``max_relative_interval_width`` × max(peer mean, own posterior mean). The max keeps a
    clearly bad unit graded: its interval is wide in absolute terms only because its rate is high.
    A unit `clearly_worse` than its peers (a D by posterior probability) is graded below the
    minimum exposure when ``clear_d_below_min_exposure``: the posterior already discounts its
    few parcels, and a regulator must see a courier with 1,000 parcels and 4× its peers' faults.
    Honours (A) still need the volume, so a lucky small unit cannot top the table.
    """
    waived = clearly_worse and params.clear_d_below_min_exposure
    if exposure < params.min_exposure_parcels and not waived:
        return False
    reference = max(prior.mean(), posterior.mean())
    width = interval[1] - interval[0]
    return width <= float(params.max_relative_interval_width) * reference


def assign_grade(
    posterior: ScaledGamma, thresholds: PeerThresholds, params: MethodParameters
) -> tuple[Grade, GradeEvidence]:
    """The grade of a unit with sufficient data. The one rule, with the default parameters:

    - D if P(λ > peer 90th percentile) >= 0.8  (clearly among the worst tenth);
    - A if P(λ < peer 25th percentile) >= 0.8  (clearly within the best quarter);
    - B if P(λ < peer median) >= 0.5           (more likely better than the median peer);
    - C otherwise.

    D and A cannot both hold (the two events are disjoint and 0.8 + 0.8 > 1). Each probability
    moves monotonically with the unit's weighted count, so more faults never improve a grade.
    """
    evidence = GradeEvidence(
        better=posterior.prob_below(thresholds.better),
        below_median=posterior.prob_below(thresholds.median),
        worse=posterior.prob_above(thresholds.worse),
    )
    confidence = float(params.grade_confidence)
    if evidence.worse >= confidence:
        return Grade.D, evidence
    if evidence.better >= confidence:
        return Grade.A, evidence
    if evidence.below_median >= 0.5:
        return Grade.B, evidence
    return Grade.C, evidence
