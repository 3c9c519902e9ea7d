"""The pure-Python Gamma CDF and quantile against reference values and closed forms."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest

from trace_service.credit.gamma_distribution import (
    gamma_cdf,
    gamma_quantile,
    gamma_sf,
    regularized_lower_gamma,
    regularized_upper_gamma,
    standard_gamma_quantile,
)


def _chi2_ppf(p: float, dof: int) -> float:
    # chi-square with k degrees of freedom is Gamma(shape k/2, scale 2) = Gamma(k/2, rate 1/2).
    return gamma_quantile(p, dof / 2, 0.5)


def _poisson_tail_cdf(shape: int, x: float) -> float:
    # For integer shape n: P(n, x) = P(Poisson(x) >= n) = 1 - e^-x Σ_{j<n} x^j / j!.
    return 1.0 - math.exp(-x) * sum(x**j / math.factorial(j) for j in range(shape))


@pytest.mark.parametrize(
    ("quantile", "expected"),
    [
        (lambda: _chi2_ppf(0.95, 1), 3.841458820694124),
        (lambda: _chi2_ppf(0.05, 10), 3.940299136119),
        (lambda: _chi2_ppf(0.95, 10), 18.307038053275146),
        (lambda: standard_gamma_quantile(0.5, 0.5), 0.22746821155978636),
    ],
)
def test_quantile_matches_reference_values(quantile: object, expected: float) -> None:
    assert callable(quantile)
    assert abs(quantile() - expected) / expected < 1e-9


def test_reference_values_hold_by_independent_identities() -> None:
    # chi2(1) = Z², so chi2.ppf(0.95, 1) = z_{0.975}²;
    # Gamma(1/2) = Z²/2, so its median is z_{0.75}²/2.
    z = NormalDist()
    assert z.inv_cdf(0.975) ** 2 == pytest.approx(3.841458820694124, rel=1e-12)
    assert z.inv_cdf(0.75) ** 2 / 2 == pytest.approx(0.22746821155978636, rel=1e-12)
    # chi2(10) = Gamma(5, scale 2): its CDF at x is P(5, x/2), a finite Poisson sum.
    assert _poisson_tail_cdf(5, 3.940299136119 / 2) == pytest.approx(0.05, abs=1e-12)
    assert _poisson_tail_cdf(5, 18.307038053275146 / 2) == pytest.approx(0.95, abs=1e-12)


@pytest.mark.parametrize("x", [0.01, 0.5, 1.0, 2.0, 5.0, 30.0])
def test_incomplete_gamma_closed_forms(x: float) -> None:
    # P(1, x) = 1 - e^-x (exponential); P(1/2, x) = erf(√x); P(3, x) is a Poisson sum.
    assert regularized_lower_gamma(1.0, x) == pytest.approx(-math.expm1(-x), rel=1e-13)
    assert regularized_lower_gamma(0.5, x) == pytest.approx(math.erf(math.sqrt(x)), rel=1e-13)
    assert regularized_lower_gamma(3.0, x) == pytest.approx(_poisson_tail_cdf(3, x), abs=1e-14)


@pytest.mark.parametrize("a", [0.5, 1.0, 2.5, 10.0, 100.0])
@pytest.mark.parametrize("x", [0.1, 1.0, 3.0, 9.0, 50.0, 120.0])
def test_lower_and_upper_tails_sum_to_one(a: float, x: float) -> None:
    # Both the series (x < a + 1) and the continued fraction (x >= a + 1) branches are crossed.
    assert regularized_lower_gamma(a, x) + regularized_upper_gamma(a, x) == pytest.approx(1.0)


@pytest.mark.parametrize("n", [1_000, 10_000])
@pytest.mark.parametrize("z", [-5.0, -1.645, -0.5, 0.0, 1.0, 1.645, 4.0])
def test_large_shapes_match_the_poisson_sum(n: int, z: float) -> None:
    # Shapes from 500 up are integrated by quadrature. For integer n, Q(n, x) = P(Poisson(x) < n)
    # = Σ_{j<n} e^-x x^j / j!, summed exactly-rounded term by term: an independent reference.
    x = n + z * math.sqrt(n)
    terms = (math.exp(-x + j * math.log(x) - math.lgamma(j + 1)) for j in range(n))
    assert regularized_upper_gamma(float(n), x) == pytest.approx(math.fsum(terms), rel=1e-9)


def test_quadrature_is_continuous_with_the_series_and_handles_far_tails() -> None:
    # Just below and at the switch to quadrature the two methods agree.
    for x in (450.0, 499.0, 540.0):
        below = regularized_lower_gamma(500.0 - 1e-9, x)
        assert regularized_lower_gamma(500.0, x) == pytest.approx(below, rel=1e-9)
    # Twenty standard deviations below the mean the CDF is 0, not 1.
    assert regularized_lower_gamma(500.0, 2.4) == 0.0
    assert regularized_upper_gamma(500.0, 2.4) == 1.0


def test_small_upper_tail_keeps_relative_precision() -> None:
    # Q(1, 40) = e^-40 ≈ 4.25e-18, far below what 1 - P(1, 40) could represent.
    assert regularized_upper_gamma(1.0, 40.0) == pytest.approx(math.exp(-40.0), rel=1e-12)


@pytest.mark.parametrize("a", [0.5, 0.9, 1.0, 6.0, 42.0, 1_000.0, 10_000.0, 100_000.0])
@pytest.mark.parametrize("p", [1e-6, 0.05, 0.25, 0.5, 0.9, 0.95])
def test_quantile_inverts_the_cdf(a: float, p: float) -> None:
    x = standard_gamma_quantile(p, a)
    assert regularized_lower_gamma(a, x) == pytest.approx(p, rel=1e-9)


def test_rate_parameter_scales_the_distribution() -> None:
    # Gamma(shape, rate) = Gamma(shape, 1) / rate.
    assert gamma_quantile(0.9, 3.0, 4.0) == pytest.approx(standard_gamma_quantile(0.9, 3.0) / 4)
    assert gamma_cdf(0.5, 3.0, 4.0) == pytest.approx(regularized_lower_gamma(3.0, 2.0))
    assert gamma_sf(0.5, 3.0, 4.0) == pytest.approx(regularized_upper_gamma(3.0, 2.0))
    assert gamma_cdf(0.0, 3.0, 4.0) == 0.0
    assert gamma_sf(-1.0, 3.0, 4.0) == 1.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: regularized_lower_gamma(0.0, 1.0),
        lambda: regularized_lower_gamma(1.0, -1.0),
        lambda: regularized_upper_gamma(math.inf, 1.0),
        lambda: standard_gamma_quantile(0.0, 1.0),
        lambda: standard_gamma_quantile(1.0, 1.0),
        lambda: gamma_quantile(0.5, 1.0, 0.0),
    ],
)
def test_invalid_arguments_raise(call: object) -> None:
    assert callable(call)
    with pytest.raises(ValueError):
        call()
