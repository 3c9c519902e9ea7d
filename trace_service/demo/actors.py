"""Demo actors: registering parties and signing their events on a simulated clock."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from biip.checksums import gs1_standard_check_digit
from sqlalchemy.orm import Session

from trace_service.errors import DomainError
from trace_service.identity import service as identity
from trace_service.ledger.key_holder import KeyHolder
from trace_service.lifecycle.compose import payload, recipient, sign, submission
from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.lifecycle.receipts import Receipt


def gtin13(body12: str) -> str:
    return body12 + str(gs1_standard_check_digit(body12))


def sscc(serial_reference: int) -> str:
    # Extension digit 0, GS1 China company prefix 6901234, 9-digit serial reference.
    body = f"06901234{serial_reference:09d}"
    return body + str(gs1_standard_check_digit(body))


def uscc(base17: str) -> str:
    from stdnum.cn import uscc as code

    return base17 + code.calc_check_digit(base17)


@dataclass
class DemoParty:
    party_id: str
    kind: str
    name: str
    key: KeyHolder
    credential: str

    def as_json(self) -> dict[str, Any]:
        return {
            "party_id": self.party_id,
            "kind": self.kind,
            "name": self.name,
            "keyid": self.key.keyid,
            "private_key": base64.b64encode(bytes(self.key.signing_key)).decode(),
            "public_key": self.key.public_b64,
            "credential": self.credential,
        }


@dataclass
class Demo:
    """Drives the demo story with a simulated clock that only moves forward."""

    session: Session
    ctx: IngestContext
    clock: datetime
    parties: dict[str, DemoParty] = field(default_factory=dict)
    buyers: dict[str, KeyHolder] = field(default_factory=dict)
    heads: dict[str, str | None] = field(default_factory=dict)

    def tick(self, **delta: float) -> datetime:
        self.clock += timedelta(**delta)
        return self.clock

    def register(
        self,
        role: str,
        kind: str,
        name: str,
        registrar: str | None = None,
        company: str | None = None,
        code: str | None = None,
        city: str | None = None,
        outlet: str | None = None,
    ) -> DemoParty:
        spec = identity.PartySpec(
            kind,
            name,
            uscc=code,
            city=city,
            company_id=self.parties[company].party_id if company else None,
            outlet_id=self.parties[outlet].party_id if outlet else None,
        )
        if registrar is None:
            party = identity.bootstrap_registrar(self.session, spec, self.clock)
        else:
            by = identity.get_party(self.session, self.parties[registrar].party_id)
            party = identity.register_party(self.session, by, spec, self.clock)
        holder = KeyHolder(party_id=party.id)
        identity.enrol_key(self.session, party, party.id, holder.public_key, self.clock)
        token = identity.issue_credential(self.session, party.id, self.clock)
        self.session.commit()
        self.parties[role] = DemoParty(party.id, kind, name, holder, token)
        return self.parties[role]

    def record(
        self,
        kind: str,
        subject: str,
        *signers: str,
        personal: Any = None,
        hours: float = 1,
        **fields: Any,
    ) -> Receipt:
        """Sign an event as the named demo parties (or buyers) and ingest it."""
        at = self.tick(hours=hours)
        keys = [self.buyers[s] if s in self.buyers else self.parties[s].key for s in signers]
        envelope = sign(payload(kind, subject, self.heads.get(subject), at, **fields), *keys)
        [outcome] = ingest(self.session, [submission(envelope, personal)], self.ctx, at)
        if isinstance(outcome, DomainError):
            raise RuntimeError(f"demo event {kind} on {subject} refused: {outcome.problem()}")
        self.heads[subject] = outcome.hash
        return outcome

    def sell(self, item: str, merchant: str, buyer: str, price: str) -> None:
        money = {"amount": price, "currency": "CNY"}
        platform = self.parties["platform"].party_id
        self.record(
            "listing",
            item,
            merchant,
            platform=platform,
            listing_ref=f"L{len(self.heads)}",
            price=money,
            commitment="正品保证 · 七天无理由退货",
        )
        self.buyers.setdefault(buyer, KeyHolder())
        self.record(
            "sale",
            item,
            merchant,
            hours=30,
            platform=platform,
            order_ref=f"O{len(self.heads)}",
            price=money,
            buyer_key=self.buyers[buyer].public_b64,
        )

    def dispatch(
        self,
        parcel: str,
        items: list[str],
        merchant: str,
        pickup: str,
        courier: str,
        weight: int,
        to_city: str,
        from_city: str,
        person: tuple[str, str, str],
    ) -> None:
        personal, commitment = recipient(*person)
        self.record(
            "dispatch",
            parcel,
            merchant,
            pickup,
            personal=personal,
            hours=2,
            items=items,
            courier=self.parties[courier].party_id,
            declared_weight_g=weight,
            promised_by=self.clock + timedelta(days=3, hours=2),
            origin_city=from_city,
            destination_city=to_city,
            recipient_commitment=commitment,
        )

    def handoff(
        self,
        parcel: str,
        giver: str,
        receiver: str,
        place: str,
        city: str,
        weight: int,
        condition: str = "intact",
        hours: float = 8,
    ) -> None:
        self.record(
            "handoff",
            parcel,
            receiver,
            hours=hours,
            from_=self.parties[giver].party_id,
            location={"name": place, "city": city},
            condition=condition,
            weight_g=weight,
        )

    def deliver(
        self,
        parcel: str,
        staff: str,
        method: str,
        consent: bool,
        place: str,
        city: str,
        weight: int,
        condition: str = "intact",
    ) -> None:
        self.record(
            "delivery",
            parcel,
            staff,
            hours=6,
            method=method,
            consent=consent,
            location={"name": place, "city": city},
            condition=condition,
            weight_g=weight,
        )
