"""The simulated world's shape, drawn without a database: sizes follow the parcel count, hidden
rates spread widely, and every code a party or product carries is valid."""

from __future__ import annotations

import statistics

from biip.gtin import Gtin

from trace_service.identity.service import validate_uscc
from trace_service.simulate.draw import draw_world
from trace_service.simulate.params import SimulationParams
from trace_service.simulate.world import expected_volumes


def test_a_million_parcels_give_couriers_thousands_each():
    world = draw_world(SimulationParams(parcels=1_000_000))
    assert 6 <= len(world.companies) <= 8
    assert 8 <= len(world.cities) <= 12
    _, deliveries = expected_volumes(1_000_000, world.cities, world.companies, world.merchants)
    loads = [
        deliveries[(company.unit.party_id, city)] / len(branch.couriers)
        for company in world.companies
        for city, branch in company.branches.items()
    ]
    assert 2_000 <= statistics.median(loads) <= 5_000
    assert min(loads) >= 1_500


def test_a_demo_network_still_has_every_role_in_every_branch():
    world = draw_world(SimulationParams(parcels=2_000))
    for company in world.companies:
        assert company.branches
        for branch in company.branches.values():
            assert branch.sorters and branch.couriers and branch.outlets
    for merchant in world.merchants:
        for company in merchant.companies:  # a pickup staff wherever it ships from
            assert company.unit.party_id in merchant.pickup


def test_hidden_rates_spread_widely_with_clearly_bad_and_good_units():
    world = draw_world(SimulationParams(parcels=100_000))
    staff = [u for u in world.units() if u.role == "staff"]
    totals = {u.party_id: sum(u.hidden.rates.values()) for u in staff}
    profiles = {u.party_id: u.hidden.profile for u in staff}
    typical = [t for pid, t in totals.items() if profiles[pid] == "typical"]
    assert max(typical) / min(typical) > 8
    bad = [t for pid, t in totals.items() if profiles[pid] == "bad"]
    good = [t for pid, t in totals.items() if profiles[pid] == "good"]
    assert bad and good
    assert min(bad) > statistics.median(typical) * 2
    assert max(good) < statistics.median(typical) / 2
    flags = [f for u in world.units() for f in u.hidden.flags]
    assert sorted(flags) == ["aggressor", "fabricator", "victim"]


def test_codes_are_valid_and_unique():
    world = draw_world(SimulationParams(parcels=50_000))
    gtins = [p.gtin for m in world.merchants for p in m.products]
    assert len(set(gtins)) == len(gtins)
    for gtin in gtins:
        assert Gtin.parse(gtin).value == gtin  # biip validates the check digit
    codes = [world.regulator.code, *(p.code for p in world.platforms)]
    codes += [m.principal.code for m in world.merchants]
    codes += [str(c.unit.code) for c in world.companies]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert validate_uscc(code) == code


def test_the_same_seed_draws_the_same_parties_and_keys():
    one, two = (draw_world(SimulationParams(parcels=5_000, seed=11)) for _ in range(2))
    assert [u.party_id for u in one.units()] == [u.party_id for u in two.units()]
    assert [u.key.public_key for u in one.units()] == [u.key.public_key for u in two.units()]
    other = draw_world(SimulationParams(parcels=5_000, seed=12))
    assert [u.party_id for u in other.units()] != [u.party_id for u in one.units()]
