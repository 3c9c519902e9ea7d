"""Registering the simulated world through the identity and product operations real clients use.

Registrars register parties (the regulator the platforms, couriers and their staff; each platform
its merchants), keys are enrolled at the start (courier companies enrol their staff's and
outlets' keys), and merchants register their products.

The identity service draws party ids at random unless the spec names one. For a run to be
reproducible from its seed (every event names party ids, so every hash depends on them), each
party is registered under the id drawn in world.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trace_service.identity import service as identity
from trace_service.identity.models import Party
from trace_service.lifecycle.products import register_product
from trace_service.simulate.world import Principal, Unit, World


class _Registrar:
    def __init__(self, session: Session, at: datetime) -> None:
        self.session = session
        self.at = at

    def party(
        self,
        party_id: str,
        spec: identity.PartySpec,
        registrar: Party | None,
        key_owner: Party | None = None,
        public_key: bytes = b"",
    ) -> Party:
        """Register one party under its drawn id and enrol its key (by `key_owner`, or itself)."""
        spec = replace(spec, party_id=party_id)
        if registrar is None:
            party = identity.bootstrap_registrar(self.session, spec, self.at)
        else:
            party = identity.register_party(self.session, registrar, spec, self.at)
        identity.enrol_key(self.session, key_owner or party, party.id, public_key, self.at)
        return party


def _spec(p: Principal) -> identity.PartySpec:
    return identity.PartySpec(p.kind, p.name, uscc=p.code, city=p.city.name)


def register_world(session: Session, world: World, at: datetime) -> None:
    """Register every party, key and product of `world` as of `at`, and commit.

    Raises RuntimeError if the database already holds parties (a simulation needs an empty
    one); the identity and product errors (DomainError) if a party or product is refused.
    """
    if session.scalar(select(func.count()).select_from(Party)):
        raise RuntimeError("the database already holds parties; a simulation needs an empty one")
    r = _Registrar(session, at)
    reg = world.regulator
    regulator = r.party(reg.party_id, _spec(reg), None, public_key=reg.key.public_key)
    platforms = {
        p.party_id: r.party(p.party_id, _spec(p), regulator, public_key=p.key.public_key)
        for p in world.platforms
    }
    companies: dict[str, Party] = {}
    for company in world.companies:
        u = company.unit
        spec = identity.PartySpec("courier_company", u.name, uscc=u.code, city=_city(u))
        companies[u.party_id] = r.party(u.party_id, spec, regulator, public_key=u.key.public_key)
    for m in world.merchants:
        p = m.principal
        merchant = r.party(
            p.party_id, _spec(p), platforms[m.platform.party_id], public_key=p.key.public_key
        )
        for product in m.products:
            register_product(
                session,
                merchant,
                {
                    "gtin": product.gtin,
                    "name": f"{m.principal.name} {product.name}",
                    "origin": f"{p.city.name}市",
                    "producer": p.name.removesuffix("旗舰店") + "有限公司",
                    "licences": [{"kind": "营业执照", "number": p.code}],
                },
                at,
            )
    units = world.units()
    # Outlets before staff (a staff member names its outlet); their company enrols the keys.
    for u in sorted(units, key=lambda u: u.role != "outlet"):
        if u.role == "company":
            continue
        spec = identity.PartySpec(
            u.role, u.name, company_id=u.company, outlet_id=u.outlet, city=_city(u)
        )
        r.party(u.party_id, spec, regulator, companies[u.company], u.key.public_key)
    session.commit()


def _city(unit: Unit) -> str | None:
    return None if unit.city is None else unit.city.name
