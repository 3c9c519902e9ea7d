"""The grade rule and data sufficiency, on hand-made posteriors."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace_service.credit.grades import (
    PeerThresholds,
    assign_grade,
    credible_interval,
    data_sufficient,
)
from trace_service.credit.method import DEFAULT_PARAMETERS, Grade
from trace_service.credit.smoothing import ScaledGamma

P = DEFAULT_PARAMETERS
# Peers' true rates ~ Gamma(4, 40000): mean 1e-4 (100 per million).
PRIOR = ScaledGamma(4.0, 40_000.0)
THRESHOLDS = PeerThresholds.of(PRIOR, P)
ORDER = {Grade.A: 0, Grade.B: 1, Grade.C: 2, Grade.D: 3}


def test_thresholds_are_the_prior_percentiles() -> None:
    assert PRIOR.prob_below(THRESHOLDS.better) == pytest.approx(0.25)
    assert PRIOR.prob_below(THRESHOLDS.median) == pytest.approx(0.5)
    assert PRIOR.prob_below(THRESHOLDS.worse) == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("count", "grade"),
    [
        (0, Grade.A),  # 0 faults in 10^6 parcels: clearly in the best quarter
        (80, Grade.B),  # 80/M against a 100/M peer mean: probably better than the median
        (100, Grade.C),  # at the peer mean, which is above the peer median
        (300, Grade.D),  # 300/M: clearly worse than the peers' 90th percentile
    ],
)
def test_grade_rule_on_a_million_parcels(count: int, grade: Grade) -> None:
    posterior = PRIOR.updated(Fraction(count), Fraction(10**6))
    assigned, evidence = assign_grade(posterior, THRESHOLDS, P)
    assert assigned == grade
    if grade is Grade.A:
        assert evidence.better >= 0.8
    if grade is Grade.D:
        assert evidence.worse >= 0.8


@given(
    count=st.integers(min_value=0, max_value=2_000),
    more=st.integers(min_value=1, max_value=500),
    exposure=st.integers(min_value=1, max_value=10**7),
)
def test_more_faults_never_improve_a_grade_against_fixed_peers(
    count: int, more: int, exposure: int
) -> None:
    before, _ = assign_grade(PRIOR.updated(Fraction(count), Fraction(exposure)), THRESHOLDS, P)
    after, _ = assign_grade(
        PRIOR.updated(Fraction(count + more), Fraction(exposure)), THRESHOLDS, P
    )
    assert ORDER[after] >= ORDER[before]


def test_too_little_exposure_is_insufficient_whatever_the_interval() -> None:
    posterior = PRIOR.updated(Fraction(0), Fraction(1_999))
    assert not data_sufficient(
        Fraction(1_999), credible_interval(posterior, P), posterior, PRIOR, P
    )


def test_a_wide_interval_is_insufficient_and_a_narrow_one_is_not() -> None:
    # 10,000 parcels, no faults: posterior Gamma(4, 50000), 90% interval ≈ (27, 155) per million,
    # width 128 > 1 × the peer mean of 100 per million → insufficient.
    thin = PRIOR.updated(Fraction(0), Fraction(10_000))
    assert not data_sufficient(Fraction(10_000), credible_interval(thin, P), thin, PRIOR, P)
    # 10^6 parcels, 100 faults: posterior Gamma(104, 1.04e6), width ≈ 33 per million → sufficient.
    thick = PRIOR.updated(Fraction(100), Fraction(10**6))
    assert data_sufficient(Fraction(10**6), credible_interval(thick, P), thick, PRIOR, P)


def test_a_clearly_bad_unit_stays_graded_though_its_interval_is_wide() -> None:
    # 60 faults in 20,000 parcels (3000/M raw): posterior Gamma(64, 60000), mean ≈ 1067/M,
    # interval ≈ (857, 1295)/M. Its width, 438/M, is over 4× the peer mean (100/M) but well
    # under its own mean, so the unit is graded — and graded D.
    posterior = PRIOR.updated(Fraction(60), Fraction(20_000))
    interval = credible_interval(posterior, P)
    assert interval[1] - interval[0] > 4 * PRIOR.mean()
    assert data_sufficient(Fraction(20_000), interval, posterior, PRIOR, P)
    assert assign_grade(posterior, THRESHOLDS, P)[0] is Grade.D


def test_a_clearly_worse_unit_is_graded_below_the_minimum_exposure_and_a_lucky_one_is_not() -> None:
    # Prior mean 100 per million (90th percentile ≈ 167). 1,000 parcels with 10 faults: posterior
    # Gamma(14, 41000), mean ≈ 341/M, P(λ > 167/M) >= 0.8: clearly worse, graded D though small.
    bad = PRIOR.updated(Fraction(10), Fraction(1_000))
    grade, evidence = assign_grade(bad, THRESHOLDS, P)
    assert (grade, evidence.worse >= 0.8) == (Grade.D, True)
    interval = credible_interval(bad, P)
    assert data_sufficient(Fraction(1_000), interval, bad, PRIOR, P, clearly_worse=True)
    # The same unit without the waiver (method parameter off) is insufficient.
    strict = replace(P, clear_d_below_min_exposure=False)
    assert not data_sufficient(Fraction(1_000), interval, bad, PRIOR, strict, clearly_worse=True)
    # A small unit with no faults is never clearly better enough to skip the minimum.
    lucky = PRIOR.updated(Fraction(0), Fraction(1_000))
    assert not data_sufficient(Fraction(1_000), credible_interval(lucky, P), lucky, PRIOR, P)
