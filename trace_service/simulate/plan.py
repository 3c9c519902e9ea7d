"""Planning parcels: who sends what to whom, with which courier, along which route.

A parcel travels pickup staff → origin hub sorter → destination hub sorter → last-mile courier
(one hub when it stays in its city); life.py plans what happens to it on the way.
Raises nothing.
"""

from __future__ import annotations

import random
from collections import deque

import nacl.signing

from trace_service.ledger.key_holder import KeyHolder
from trace_service.simulate import names
from trace_service.simulate.life import Life
from trace_service.simulate.names import City
from trace_service.simulate.params import BEHAVIOUR
from trace_service.simulate.parcel import Parcel
from trace_service.simulate.timing import HOUR, promise_hours
from trace_service.simulate.world import Company, Merchant, Unit, World, carriers, preference

B = BEHAVIOUR


class Planner:
    """Plans parcels one by one from the run's random stream."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.serial = 0
        self.outlets = {u.party_id: u for u in world.units() if u.role == "outlet"}
        self.merchant_weights = [m.volume for m in world.merchants]
        self.city_weights = [c.demand for c in world.cities]

    def plan(self, t: int) -> Parcel:
        """A parcel dispatched at `t` (epoch seconds), with every step of its life planned."""
        rng, world = self.rng, self.world
        merchant = rng.choices(world.merchants, weights=self.merchant_weights)[0]
        fake = "empty_parcel" in merchant.hidden.flags and rng.random() < B.fake_order_share
        destination = rng.choices(world.cities, weights=self.city_weights)[0]
        options = carriers(merchant, destination, world.companies[0])
        company = rng.choices(options, weights=preference(len(options)))[0]
        route, places = self._route(merchant, company, destination)
        # Most orders are one item; a parcel of several is one sale per item.
        count = min(len(merchant.products), rng.choices((1, 2, 3), weights=(75, 20, 5))[0])
        products = rng.sample(merchant.products, k=count)
        content = sum(p.weight_g for p in products)
        declared = rng.randint(5, 25) if fake else content + rng.randint(40, 150)
        origin = merchant.principal.city
        self.serial += 1
        parcel = Parcel(
            waybill=f"wb/{company.unit.party_id}/{company.prefix}{self.serial:012d}",
            merchant=merchant,
            company=company,
            buyer=KeyHolder(nacl.signing.SigningKey(rng.randbytes(32))),
            fake=fake,
            products=products,
            origin=origin,
            destination=destination,
            route=route,
            places=places,
            declared_g=declared,
            promised_by=t + promise_hours(origin, destination) * HOUR,
            recipient=(
                names.person_name(rng),
                names.masked_phone(rng),
                names.address(rng, destination),
            ),
        )
        life = Life(rng, parcel, t, 0 if fake else content)  # a fake parcel is an empty box
        parcel.steps = deque(life.steps())
        return parcel

    def _route(
        self, merchant: Merchant, company: Company, destination: City
    ) -> tuple[list[Unit], list[tuple[str, str]]]:
        rng = self.rng
        origin = merchant.principal.city
        start, end = company.branches[origin.name], company.branches[destination.name]
        route = [merchant.pickup[company.unit.party_id], rng.choice(start.sorters)]
        places = [("", ""), (start.hub.name, origin.name)]
        if destination is not origin:
            route.append(rng.choice(end.sorters))
            places.append((end.hub.name, destination.name))
        courier = rng.choices(end.couriers, weights=end.courier_weights)[0]
        route.append(courier)
        places.append((self.outlets[str(courier.outlet)].name, destination.name))
        return route, places
