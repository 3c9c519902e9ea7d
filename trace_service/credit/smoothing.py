"""Empirical-Bayes Gamma–Poisson smoothing within peer groups (DESIGN §6).

Model, per peer group: a unit's true weighted fault rate λ_i (per parcel) is drawn from the
group's Gamma prior, and its weighted count y_i over exposure E_i is Poisson-like around λ_i E_i.
Weighted counts are compound Poisson (each fault weighs w = severity × time × share × surcharge),
whose variance is φ = Σw²/Σw times their mean; dividing counts by the group's φ turns them into
effective Poisson counts (quasi-Poisson), so a severity-10 fault is not mistaken for ten
independent events and intervals keep their stated coverage. With φ = 1 (all weights 1, or the
adjustment switched off) this is exactly the textbook model:

    μ_i ~ Gamma(α, β),  y_i/φ ~ Poisson(μ_i E_i),  λ_i = φ μ_i,
    μ_i | y_i ~ Gamma(α + y_i/φ, β + E_i).

The prior is fitted by the method of moments (Marshall 1991, "Mapping disease and mortality rates
using empirical Bayes estimators", Applied Statistics 40:283–294): pooled mean m = ΣY/ΣE,
exposure-weighted variance s² = ΣE_i(Y_i/E_i − m)²/ΣE, between-unit variance v = s² − m/Ē, then
α = m²/v and β = m/v. Safeguards: v <= 0 (no more spread than Poisson noise) means complete
pooling, α = the cap; α is clamped to [floor, cap]; m is floored so a fault-free group still has
a positive prior. Sums use math.fsum, which is exact-rounded and so independent of input order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from trace_service.credit.faults import WeightedFaults
from trace_service.credit.gamma_distribution import gamma_cdf, gamma_quantile, gamma_sf
from trace_service.credit.parameters import MethodParameters, Role


@dataclass(frozen=True)
class ScaledGamma:
    """λ = scale × G with G ~ Gamma(shape, rate): a unit's weighted fault rate per parcel."""

    shape: float
    rate: float
    scale: float = 1.0

    def mean(self) -> float:
        """E[λ]."""
        return self.scale * self.shape / self.rate

    def quantile(self, p: float) -> float:
        """The p-quantile of λ; raises ValueError unless 0 < p < 1."""
        return self.scale * gamma_quantile(p, self.shape, self.rate)

    def prob_below(self, x: float) -> float:
        """P(λ < x)."""
        return gamma_cdf(x / self.scale, self.shape, self.rate)

    def prob_above(self, x: float) -> float:
        """P(λ > x), computed as an upper tail (no 1 − p cancellation)."""
        return gamma_sf(x / self.scale, self.shape, self.rate)

    def updated(self, count: Fraction, exposure: Fraction) -> ScaledGamma:
        """The posterior after observing weighted ``count`` over ``exposure`` parcels."""
        return ScaledGamma(
            shape=self.shape + float(count) / self.scale,
            rate=self.rate + float(exposure),
            scale=self.scale,
        )


@dataclass(frozen=True)
class PriorFit:
    """A group's fitted prior and which safeguard, if any, shaped it."""

    prior: ScaledGamma
    safeguard: str  # "none", "no_excess_variance", "shape_floor", "shape_cap", "rate_floor"


@dataclass(frozen=True)
class PeerGroup:
    """Units of one role within one volume band (同类同规模), rated against each other."""

    role: Role
    band: int  # 1 = lowest volume
    bands: int
    unit_ids: tuple[str, ...]  # in ascending exposure, ties by unit id

    @property
    def label(self) -> str:
        """Stable public name, e.g. ``staff/2-of-3``."""
        return f"{self.role.value}/{self.band}-of-{self.bands}"


def peer_groups(
    units: Sequence[tuple[str, Role, Fraction]], params: MethodParameters
) -> list[PeerGroup]:
    """Split each role's units into volume bands of equal count (quantile bands).

    Quantile rather than fixed bands because network sizes vary by orders of magnitude; a role
    with fewer than ``peer_bands × min_peer_group_size`` units gets fewer bands, down to one.
    Ties in exposure at a band edge are split by unit id, so the split is deterministic.
    """
    groups: list[PeerGroup] = []
    for role in Role:
        members = sorted((exp, uid) for uid, r, exp in units if r == role)
        if not members:
            continue
        count = len(members)
        bands = max(1, min(params.peer_bands, count // params.min_peer_group_size))
        for band in range(bands):
            chunk = members[band * count // bands : (band + 1) * count // bands]
            groups.append(PeerGroup(role, band + 1, bands, tuple(uid for _, uid in chunk)))
    return groups


def dispersion(tallies: Sequence[WeightedFaults]) -> float:
    """φ = Σw²/Σw over the group's weighted faults (1 when there are none)."""
    weight = sum((tally.exact for tally in tallies), Fraction(0))
    if weight == 0:
        return 1.0
    return float(sum((tally.sum_of_squares for tally in tallies), Fraction(0)) / weight)


def fit_prior(
    counts: Sequence[Fraction],
    exposures: Sequence[Fraction],
    scale: float,
    params: MethodParameters,
) -> PriorFit:
    """Method-of-moments Gamma prior for one peer group (see the module docstring).

    Units with zero exposure carry no rate information and are left out of the fit.
    Raises ValueError when counts and exposures differ in length.
    """
    if len(counts) != len(exposures):
        raise ValueError("one count per exposure")
    pairs = [(float(y) / scale, float(e)) for y, e in zip(counts, exposures, strict=True) if e > 0]
    floor = float(params.prior_rate_floor_per_million) / params.per_million / scale
    shape_min, shape_max = float(params.prior_shape_min), float(params.prior_shape_max)
    if not pairs:
        return PriorFit(ScaledGamma(shape_max, shape_max / floor, scale), "rate_floor")
    total_exposure = math.fsum(e for _, e in pairs)
    mean = math.fsum(y for y, _ in pairs) / total_exposure
    if mean < floor:
        return PriorFit(ScaledGamma(shape_max, shape_max / floor, scale), "rate_floor")
    spread = math.fsum(e * (y / e - mean) ** 2 for y, e in pairs) / total_exposure
    between = spread - mean / (total_exposure / len(pairs))
    if between <= 0:
        shape, safeguard = shape_max, "no_excess_variance"
    else:
        shape, safeguard = mean * mean / between, "none"
        if shape < shape_min:
            shape, safeguard = shape_min, "shape_floor"
        elif shape > shape_max:
            shape, safeguard = shape_max, "shape_cap"
    return PriorFit(ScaledGamma(shape, shape / mean, scale), safeguard)
