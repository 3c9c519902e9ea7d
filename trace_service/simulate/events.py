"""Turning planned steps into signed submissions, exactly as clients compose them.

Payloads are built with lifecycle.compose (payload, sign, submission) and signed with the
parties' enrolled keys or the buyer's key. The emitter keeps every chain head itself (an envelope's
hash is known once it is signed), so a whole batch can be composed before ingest sees it; the
driver then checks that ingest accepted each event with that very hash.

Items are lots (`01/<gtin14>/10/<lot>`): one listing serves many sales, so an order costs one
sale event, not a listing and a sale. A lot is retired after a few dozen sales, because its
subject state lists every buyer and would otherwise grow without bound.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trace_service.ledger.key_holder import KeyHolder
from trace_service.lifecycle.compose import payload, sign, submission
from trace_service.lifecycle.personal_data import commitment
from trace_service.plumbing.timestamps import format_time
from trace_service.simulate.params import ORDER_LEAD
from trace_service.simulate.parcel import Parcel, Step
from trace_service.simulate.world import Merchant, Product, Unit, World

LOT_SALES = (30, 90)  # sales per lot, drawn uniformly
_LEAD_S = int(ORDER_LEAD.total_seconds())


@dataclass(frozen=True, slots=True)
class Expect:
    """What ingest must answer for one submission: a receipt with `hash`, or for a deliberate
    adversarial event the refusal `refusal`. A complaint carries its truth record."""

    hash: str
    refusal: str | None = None
    truth: dict[str, Any] | None = None


Outbox = list[tuple[dict[str, Any], Expect]]


@dataclass(slots=True)
class _Lot:
    subject: str
    head: str | None
    last: int  # the time of the latest event touching the lot (its rules' clock)
    left: int  # sales before it is retired


def _at(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Emitter:
    """Signs each step's events; keeps chain heads, lots and what each party handled."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.current: dict[str, _Lot] = {}  # by GTIN: the lot now on sale
        self.lots: dict[str, _Lot] = {}  # by subject: every lot (reviews come late)
        self.events = 0
        aggressor = next(c for c in world.companies if "aggressor" in c.unit.hidden.flags)
        self.aggressor = aggressor.unit

    def emit(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        """Append the submissions of `step` to `out`; raises KeyError for an unknown step."""
        handlers = {
            "order": self._order,
            "handoff": self._handoff,
            "delivery": self._delivery,
            "receipt": self._receipt,
            "review": self._review,
            "complaint": self._complaint,
            "attempt": self._attempt,
        }
        handlers[step.kind](parcel, step, out)

    def _add(
        self,
        out: Outbox,
        body: dict[str, Any],
        keys: list[KeyHolder],
        personal: dict[str, Any] | None = None,
        refusal: str | None = None,
        truth: dict[str, Any] | None = None,
    ) -> str:
        envelope = sign(body, *keys)
        out.append((submission(envelope, personal), Expect(envelope.hash, refusal, truth)))
        self.events += 1
        return envelope.hash

    def _parcel_event(
        self,
        parcel: Parcel,
        step: Step,
        out: Outbox,
        kind: str,
        keys: list[KeyHolder],
        **fields: Any,
    ) -> None:
        body = payload(kind, parcel.waybill, parcel.head, _at(step.time), **fields)
        parcel.head = self._add(out, body, keys)

    def _lot(self, merchant: Merchant, product: Product, at: int, out: Outbox) -> _Lot:
        """The lot of `product` now on sale, listing a new one when the last is sold out."""
        lot = self.current.get(product.gtin)
        if lot is not None and lot.left > 0:
            return lot
        code = f"{product.gtin[-5:]}-{_at(at):%y%m%d}-{self.rng.randrange(100):02d}"
        subject = f"01/{product.gtin14}/10/{code}"
        while subject in self.lots:
            subject += "A"
        body = payload(
            "listing",
            subject,
            None,
            _at(at),
            platform=merchant.platform.party_id,
            listing_ref=f"L{code}",
            price=_price(product.price),
            commitment="正品保证 · 七天无理由退货",
        )
        head = self._add(out, body, [merchant.principal.key])
        lot = _Lot(subject, head, at, self.rng.randint(*LOT_SALES))
        self.current[product.gtin] = self.lots[subject] = lot
        return lot

    def _order(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        """Sale of each item to the buyer, then the dispatch countersigned by the pickup staff.

        The sale comes straight before the dispatch in the batch: a dispatch names the lot's
        latest buyer, so no other sale of the lot may come between them.
        """
        rng, merchant, t = self.rng, parcel.merchant, step.time
        pickup = parcel.route[0]
        _count(pickup, step.fault)
        merchant.hidden.handled += 1
        if parcel.fake:
            merchant.hidden.faults["empty_parcel"] += 1
        elif step.category:
            merchant.hidden.faults[step.category] += 1
        buyer = base64.b64encode(parcel.buyer.public_key).decode()
        for product in parcel.products:
            ordered = t - rng.randrange(600, _LEAD_S)
            lot = self._lot(merchant, product, ordered, out)
            at = max(lot.last, ordered)
            order_ref = f"{_at(at):%Y%m%d}{parcel.waybill[-12:]}{len(parcel.lots)}"
            body = payload(
                "sale",
                lot.subject,
                lot.head,
                _at(at),
                platform=merchant.platform.party_id,
                order_ref=order_ref,
                price=_price(product.price * rng.uniform(0.85, 1)),
                buyer_key=buyer,
            )
            lot.head = self._add(out, body, [merchant.principal.key])
            lot.last, lot.left = t, lot.left - 1
            parcel.lots.append(lot.subject)
        name, phone, address = parcel.recipient
        fields = {"name": name, "phone": phone, "address": address}
        # What compose.recipient builds, with a salt from the run's stream instead of os.urandom:
        # the commitment is in the signed payload, so a random salt would change every hash.
        salt = rng.randbytes(16)
        personal = {"salt": base64.b64encode(salt).decode(), "recipient": fields}
        body = payload(
            "dispatch",
            parcel.waybill,
            None,
            _at(t),
            items=parcel.lots,
            courier=parcel.company.unit.party_id,
            declared_weight_g=parcel.declared_g,
            promised_by=_at(parcel.promised_by),
            origin_city=parcel.origin.name,
            destination_city=parcel.destination.name,
            recipient_commitment=commitment(salt, fields),
        )
        parcel.head = self._add(out, body, [merchant.principal.key, pickup.key], personal)

    def _handoff(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        receiver, giver = parcel.route[step.index], parcel.route[step.index - 1]
        _count(receiver, step.fault)
        name, city = parcel.places[step.index]
        # The receiver signs its acceptance; the giver countersigns the transfer.
        self._parcel_event(
            parcel,
            step,
            out,
            "handoff",
            [receiver.key, giver.key],
            from_=giver.party_id,
            location={"name": name, "city": city},
            condition=step.condition,
            weight_g=step.weight_g,
        )

    def _delivery(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        self._parcel_event(
            parcel,
            step,
            out,
            "delivery",
            [parcel.route[-1].key],
            method=step.method,
            consent=step.consent,
            location={"name": step.place, "city": parcel.destination.name},
            condition=step.condition,
            weight_g=step.weight_g,
        )

    def _receipt(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        self._parcel_event(parcel, step, out, "receipt", [parcel.buyer], condition=step.condition)
        for subject in parcel.lots:  # a receipt also moves its items' clocks
            lot = self.lots[subject]
            lot.last = max(lot.last, step.time)

    def _review(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        lot = self.lots[parcel.lots[0]]
        body = payload(
            "review", lot.subject, lot.head, _at(step.time), score=step.score, text=step.text
        )
        lot.head = self._add(out, body, [parcel.buyer])
        lot.last = step.time

    def _attempt(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        """The competitor signs a complaint itself: the rules must refuse it (it is no party to
        the parcel), so the parcel's head does not move."""
        body = payload(
            "complaint",
            parcel.waybill,
            parcel.head,
            _at(step.time),
            category=step.category,
            description=step.text,
        )
        attempt = {"parcel": parcel.waybill, "signer": self.aggressor.party_id}
        attempt["category"] = step.category
        self._add(out, body, [self.aggressor.key], refusal="not_party_to_subject", truth=attempt)

    def _complaint(self, parcel: Parcel, step: Step, out: Outbox) -> None:
        signers = {
            "buyer": (parcel.buyer, None),
            "platform": (parcel.merchant.platform.key, parcel.merchant.platform.party_id),
            "merchant": (parcel.merchant.principal.key, parcel.merchant.principal.party_id),
        }
        key, party = signers[step.signer]
        truth = dict(step.truth or {})
        signer = {"kind": step.signer, "party_id": party}
        when = format_time(_at(step.time))
        truth = {"parcel": parcel.waybill, "time": when, **truth, "signer": signer}
        body = payload(
            "complaint",
            parcel.waybill,
            parcel.head,
            _at(step.time),
            category=step.category,
            description=step.text,
        )
        parcel.head = self._add(out, body, [key], truth=truth)


def _count(unit: Unit, fault: str | None) -> None:
    unit.hidden.handled += 1
    if fault is not None:
        unit.hidden.faults[fault] += 1


def _price(amount: float) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": "CNY"}
