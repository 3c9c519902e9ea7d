"""Drawing the world of a run: a pure function of its parameters (its own random stream,
seeded from the run's seed), so the same seed always yields the same parties, party ids, keys
and hidden rates; the registration then takes those ids as they are (see register.py).

Sizes follow the parcel count (params.SIZE_TIERS, LOAD_PER_*): last-mile couriers handle about
LOAD_PER_COURIER parcels each over the run, except in a small demo network, where every branch
still needs one. Raises nothing.
"""

from __future__ import annotations

import math
import random

import nacl.signing

from trace_service.ledger.key_holder import KeyHolder
from trace_service.simulate import names
from trace_service.simulate.names import CATALOG, CITIES, City
from trace_service.simulate.params import (
    BASE_RATES,
    LOAD_PER_COURIER,
    LOAD_PER_PICKUP,
    LOAD_PER_SORTER,
    MERCHANT_RATES,
    MIN_PAIR_VOLUME,
    SPREAD,
    SimulationParams,
    size_tier,
)
from trace_service.simulate.world import (
    ID_PREFIX,
    Branch,
    Company,
    Hidden,
    Merchant,
    Principal,
    Product,
    Unit,
    World,
    expected_volumes,
    serves,
)


class _Draw:
    """The world's random stream: party ids, keys and choices."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"trace-sim/{seed}/world")
        self.used: set[str] = set()  # party ids and credit codes handed out

    def party_id(self, kind: str) -> str:
        while True:
            candidate = f"{ID_PREFIX[kind]}-{self.rng.randbytes(5).hex()}"
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate

    def key(self, party_id: str) -> KeyHolder:
        return KeyHolder(nacl.signing.SigningKey(self.rng.randbytes(32)), party_id)

    def log_uniform(self, low: float, high: float) -> float:
        return math.exp(self.rng.uniform(math.log(low), math.log(high)))

    def hidden(self, base: dict[str, float] | None = None) -> Hidden:
        """A unit's hidden rates: a multiplier for the unit, a jitter per category."""
        u = self.rng.random()
        if u < SPREAD.bad_share:
            profile, factor = "bad", self.rng.uniform(*SPREAD.bad)
        elif u < SPREAD.bad_share + SPREAD.good_share:
            profile, factor = "good", self.rng.uniform(*SPREAD.good)
        else:
            profile, factor = "typical", self.log_uniform(*SPREAD.typical)
        j = SPREAD.category_jitter
        rates = {
            category: round(rate * factor * math.exp(self.rng.uniform(-j, j)), 1)
            for category, rate in (base or {}).items()
        }
        return Hidden(rates=rates, profile=profile)


def draw_world(params: SimulationParams) -> World:
    """The parties of a run sized for `params.parcels` (see params.SIZE_TIERS)."""
    d = _Draw(params.seed)
    n_companies, n_cities = size_tier(params.parcels)
    cities = list(CITIES[:n_cities])
    home = cities[0]
    regulator = _principal(d, "regulator", f"{home.name}市邮政管理局（模拟）", home, "11")
    platforms = [_principal(d, "platform", name, home) for name in names.PLATFORMS]
    companies = _companies(d, n_companies, cities)
    merchants = _merchants(d, params.parcels, cities, platforms, companies)
    _cover(params.parcels, cities, companies, merchants)
    _staff(d, params.parcels, cities, companies, merchants)
    _adversaries(d, params.parcels, companies, merchants)
    return World(params, cities, regulator, platforms, companies, merchants)


def _principal(d: _Draw, kind: str, name: str, city: City, authority: str = "91") -> Principal:
    party_id = d.party_id(kind)
    code = names.credit_code(d.rng, city, authority)
    while code in d.used:  # registration refuses a second party under one code
        code = names.credit_code(d.rng, city, authority)
    d.used.add(code)
    return Principal(party_id, kind, name, city, code, d.key(party_id))


def _companies(d: _Draw, count: int, cities: list[City]) -> list[Company]:
    shares = sorted((d.rng.uniform(0.6, 1.4) for _ in range(count)), reverse=True)
    total = sum(shares)
    companies = []
    for (name, prefix), share in zip(names.COMPANIES[:count], shares, strict=True):
        p = _principal(d, "courier_company", name, d.rng.choice(cities))
        unit = Unit(p.party_id, "company", name, p.party_id, p.city, None, p.key, code=p.code)
        companies.append(Company(unit, prefix, share / total))
    return companies


def _merchants(
    d: _Draw,
    parcels: int,
    cities: list[City],
    platforms: list[Principal],
    companies: list[Company],
) -> list[Merchant]:
    count = min(150, max(8, round(parcels / 2000)))
    merchants = []
    for index in range(count):
        city = d.rng.choices(cities, weights=[c.sellers for c in cities])[0]
        category = d.rng.choice(list(CATALOG))
        principal = _principal(d, "merchant", names.shop_name(d.rng, category), city)
        goods = CATALOG[category][1]
        products = [
            Product(names.product_gtin(index + 1, n + 1), name, weight, price)
            for n, (name, weight, price) in enumerate(goods)
        ]
        preferred: list[Company] = []
        for _ in range(d.rng.choice((1, 2, 2, 3))):
            pick = d.rng.choices(companies, weights=[c.share for c in companies])[0]
            if pick not in preferred:
                preferred.append(pick)
        merchants.append(
            Merchant(
                principal,
                d.rng.choice(platforms),
                category,
                products,
                d.log_uniform(0.3, 3.0),
                preferred,
                hidden=d.hidden(dict(MERCHANT_RATES)),
            )
        )
    for company in companies:  # every company has customers
        chosen = [m for m in merchants if company in m.companies]
        if not chosen:
            d.rng.choice(merchants).companies.append(company)
    total = sum(m.volume for m in merchants)
    for m in merchants:
        m.volume /= total
    return merchants


