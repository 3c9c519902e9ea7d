"""rate_units end to end: exposure, peer grades, sufficiency, explanations, determinism."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trace_service.credit.method import (
    DEFAULT_PARAMETERS,
    METHOD_VERSION,
    Fault,
    Grade,
    MethodParameters,
    Role,
    UnitExposure,
    UnitRating,
    exposure,
    rate_units,
)
from trace_service.errors import ValidationFailed

MakeFault = Callable[..., Fault]
MakeUnit = Callable[..., UnitExposure]
ORDER = {Grade.A: 0, Grade.B: 1, Grade.C: 2, Grade.D: 3}


def _by_id(ratings: list[UnitRating]) -> dict[str, UnitRating]:
    return {rating.unit_id: rating for rating in ratings}


def _hash(ratings: list[UnitRating]) -> str:
    canonical = json.dumps([r.as_dict() for r in ratings], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@pytest.fixture
def peer_network(
    make_unit: MakeUnit, make_fault: MakeFault
) -> tuple[list[UnitExposure], list[Fault]]:
    """Twelve outlets of 100,000 parcels: ten ordinary, one clean, one bad; plus a tiny one.

    Every fault weighs exactly 1 (delayed, 12–24 months old, resolved), so φ = 1.
    """
    counts = {"good": 0, "bad": 60}
    counts |= {f"peer{i:02d}": c for i, c in enumerate([8, 9, 10, 10, 11, 12, 9, 10, 11, 10])}
    units = [make_unit(uid) for uid in counts] + [make_unit("tiny", parcels=300)]
    faults = [make_fault(uid) for uid, count in counts.items() for _ in range(count)]
    faults.append(make_fault("tiny"))
    return units, faults


def test_exposure_combines_the_stages(make_unit: MakeUnit) -> None:
    # A hub: 1000 parcels in custody only → 1/2 · 1000 = 500 parcel-equivalents.
    hub = UnitExposure("hub", Role.OUTLET, pickups=0, custody_segments=1000, deliveries=0)
    assert exposure(hub) == 500
    # A courier picking up 100 and delivering 300 (with 20 repeat attempts), holding 400:
    # 1/5 · 100 + 1/2 · 400 + 3/10 · 320 = 20 + 200 + 96 = 316.
    courier = UnitExposure("s1", Role.STAFF, pickups=100, custody_segments=400, deliveries=320)
    assert exposure(courier) == 316
    # End to end, exposure equals the parcel count.
    assert exposure(make_unit("o1", parcels=12_345)) == 12_345
    with pytest.raises(ValidationFailed):
        exposure(UnitExposure("bad", Role.STAFF, -1, 0, 0))


def test_grades_single_out_the_clearly_better_and_worse_units(
    peer_network: tuple[list[UnitExposure], list[Fault]], as_of: datetime
) -> None:
    ratings = _by_id(rate_units(*peer_network, as_of))
    assert ratings["good"].grade is Grade.A
    assert ratings["bad"].grade is Grade.D
    assert {ratings[f"peer{i:02d}"].grade for i in range(10)} <= {Grade.B, Grade.C}
    bad = ratings["bad"]
    # 60 weighted faults over 100,000 parcels = 600 per million raw; shrunk towards the peers.
    assert bad.weighted_faults == Decimal("60.000000")
    assert bad.raw_rate_per_million == Decimal("600.0000")
    assert bad.interval_per_million[0] < bad.posterior_mean_per_million < Decimal(600)
    assert bad.probability_worse >= Decimal("0.8")
    assert bad.peer_group.label == "outlet/1-of-1" and bad.peer_group.size == 13
    assert bad.method_version == METHOD_VERSION


def test_a_tiny_unit_gets_insufficient_data_not_a_grade(
    peer_network: tuple[list[UnitExposure], list[Fault]], as_of: datetime
) -> None:
    tiny = _by_id(rate_units(*peer_network, as_of))["tiny"]
    # 1 fault in 300 parcels is 3333/M raw, worse than "bad", but far too little to judge.
    assert tiny.raw_rate_per_million == Decimal("3333.3333")
    assert tiny.grade is Grade.INSUFFICIENT_DATA
    assert tiny.grade_record().grade is Grade.INSUFFICIENT_DATA


def test_a_unit_without_exposure_is_published_without_a_raw_rate(
    make_unit: MakeUnit, as_of: datetime
) -> None:
    ratings = rate_units([make_unit("idle", parcels=0), make_unit("busy")], [], as_of)
    idle = _by_id(ratings)["idle"]
    assert idle.raw_rate_per_million is None
    assert idle.grade is Grade.INSUFFICIENT_DATA


def test_explanations_sum_exactly_and_keep_repaired_faults(
    make_unit: MakeUnit, make_fault: MakeFault, as_of: datetime
) -> None:
    faults = [
        make_fault("u1", share=Fraction(1, 3)),
        make_fault("u1", share=Fraction(1, 3), category="damaged"),
        make_fault("u1", category="lost", repaired=True, complaint_id="fixed"),
    ]
    rating = rate_units([make_unit("u1")], faults, as_of)[0]
    # 1/3 (delayed) + 6 × 1/3 (damaged) + 0 (repaired) = 7/3 → 2.333333
    assert rating.weighted_faults == Decimal("2.333333")
    assert sum(row.contribution for row in rating.explanation) == rating.weighted_faults
    fixed = next(row for row in rating.explanation if row.complaint_id == "fixed")
    assert fixed.contribution == 0 and "信用修复" in fixed.reason
    # The same faults without the repaired one give the same published figure.
    unrepaired = rate_units([make_unit("u1")], faults[:2], as_of)[0]
    assert unrepaired.weighted_faults == rating.weighted_faults
    assert unrepaired.posterior_mean_per_million == rating.posterior_mean_per_million


def test_output_is_independent_of_input_order(
    peer_network: tuple[list[UnitExposure], list[Fault]], as_of: datetime
) -> None:
    units, faults = peer_network
    reference = rate_units(units, faults, as_of)
    rng = random.Random(7)
    for _ in range(3):
        shuffled_units, shuffled_faults = units[:], faults[:]
        rng.shuffle(shuffled_units)
        rng.shuffle(shuffled_faults)
        again = rate_units(shuffled_units, shuffled_faults, as_of)
        assert again == reference
        assert _hash(again) == _hash(reference)
    assert [r.unit_id for r in reference] == sorted(r.unit_id for r in reference)


def test_canonical_form_is_plain_json(
    peer_network: tuple[list[UnitExposure], list[Fault]], as_of: datetime
) -> None:
    bad = _by_id(rate_units(*peer_network, as_of))["bad"].as_dict()
    assert bad["grade"] == "D"
    assert bad["weighted_faults"] == "60.000000"
    assert bad["as_of"] == "2026-06-01T00:00:00+00:00"
    assert bad["explanation"][0]["share"] == "1"
    assert isinstance(bad["interval_per_million"][0], str)
    json.dumps(bad)  # nothing left that JSON cannot carry


def test_the_method_version_comes_from_the_parameters(make_unit: MakeUnit, as_of: datetime) -> None:
    params = MethodParameters(version="2026.1-trial")
    assert rate_units([make_unit("u1")], [], as_of, params)[0].method_version == "2026.1-trial"
    assert json.dumps(DEFAULT_PARAMETERS.as_dict())


def test_parameters_must_cover_every_category() -> None:
    with pytest.raises(ValueError):
        MethodParameters(severity={"lost": 10})
    with pytest.raises(ValueError):
        MethodParameters(pickup_weight=Fraction(1, 2))  # stage weights no longer sum to 1


@pytest.mark.parametrize(
    "problem",
    ["duplicate unit", "unknown unit", "naive as_of"],
)
def test_bad_inputs_are_refused(
    make_unit: MakeUnit, make_fault: MakeFault, as_of: datetime, problem: str
) -> None:
    units = [make_unit("u1")]
    faults: list[Fault] = []
    when = as_of
    if problem == "duplicate unit":
        units.append(make_unit("u1"))
    elif problem == "unknown unit":
        faults.append(make_fault("ghost"))
    else:
        when = as_of.replace(tzinfo=None)
    with pytest.raises(ValidationFailed):
        rate_units(units, faults, when)


# A small network for the properties: 12 staff units with random volumes and faults.
_fault_spec = st.tuples(
    st.integers(min_value=0, max_value=11),  # unit
    st.sampled_from(["delayed", "damaged", "lost", "service_attitude", "station_drop"]),
    st.integers(min_value=0, max_value=740),  # age in days
    st.booleans(),  # resolved within 7 days
)
_network = st.tuples(
    st.lists(st.integers(min_value=0, max_value=200_000), min_size=12, max_size=12),
    st.lists(_fault_spec, max_size=60),
)


def _build(
    volumes: list[int], specs: list[tuple[int, str, int, bool]], as_of: datetime
) -> tuple[list[UnitExposure], list[Fault]]:
    units = [UnitExposure(f"s{i:02d}", Role.STAFF, v, v, v) for i, v in enumerate(volumes)]
    faults = [
        Fault(f"s{u:02d}", cat, as_of - timedelta(days=age), Fraction(1), ok, False, f"c{k}")
        for k, (u, cat, age, ok) in enumerate(specs)
    ]
    return units, faults


_slow = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_slow
@given(network=_network)
def test_interval_contains_the_posterior_mean(
    network: tuple[list[int], list[Any]], as_of: datetime
) -> None:
    for rating in rate_units(*_build(*network, as_of), as_of):
        lower, upper = rating.interval_per_million
        assert lower <= rating.posterior_mean_per_million <= upper


@_slow
@given(
    network=_network,
    extra=_fault_spec,
)
def test_more_faults_never_improve_a_grade_with_the_same_exposure(
    network: tuple[list[int], list[Any]], extra: tuple[int, str, int, bool], as_of: datetime
) -> None:
    # The whole pipeline is re-run, so the peer prior is refitted with the extra fault in it.
    volumes, specs = network
    before = _by_id(rate_units(*_build(volumes, specs, as_of), as_of))
    after = _by_id(rate_units(*_build(volumes, [*specs, extra], as_of), as_of))
    unit = f"s{extra[0]:02d}"
    graded = {Grade.A, Grade.B, Grade.C, Grade.D}
    if before[unit].grade in graded and after[unit].grade in graded:
        assert ORDER[after[unit].grade] >= ORDER[before[unit].grade]


def test_dispersion_adjustment_can_be_switched_off(
    make_unit: MakeUnit, make_fault: MakeFault, as_of: datetime
) -> None:
    faults = [make_fault("u1", category="lost"), make_fault("u1")]  # weights 10 and 1
    adjusted = rate_units([make_unit("u1")], faults, as_of)[0]
    # φ = (10² + 1²) / (10 + 1) = 101/11 ≈ 9.1818
    assert adjusted.peer_group.dispersion == Decimal("9.1818")
    plain = rate_units(
        [make_unit("u1")], faults, as_of, replace(DEFAULT_PARAMETERS, dispersion_adjusted=False)
    )[0]
    assert plain.peer_group.dispersion == Decimal("1.0000")
    # Fewer effective events: the adjusted interval is the wider one.
    width = {
        name: r.interval_per_million[1] - r.interval_per_million[0]
        for name, r in (("adjusted", adjusted), ("plain", plain))
    }
    assert width["adjusted"] > width["plain"]
