"""Empirical-Bayes smoothing: the method-of-moments prior, its safeguards, and the posterior."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from trace_service.credit.faults import weighted_faults
from trace_service.credit.grades import credible_interval
from trace_service.credit.method import DEFAULT_PARAMETERS, Fault, Role
from trace_service.credit.smoothing import ScaledGamma, dispersion, fit_prior, peer_groups

P = DEFAULT_PARAMETERS
F = Fraction


def test_method_of_moments_prior_on_a_tiny_group() -> None:
    # y = (0, 4, 2) over E = (1000, 1000, 2000):
    #   m  = 6 / 4000 = 0.0015; rates 0, 0.004, 0.001
    #   s² = [1000·0.0015² + 1000·0.0025² + 2000·0.0005²] / 4000
    #      = [2.25e-3 + 6.25e-3 + 0.5e-3] / 4000 = 2.25e-6
    #   Ē  = 4000 / 3, so m / Ē = 1.125e-6 and v = 2.25e-6 − 1.125e-6 = 1.125e-6
    #   α  = m² / v = 2.25e-6 / 1.125e-6 = 2;  β = m / v = 4000 / 3
    fit = fit_prior([F(0), F(4), F(2)], [F(1000), F(1000), F(2000)], 1.0, P)
    assert fit.safeguard == "none"
    assert fit.prior.shape == pytest.approx(2.0, rel=1e-12)
    assert fit.prior.rate == pytest.approx(4000 / 3, rel=1e-12)
    assert fit.prior.mean() == pytest.approx(0.0015, rel=1e-12)


def test_posterior_mean_and_interval_for_a_hand_case() -> None:
    # Prior Gamma(2, 4000/3); unit with y = 4 over E = 1000:
    #   posterior Gamma(2 + 4, 4000/3 + 1000) = Gamma(6, 7000/3)
    #   mean = 6 / (7000/3) = 18/7000 = 0.00257142857… → 2571.428571… per million
    posterior = ScaledGamma(2.0, 4000 / 3).updated(F(4), F(1000))
    assert posterior.shape == 6.0
    assert posterior.rate == pytest.approx(7000 / 3)
    assert posterior.mean() * 1e6 == pytest.approx(18 / 7000 * 1e6, rel=1e-12)
    lower, upper = credible_interval(posterior, P)
    # The 5% and 95% points of Gamma(6, 1) are chi2(12)'s over 2: 2.6130147 and 10.5130349;
    # dividing by the rate 7000/3 gives 1119.8635 and 4505.5864 per million.
    assert lower * 1e6 == pytest.approx(1119.863461798, rel=1e-9)
    assert upper * 1e6 == pytest.approx(4505.586389461, rel=1e-9)

    # For integer shape 6, P(6, x) = 1 − e^-x Σ_{j<6} x^j/j!: the endpoints hit 5% and 95%.
    def cdf6(x: float) -> float:
        return 1 - math.exp(-x) * sum(x**j / math.factorial(j) for j in range(6))

    assert cdf6(lower * posterior.rate) == pytest.approx(0.05, abs=1e-12)
    assert cdf6(upper * posterior.rate) == pytest.approx(0.95, abs=1e-12)


def test_dispersion_scales_counts_to_effective_events() -> None:
    # One fault of weight 3 and one of weight 1: φ = (3² + 1²) / (3 + 1) = 10/4 = 2.5.
    prior = ScaledGamma(2.0, 1000.0, scale=2.5)
    posterior = prior.updated(F(5), F(500))
    # shape 2 + 5/2.5 = 4, rate 1500; mean in weighted units = 2.5 × 4 / 1500
    assert posterior.shape == 4.0
    assert posterior.mean() == pytest.approx(2.5 * 4 / 1500)
    assert posterior.prob_below(posterior.quantile(0.3)) == pytest.approx(0.3)


def test_dispersion_of_a_group(make_fault: Callable[..., Fault]) -> None:
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    faults = [
        make_fault(unit_id="a", occurred_at=datetime(2026, 5, 1, tzinfo=UTC)),  # 1 × 3 = 3
        make_fault(unit_id="b"),  # 1 × 1 = 1
    ]
    tallies = list(weighted_faults(faults, as_of).values())
    assert dispersion(tallies) == 2.5
    assert dispersion([]) == 1.0


def test_variance_below_poisson_pools_completely() -> None:
    # Identical rates: s² = 0 < m/Ē, so there is no between-unit variance: α = the cap.
    fit = fit_prior([F(10), F(20)], [F(1000), F(2000)], 1.0, P)
    assert fit.safeguard == "no_excess_variance"
    assert fit.prior.shape == float(P.prior_shape_max)
    assert fit.prior.mean() == pytest.approx(0.01)


def test_extreme_spread_hits_the_shape_floor() -> None:
    # y = (0, 0, 0, 300000) over E = 10^6 each: m = 0.075, rates (0, 0, 0, 0.3),
    #   s² = (3 · 0.075² + 0.225²) / 4 = 0.016875,  m/Ē = 7.5e-8,  v = 0.016874925,
    #   α = 0.075² / v ≈ 1/3 < 1/2 → floored to 1/2, the mean kept at 0.075.
    fit = fit_prior([F(0), F(0), F(0), F(300_000)], [F(10**6)] * 4, 1.0, P)
    assert fit.safeguard == "shape_floor"
    assert fit.prior.shape == 0.5
    assert fit.prior.mean() == pytest.approx(0.075)


def test_barely_overdispersed_group_hits_the_shape_cap() -> None:
    # y = (10000, 10250) over E = 10^5 each: m = 0.10125, s² = 0.00125² = 1.5625e-6,
    #   m/Ē = 1.0125e-6, v = 5.5e-7, α = 0.10125² / 5.5e-7 ≈ 18639 > 10^4 → capped.
    fit = fit_prior([F(10_000), F(10_250)], [F(10**5)] * 2, 1.0, P)
    assert fit.safeguard == "shape_cap"
    assert fit.prior.shape == 10_000
    assert fit.prior.mean() == pytest.approx(0.10125)


def test_a_group_without_faults_gets_the_floor_rate() -> None:
    fit = fit_prior([F(0), F(0)], [F(1000), F(5000)], 1.0, P)
    assert fit.safeguard == "rate_floor"
    # 0.1 weighted faults per million parcels
    assert fit.prior.mean() * 1e6 == pytest.approx(0.1)
    # Units without exposure carry no information; alone they also fall back to the floor.
    assert fit_prior([F(3)], [F(0)], 1.0, P).safeguard == "rate_floor"


def test_peer_groups_are_volume_bands_within_a_role() -> None:
    units = [(f"s{i:02d}", Role.STAFF, F(100 * (i + 1))) for i in range(25)]
    units += [("c1", Role.COMPANY, F(10**7)), ("c2", Role.COMPANY, F(10**6))]
    groups = peer_groups(units, P)
    # 25 staff // 10 per group = 2 bands (of 12 and 13, by ascending exposure); companies: 1.
    assert [(g.label, len(g.unit_ids)) for g in groups] == [
        ("company/1-of-1", 2),
        ("staff/1-of-2", 12),
        ("staff/2-of-2", 13),
    ]
    assert groups[0].unit_ids == ("c2", "c1")
    assert groups[1].unit_ids[0] == "s00" and groups[2].unit_ids[-1] == "s24"
    # 30+ units per role allow the full three bands.
    many = [(f"s{i:02d}", Role.STAFF, F(i + 1)) for i in range(30)]
    assert [g.label for g in peer_groups(many, P)] == [
        "staff/1-of-3",
        "staff/2-of-3",
        "staff/3-of-3",
    ]
