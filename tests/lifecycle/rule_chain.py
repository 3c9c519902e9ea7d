"""The lifecycle rules as pure functions, without a database: fixed signers and a world of parties,
payload builders for the nine lifecycle record types at minutes after T0, and a `Chain` that
keeps subject states as ingest does, so a test applies events and names the refusal it expects."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trace_service.ledger.envelope import key_id
from trace_service.ledger.record_errors import LifecycleViolation, SignerNotAllowed
from trace_service.ledger.record_rules import apply_event
from trace_service.ledger.records import referenced_subjects
from trace_service.ledger.transitions import PartyFacts, Signer, State, Transition, World
from trace_service.lifecycle.rules import PRODUCT_OWNERS
from trace_service.plumbing.timestamps import format_time

GTIN = "09506000134352"
OTHER_GTIN = "04006381333931"  # owned by another merchant
UNREGISTERED_GTIN = "00012345678905"
ITEM = f"01/{GTIN}/21/SN1"
ITEM2 = f"01/{GTIN}/21/SN2"
LOT = f"01/{GTIN}/10/LOT7"
FOREIGN_ITEM = f"01/{OTHER_GTIN}/21/X1"
PARCEL = "00/106141412345678908"
PARCEL2 = "wb/cor-a/SF1234567890"
T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)

MERCHANT = Signer("a000000000000001", "mer-a", "merchant")
MERCHANT2 = Signer("a000000000000002", "mer-b", "merchant")
PICKUP = Signer("b000000000000001", "stf-1", "staff", "cor-a")
HUB = Signer("b000000000000002", "stf-2", "staff", "cor-a")
LAST_MILE = Signer("b000000000000003", "stf-3", "staff", "cor-a")
RIVAL_STAFF = Signer("b000000000000009", "stf-9", "staff", "cor-b")
OUTLET = Signer("c000000000000001", "out-1", "outlet", "cor-a")
PLATFORM_SIGNER = Signer("d000000000000001", "plt-a", "platform")
REGULATOR = Signer("e000000000000001", "reg-a", "regulator")

BUYER_RAW = bytes(range(32))
BUYER_B64 = base64.b64encode(BUYER_RAW).decode()
BUYER = Signer(key_id(BUYER_RAW))  # a buyer key: no party behind it
STRANGER_RAW = bytes(range(1, 33))
STRANGER = Signer(key_id(STRANGER_RAW))


def facts(pid: str, kind: str, company: str | None = None, active: bool = True) -> Any:
    return PartyFacts(pid, kind, company, active)


WORLD = World(
    facts={PRODUCT_OWNERS: {GTIN: "mer-a", OTHER_GTIN: "mer-b"}},
    parties={
        "mer-a": facts("mer-a", "merchant"),
        "mer-b": facts("mer-b", "merchant"),
        "plt-a": facts("plt-a", "platform"),
        "plt-off": facts("plt-off", "platform", active=False),
        "cor-a": facts("cor-a", "courier_company"),
        "cor-b": facts("cor-b", "courier_company"),
        "cor-off": facts("cor-off", "courier_company", active=False),
        "stf-1": facts("stf-1", "staff", "cor-a"),
        "stf-2": facts("stf-2", "staff", "cor-a"),
        "stf-3": facts("stf-3", "staff", "cor-a"),
        "stf-9": facts("stf-9", "staff", "cor-b"),
    },
)


def at(minutes: int) -> str:
    return format_time(T0 + timedelta(minutes=minutes))


PRICE = {"amount": "88.00", "currency": "CNY"}
LOCATION = {"name": "上海转运中心", "city": "上海"}


def listing(subject: str = ITEM, platform: str = "plt-a", t: int = 0) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "listing",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "platform": platform,
        "listing_ref": "L-1",
        "price": PRICE,
    }


def sale(subject: str = ITEM, t: int = 1, buyer_key: str = BUYER_B64) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "sale",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "platform": "plt-a",
        "order_ref": "O-1",
        "price": PRICE,
        "buyer_key": buyer_key,
    }


def dispatch(
    subject: str = PARCEL,
    items: list[str] | None = None,
    t: int = 2,
    courier: str = "cor-a",
    promised: int = 3 * 24 * 60,
) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "dispatch",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "items": items if items is not None else [ITEM],
        "courier": courier,
        "declared_weight_g": 800,
        "promised_by": at(promised),
        "origin_city": "杭州",
        "destination_city": "上海",
        "recipient_commitment": "0" * 64,
    }


def handoff(
    giver: str, subject: str = PARCEL, t: int = 3, condition: str = "intact", weight: int = 800
) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "handoff",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "from": giver,
        "location": LOCATION,
        "condition": condition,
        "weight_g": weight,
    }


def delivery(subject: str = PARCEL, t: int = 5, method: str = "in_person") -> dict[str, Any]:
    return {
        "v": 1,
        "type": "delivery",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "method": method,
        "consent": True,
        "location": LOCATION,
        "condition": "intact",
        "weight_g": 800,
    }


def receipt(subject: str = PARCEL, t: int = 6) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "receipt",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "condition": "intact",
    }


def review(subject: str = ITEM, t: int = 7) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "review",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "score": 5,
        "text": "好",
    }


def complaint(subject: str = PARCEL, t: int = 8) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "complaint",
        "subject": subject,
        "prev": None,
        "time": at(t),
        "category": "delayed",
        "description": "迟到",
    }


def commitment(party: str = "mer-a", t: int = 0) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "commitment",
        "subject": f"party/{party}",
        "prev": None,
        "time": at(t),
        "standard": "GB/T 1",
        "text": "守信承诺",
    }


class Chain:
    """Subject states as ingest keeps them: apply an event, keep the states it changed."""

    def __init__(self, world: World = WORLD) -> None:
        self.world = world
        self.states: dict[str, State] = {}

    def apply(self, payload: dict[str, Any], *signers: Signer) -> Transition:
        involved = referenced_subjects(payload, self.states.get)
        states = {s: self.states.get(s) for s in involved}
        before = copy.deepcopy(states)
        transition = apply_event(payload, list(signers), states, self.world)
        assert states == before, "apply_event must not change the states it is given"
        self.states.update(transition.states)
        return transition

    def refuse(self, payload: dict[str, Any], *signers: Signer) -> Any:
        """Apply an event that must be refused; the states stay as they were."""
        before = copy.deepcopy(self.states)
        with pytest.raises((LifecycleViolation, SignerNotAllowed)) as info:
            self.apply(payload, *signers)
        assert self.states == before
        return info.value

    # Steps of the happy path, each on top of the previous ones.
    def sold(self, item: str = ITEM) -> Chain:
        self.apply(listing(item), MERCHANT)
        self.apply(sale(item), MERCHANT)
        return self

    def dispatched(self) -> Chain:
        self.sold()
        self.apply(dispatch(), MERCHANT, PICKUP)
        return self

    def handed_off(self) -> Chain:
        self.dispatched()
        self.apply(handoff("stf-1"), HUB)
        self.apply(handoff("stf-2", t=4), LAST_MILE)
        return self

    def delivered(self) -> Chain:
        self.handed_off()
        self.apply(delivery(), LAST_MILE)
        return self

    def received(self) -> Chain:
        self.delivered()
        self.apply(receipt(), BUYER)
        return self


def refused(chain: Chain, payload: dict[str, Any], *signers: Signer, code: str, status: int) -> Any:
    error = chain.refuse(payload, *signers)
    assert error.code == code, error.detail
    assert error.status == status
    assert error.problem()["code"] == code
    return error
