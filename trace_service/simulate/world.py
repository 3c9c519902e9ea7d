"""The simulated world: who exists, where, with which keys and which hidden fault rates, and
which couriers can carry a merchant's parcels where (draw.py draws it). Raises nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from trace_service.ledger.key_holder import KeyHolder
from trace_service.simulate.names import City
from trace_service.simulate.params import SimulationParams

# The party id prefixes identity.service gives each kind (it draws the rest; we supply it).
ID_PREFIX = {
    "platform": "plt",
    "merchant": "mer",
    "courier_company": "cor",
    "outlet": "out",
    "staff": "stf",
    "regulator": "reg",
}


@dataclass(eq=False)
class Principal:
    """A registered party that is not a rated courier unit (regulator, platform, merchant)."""

    party_id: str
    kind: str
    name: str
    city: City
    code: str
    key: KeyHolder


@dataclass
class Hidden:
    """A party's hidden truth: its fault rates and what actually happened to it."""

    rates: dict[str, float] = field(default_factory=dict)  # per million handled
    profile: str = "typical"  # typical, bad (far worse than peers) or good (far better)
    flags: list[str] = field(default_factory=list)  # fabricator, victim, aggressor, empty_parcel
    handled: int = 0
    faults: Counter[str] = field(default_factory=Counter)

    def sample(self, draw: float) -> str | None:
        """The fault category a uniform `draw` in [0, 1) lands on, or None (no fault)."""
        edge = 0.0
        for category, rate in self.rates.items():
            edge += rate / 1e6
            if draw < edge:
                return category
        return None


@dataclass(eq=False)
class Unit:
    """A rated courier unit: a company, an outlet (网点, or a hub 分拨中心) or a staff member."""

    party_id: str
    role: str  # company, outlet, staff
    name: str
    company: str  # the company's party id (its own for a company)
    city: City | None
    duty: str | None  # staff: pickup, sorter, last_mile; outlet: hub or outlet
    key: KeyHolder
    outlet: str | None = None
    code: str | None = None  # a company's unified social credit code
    hidden: Hidden = field(default_factory=Hidden)


@dataclass(eq=False)
class Branch:
    """One company's presence in one city: a hub with sorters, and outlets with their staff."""

    company: Company
    city: City
    hub: Unit
    outlets: list[Unit] = field(default_factory=list)
    pickup: list[Unit] = field(default_factory=list)
    sorters: list[Unit] = field(default_factory=list)
    couriers: list[Unit] = field(default_factory=list)
    courier_weights: list[float] = field(default_factory=list)


@dataclass(eq=False)
class Company:
    unit: Unit
    prefix: str  # waybill number prefix
    share: float
    cities: list[City] = field(default_factory=list)  # where it has a branch
    branches: dict[str, Branch] = field(default_factory=dict)  # by city name


@dataclass(frozen=True)
class Product:
    gtin: str  # GTIN-13
    name: str
    weight_g: int
    price: int  # yuan

    @property
    def gtin14(self) -> str:
        return "0" + self.gtin


@dataclass(eq=False)
class Merchant:
    principal: Principal
    platform: Principal
    category: str
    products: list[Product]
    volume: float  # relative share of all orders
    companies: list[Company]  # the couriers it ships with, most used first
    pickup: dict[str, Unit] = field(default_factory=dict)  # company id -> its pickup staff
    hidden: Hidden = field(default_factory=Hidden)


@dataclass
class World:
    params: SimulationParams
    cities: list[City]
    regulator: Principal
    platforms: list[Principal]
    companies: list[Company]
    merchants: list[Merchant]

    def units(self) -> list[Unit]:
        """Every courier unit, in registration order (companies, then each branch)."""
        found: list[Unit] = [c.unit for c in self.companies]
        for company in self.companies:
            for branch in company.branches.values():
                found += [branch.hub, *branch.outlets]
                found += [*branch.pickup, *branch.sorters, *branch.couriers]
        return found


def serves(company: Company, city: City) -> bool:
    return city in company.cities


def carriers(merchant: Merchant, destination: City, fallback: Company) -> list[Company]:
    """The companies that may carry a merchant's parcel to `destination`, most used first: its
    own couriers that serve both ends, else `fallback` (the largest, which is everywhere)."""
    origin = merchant.principal.city
    own = [c for c in merchant.companies if serves(c, origin) and serves(c, destination)]
    return own or [fallback]


Volumes = defaultdict[tuple[str, str], float]


def expected_volumes(
    parcels: int, cities: list[City], companies: list[Company], merchants: list[Merchant]
) -> tuple[Volumes, Volumes]:
    """Expected pickups and deliveries per (company id, city name) over the run."""
    pickups: Volumes = defaultdict(float)
    deliveries: Volumes = defaultdict(float)
    total = sum(c.demand for c in cities)
    for m in merchants:
        origin = m.principal.city
        for dest in cities:
            volume = parcels * m.volume * dest.demand / total
            options = carriers(m, dest, companies[0])
            for company, p in zip(options, preference(len(options)), strict=True):
                pickups[(company.unit.party_id, origin.name)] += volume * p
                deliveries[(company.unit.party_id, dest.name)] += volume * p
    return pickups, deliveries


def preference(count: int) -> list[float]:
    """How a merchant splits its parcels among `count` couriers: the first is used most."""
    weights = [1 / (rank + 1) for rank in range(count)]
    total = sum(weights)
    return [w / total for w in weights]