def _cover(
    parcels: int, cities: list[City], companies: list[Company], merchants: list[Merchant]
) -> None:
    """Decide where each company has a branch, and order companies by volume (largest first).

    The largest serves every city, so every parcel has a carrier; the others serve the cities
    where they would deliver MIN_PAIR_VOLUME parcels (the three biggest at least): regional
    carriers keep a small network from needing a courier per company and city. A merchant drops
    the couriers that have no branch in its own city.
    """
    by_demand = sorted(cities, key=lambda c: -c.demand)
    for company in companies:
        company.cities = list(by_demand)
    _, deliveries = expected_volumes(parcels, cities, companies, merchants)
    volume = {
        c.unit.party_id: sum(deliveries[(c.unit.party_id, city.name)] for city in cities)
        for c in companies
    }
    companies.sort(key=lambda c: -volume[c.unit.party_id])
    for company in companies[1:]:
        busy = [
            c for c in by_demand if deliveries[(company.unit.party_id, c.name)] >= MIN_PAIR_VOLUME
        ]
        company.cities = by_demand[: max(min(3, len(cities)), len(busy))]
    for m in merchants:
        m.companies = [c for c in m.companies if serves(c, m.principal.city)] or [companies[0]]


def _staff(
    d: _Draw,
    parcels: int,
    cities: list[City],
    companies: list[Company],
    merchants: list[Merchant],
) -> None:
    pickups, deliveries = expected_volumes(parcels, cities, companies, merchants)
    for company in companies:
        cid, short = company.unit.party_id, company.unit.name[:2]
        for city in company.cities:
            key = (cid, city.name)
            hub = _unit(d, "outlet", f"{short}{city.name}分拨中心", company, city, "hub")
            branch = company.branches[city.name] = Branch(company, city, hub)
            couriers = max(1, round(deliveries[key] / LOAD_PER_COURIER))
            n_pickup = math.ceil(pickups[key] / LOAD_PER_PICKUP)
            n_sorters = max(1, round((pickups[key] + deliveries[key]) / LOAD_PER_SORTER))
            n_outlets = max(1, math.ceil(max(couriers, n_pickup) / 3))
            first = d.rng.randrange(len(city.districts))
            for n in range(n_outlets):
                area = city.districts[(first + n) % len(city.districts)]
                number = "" if n < len(city.districts) else str(n // len(city.districts) + 1)
                name = f"{short}{city.name}{area}{number}营业部"
                branch.outlets.append(_unit(d, "outlet", name, company, city, "outlet"))
            for _ in range(n_sorters):
                branch.sorters.append(_staff_unit(d, "sorter", company, city, hub))
            for n in range(n_pickup):
                outlet = branch.outlets[n % n_outlets]
                branch.pickup.append(_staff_unit(d, "pickup", company, city, outlet))
            for n in range(couriers):
                outlet = branch.outlets[n % n_outlets]
                branch.couriers.append(_staff_unit(d, "last_mile", company, city, outlet))
                branch.courier_weights.append(d.rng.uniform(0.6, 1.4))
    for m in merchants:
        # Its own couriers, and the largest company for the destinations they do not reach.
        for company in dict.fromkeys([*m.companies, companies[0]]):
            staff = company.branches[m.principal.city.name].pickup
            if staff:  # none when the merchant never needs this company (no expected pickups)
                m.pickup[company.unit.party_id] = d.rng.choice(staff)


_DUTY_TITLE = {"pickup": "揽收员", "sorter": "分拣员", "last_mile": "派送员"}


def _unit(d: _Draw, role: str, name: str, company: Company, city: City, duty: str) -> Unit:
    party_id = d.party_id(role)
    return Unit(party_id, role, name, company.unit.party_id, city, duty, d.key(party_id))


def _staff_unit(d: _Draw, duty: str, company: Company, city: City, outlet: Unit) -> Unit:
    unit = _unit(d, "staff", f"{_DUTY_TITLE[duty]} {names.person_name(d.rng)}", company, city, duty)
    unit.outlet = outlet.party_id
    unit.hidden = d.hidden(dict(BASE_RATES[duty]))
    return unit


def _adversaries(
    d: _Draw, parcels: int, companies: list[Company], merchants: list[Merchant]
) -> None:
    """Mark the 空包 merchants, the victim and aggressor companies and the fabricating courier."""
    fakers = d.rng.sample(merchants, k=2 if parcels < 50_000 else 3)
    for m in fakers:
        m.hidden.flags.append("empty_parcel")
    # The victim is a large company (the second or third by volume): a campaign against a
    # carrier with few parcels would have few parcels to complain about.
    victim = d.rng.choice(companies[1:3])
    aggressor = d.rng.choice([c for c in companies if c is not victim])
    victim.unit.hidden.flags.append("victim")
    aggressor.unit.hidden.flags.append("aggressor")
    candidates = [
        u for c in companies if c is not victim for b in c.branches.values() for u in b.couriers
    ]
    typical = [u for u in candidates if u.hidden.profile == "typical"]
    d.rng.choice(typical or candidates).hidden.flags.append("fabricator")
