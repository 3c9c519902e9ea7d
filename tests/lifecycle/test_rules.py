"""The lifecycle rules as pure functions: every violation has its own stable code (no database)."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trace_service.ledger.envelope import key_id
from trace_service.ledger.record_errors import LifecycleViolation, SignerNotAllowed
from trace_service.ledger.record_rules import apply_event, check_signing_time
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


# --- the happy path ---------------------------------------------------------------------------


def test_full_journey_states():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    item = chain.states[ITEM]
    assert item["status"] == "listed" and item["merchant"] == "mer-a" and item["listings"] == 1
    assert item["last_time"] == at(0) and item["lot"] is False

    transition = chain.apply(sale(), MERCHANT)
    assert transition.buyer_key == BUYER_RAW
    assert chain.states[ITEM]["status"] == "sold"
    assert chain.states[ITEM]["buyers"] == [BUYER.keyid]

    transition = chain.apply(dispatch(), MERCHANT, PICKUP)
    assert transition.parcel_items == (ITEM,)
    assert set(transition.states) == {PARCEL, ITEM}
    parcel = chain.states[PARCEL]
    assert parcel["status"] == "in_transit"
    assert parcel["custodian"] == "stf-1" and parcel["custodian_company"] == "cor-a"
    assert parcel["buyers"] == [BUYER.keyid] and parcel["items"] == [ITEM]
    assert chain.states[ITEM]["status"] == "dispatched"
    assert chain.states[ITEM]["parcels"] == [PARCEL]

    chain.apply(handoff("stf-1", condition="damaged", weight=790), HUB)
    parcel = chain.states[PARCEL]
    assert parcel["custodian"] == "stf-2" and parcel["handoffs"] == 1
    assert parcel["condition"] == "damaged" and parcel["weight_g"] == 790
    # the giver may countersign a handoff
    chain.apply(handoff("stf-2", t=4), LAST_MILE, HUB)
    assert chain.states[PARCEL]["custodian"] == "stf-3"
    assert chain.states[PARCEL]["handoffs"] == 2

    chain.apply(delivery(method="locker"), LAST_MILE)
    parcel = chain.states[PARCEL]
    assert parcel["status"] == "delivered" and parcel["delivered_by"] == "stf-3"
    assert parcel["delivery_method"] == "locker" and parcel["consent"] is True

    transition = chain.apply(receipt(), BUYER)
    assert set(transition.states) == {PARCEL, ITEM}
    assert chain.states[PARCEL]["status"] == "received"
    assert chain.states[ITEM]["status"] == "received"
    assert chain.states[ITEM]["received_by"] == [BUYER.keyid]

    chain.apply(review(), BUYER)
    assert chain.states[ITEM]["reviewed_by"] == [BUYER.keyid]
    assert chain.states[ITEM]["last_time"] == at(7)

    chain.apply(complaint(), BUYER)
    chain.apply(complaint(ITEM, t=9), MERCHANT)
    chain.apply(complaint(PARCEL, t=10), REGULATOR)
    chain.apply(complaint(PARCEL, t=11), PLATFORM_SIGNER)
    assert chain.states[PARCEL]["complaints"] == 3
    assert chain.states[ITEM]["complaints"] == 1


def test_lot_can_be_listed_again_and_sold_many_times():
    chain = Chain()
    chain.apply(listing(LOT), MERCHANT)
    chain.apply(listing(LOT, t=1), MERCHANT)
    assert chain.states[LOT]["listings"] == 2 and chain.states[LOT]["lot"] is True
    chain.apply(sale(LOT, t=2), MERCHANT)
    chain.apply(sale(LOT, t=3, buyer_key=base64.b64encode(STRANGER_RAW).decode()), MERCHANT)
    assert chain.states[LOT]["status"] == "listed"
    assert chain.states[LOT]["buyers"] == [BUYER.keyid, STRANGER.keyid]
    # a lot in one parcel does not stop it from being dispatched in another
    chain.apply(dispatch(PARCEL, [LOT], t=4), MERCHANT, PICKUP)
    chain.apply(dispatch(PARCEL2, [LOT], t=5), MERCHANT, PICKUP)
    assert chain.states[LOT]["parcels"] == [PARCEL, PARCEL2]
    # the second parcel goes to the lot's latest buyer
    assert chain.states[PARCEL2]["buyers"] == [STRANGER.keyid]


def test_outlet_may_take_custody_and_deliver():
    chain = Chain().dispatched()
    chain.apply(handoff("stf-1"), OUTLET)
    chain.apply(delivery(method="station"), OUTLET)
    assert chain.states[PARCEL]["delivered_by"] == "out-1"


def test_commitment_counts():
    chain = Chain()
    chain.apply(commitment(), MERCHANT)
    chain.apply(commitment(t=1), MERCHANT)
    assert chain.states["party/mer-a"]["commitments"] == 2


def test_same_time_as_previous_event_is_allowed():
    chain = Chain()
    chain.apply(listing(t=5), MERCHANT)
    chain.apply(sale(t=5), MERCHANT)
    assert chain.states[ITEM]["status"] == "sold"


# --- listing and sale -------------------------------------------------------------------------


def test_unknown_product():
    refused(
        Chain(),
        listing(f"01/{UNREGISTERED_GTIN}/21/A"),
        MERCHANT,
        code="unknown_product",
        status=409,
    )


def test_not_product_owner_lists():
    refused(Chain(), listing(), MERCHANT2, code="not_product_owner", status=403)


def test_not_product_owner_sells():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    refused(chain, sale(), MERCHANT2, code="not_product_owner", status=403)


def test_already_sold_cannot_be_relisted_or_sold_again():
    chain = Chain().sold()
    refused(chain, listing(t=2), MERCHANT, code="already_sold", status=409)
    refused(chain, sale(t=2), MERCHANT, code="already_sold", status=409)


def test_not_listed():
    refused(Chain(), sale(), MERCHANT, code="not_listed", status=409)


def test_invalid_buyer_key():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    short = base64.b64encode(b"x" * 31).decode()
    refused(chain, sale(buyer_key=short), MERCHANT, code="invalid_buyer_key", status=409)


@pytest.mark.parametrize(
    "signers",
    [(PICKUP,), (MERCHANT, MERCHANT2), (BUYER,), ()],
    ids=["staff", "two merchants", "buyer key", "nobody"],
)
def test_wrong_signer_of_listing(signers):
    refused(Chain(), listing(), *signers, code="wrong_signer", status=403)


def test_wrong_signer_of_sale():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    refused(chain, sale(), MERCHANT, PICKUP, code="wrong_signer", status=403)


@pytest.mark.parametrize(
    ("platform", "code"),
    [("plt-zz", "unknown_party"), ("mer-b", "unknown_party"), ("plt-off", "party_inactive")],
    ids=["unregistered", "not a platform", "inactive"],
)
def test_listing_platform_must_be_an_active_platform(platform, code):
    refused(Chain(), listing(platform=platform), MERCHANT, code=code, status=409)


# --- dispatch ---------------------------------------------------------------------------------


def test_countersignature_required():
    chain = Chain().sold()
    refused(chain, dispatch(), MERCHANT, code="countersignature_required", status=403)
    refused(chain, dispatch(), MERCHANT, PICKUP, HUB, code="countersignature_required", status=403)


def test_dispatch_without_merchant_is_wrong_signer():
    chain = Chain().sold()
    refused(chain, dispatch(), PICKUP, code="wrong_signer", status=403)
    refused(chain, dispatch(), MERCHANT, MERCHANT2, PICKUP, code="wrong_signer", status=403)


def test_staff_not_of_courier():
    chain = Chain().sold()
    refused(chain, dispatch(), MERCHANT, RIVAL_STAFF, code="staff_not_of_courier", status=403)


@pytest.mark.parametrize(
    ("courier", "code"),
    [("cor-zz", "unknown_party"), ("stf-1", "unknown_party"), ("cor-off", "party_inactive")],
    ids=["unregistered", "staff as courier", "inactive"],
)
def test_dispatch_courier_must_be_an_active_courier_company(courier, code):
    chain = Chain().sold()
    refused(chain, dispatch(courier=courier), MERCHANT, PICKUP, code=code, status=409)


@pytest.mark.parametrize("promised", [2, 1], ids=["equal", "before"])
def test_promise_in_past(promised):
    chain = Chain().sold()
    refused(
        chain, dispatch(promised=promised), MERCHANT, PICKUP, code="promise_in_past", status=409
    )


def test_duplicate_item():
    chain = Chain().sold()
    refused(
        chain, dispatch(items=[ITEM, ITEM]), MERCHANT, PICKUP, code="duplicate_item", status=409
    )


def test_item_never_listed_is_not_sold():
    chain = Chain().sold()
    error = refused(
        chain, dispatch(items=[ITEM, ITEM2]), MERCHANT, PICKUP, code="item_not_sold", status=409
    )
    assert error.extensions["item"] == ITEM2


def test_item_listed_but_not_sold():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    refused(chain, dispatch(), MERCHANT, PICKUP, code="item_not_sold", status=409)


def test_parcel_cannot_be_an_item():
    chain = Chain().sold()
    chain.apply(dispatch(), MERCHANT, PICKUP)
    refused(
        chain,
        dispatch(PARCEL2, items=[PARCEL], t=3),
        MERCHANT,
        PICKUP,
        code="item_not_sold",
        status=409,
    )


def test_not_item_owner():
    chain = Chain()
    chain.apply(listing(FOREIGN_ITEM), MERCHANT2)
    chain.apply(sale(FOREIGN_ITEM), MERCHANT2)
    chain.sold()
    refused(
        chain,
        dispatch(items=[ITEM, FOREIGN_ITEM]),
        MERCHANT,
        PICKUP,
        code="not_item_owner",
        status=403,
    )


def test_item_already_dispatched():
    chain = Chain().dispatched()
    refused(
        chain, dispatch(PARCEL2, t=3), MERCHANT, PICKUP, code="item_already_dispatched", status=409
    )


def test_parcel_exists():
    chain = Chain().dispatched()
    chain.apply(listing(ITEM2, t=3), MERCHANT)
    chain.apply(sale(ITEM2, t=3), MERCHANT)
    refused(chain, dispatch(items=[ITEM2], t=4), MERCHANT, PICKUP, code="parcel_exists", status=409)


# --- handoff and delivery ---------------------------------------------------------------------


def test_handoff_of_unknown_parcel():
    refused(Chain(), handoff("stf-1"), HUB, code="unknown_subject", status=409)


def test_handoff_from_a_non_holder():
    chain = Chain().dispatched()
    error = refused(chain, handoff("stf-2"), LAST_MILE, code="not_holder", status=403)
    assert error.extensions["holder"] == "stf-1"


def test_handoff_from_a_former_holder():
    chain = Chain().handed_off()  # stf-1 -> stf-2 -> stf-3
    refused(chain, handoff("stf-1", t=6), HUB, code="not_holder", status=403)


def test_handoff_signed_only_by_the_giver_is_wrong_signer():
    chain = Chain().dispatched()
    refused(chain, handoff("stf-1"), PICKUP, code="wrong_signer", status=403)


@pytest.mark.parametrize(
    "signers",
    [(HUB, LAST_MILE), (MERCHANT,), (BUYER,)],
    ids=["two receivers", "merchant", "buyer key"],
)
def test_handoff_wrong_receiver(signers):
    chain = Chain().dispatched()
    refused(chain, handoff("stf-1"), *signers, code="wrong_signer", status=403)


def test_delivery_by_a_non_holder():
    chain = Chain().dispatched()  # stf-1 holds it
    error = refused(chain, delivery(), LAST_MILE, code="not_holder", status=403)
    assert error.extensions["holder"] == "stf-1"


def test_delivery_by_a_merchant_is_wrong_signer():
    chain = Chain().dispatched()
    refused(chain, delivery(), MERCHANT, code="wrong_signer", status=403)
    refused(chain, delivery(), PICKUP, HUB, code="wrong_signer", status=403)


def test_not_in_transit_after_delivery():
    chain = Chain().delivered()
    refused(chain, handoff("stf-3", t=6), HUB, code="not_in_transit", status=409)
    refused(chain, delivery(t=6), LAST_MILE, code="not_in_transit", status=409)


# --- receipt, review, complaint, commitment ---------------------------------------------------


def test_receipt_before_delivery():
    chain = Chain().handed_off()
    refused(chain, receipt(), BUYER, code="receipt_before_delivery", status=409)


def test_already_received():
    chain = Chain().received()
    refused(chain, receipt(t=7), BUYER, code="already_received", status=409)


@pytest.mark.parametrize(
    "signers",
    [(STRANGER,), (MERCHANT,), (LAST_MILE,), (BUYER, STRANGER)],
    ids=["another buyer key", "merchant", "courier", "two keys"],
)
def test_receipt_not_buyer(signers):
    chain = Chain().delivered()
    refused(chain, receipt(), *signers, code="not_buyer", status=403)


def test_review_without_receipt():
    chain = Chain().delivered()
    refused(chain, review(), BUYER, code="review_without_receipt", status=409)


def test_review_not_buyer():
    chain = Chain().received()
    refused(chain, review(), STRANGER, code="not_buyer", status=403)
    refused(chain, review(), MERCHANT, code="not_buyer", status=403)


def test_already_reviewed():
    chain = Chain().received()
    chain.apply(review(), BUYER)
    refused(chain, review(t=8), BUYER, code="already_reviewed", status=409)


@pytest.mark.parametrize(
    "signer", [STRANGER, MERCHANT2, LAST_MILE], ids=["other buyer", "other merchant", "courier"]
)
def test_complaint_not_party_to_subject(signer):
    chain = Chain().delivered()
    refused(chain, complaint(), signer, code="not_party_to_subject", status=403)


def test_complaint_has_one_signer():
    chain = Chain().delivered()
    refused(chain, complaint(), BUYER, MERCHANT, code="wrong_signer", status=403)


def test_complaint_about_unknown_subject():
    refused(Chain(), complaint(ITEM2), REGULATOR, code="unknown_subject", status=409)


def test_complaint_about_a_party_is_wrong_subject_kind():
    chain = Chain()
    chain.apply(commitment(), MERCHANT)
    refused(chain, complaint("party/mer-a", t=1), REGULATOR, code="wrong_subject_kind", status=409)


def test_commitment_by_another_party():
    refused(Chain(), commitment("mer-b"), MERCHANT, code="wrong_signer", status=403)
    refused(Chain(), commitment(), BUYER, code="wrong_signer", status=403)


# --- rules common to every event --------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "signers"),
    [
        (listing(PARCEL), (MERCHANT,)),
        (sale(PARCEL2), (MERCHANT,)),
        (dispatch(ITEM2), (MERCHANT, PICKUP)),
        (handoff("stf-1", subject=ITEM), (HUB,)),
        (delivery(ITEM), (LAST_MILE,)),
        (receipt(ITEM), (BUYER,)),
        (review(PARCEL), (BUYER,)),
        (commitment() | {"subject": ITEM}, (MERCHANT,)),
        (listing("party/mer-a"), (MERCHANT,)),
    ],
    ids=lambda v: v["type"] + ":" + v["subject"].split("/")[0] if isinstance(v, dict) else "",
)
def test_wrong_subject_kind(payload, signers):
    chain = Chain().sold()
    refused(chain, payload, *signers, code="wrong_subject_kind", status=409)


def test_time_before_previous():
    chain = Chain()
    chain.apply(listing(t=10), MERCHANT)
    error = refused(chain, sale(t=9), MERCHANT, code="time_before_previous", status=409)
    assert at(10) in error.detail


def test_time_before_previous_on_parcel():
    chain = Chain().dispatched()  # dispatch at t=2
    refused(chain, handoff("stf-1", t=1), HUB, code="time_before_previous", status=409)


# --- the clock-skew bound ---------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 299, 300, -300, -1])
def test_signing_time_within_bound(offset):
    check_signing_time(T0 + timedelta(seconds=offset), T0, 300)


@pytest.mark.parametrize("offset", [301, -301, 3600, -86400])
def test_clock_skew(offset):
    with pytest.raises(LifecycleViolation) as info:
        check_signing_time(T0 + timedelta(seconds=offset), T0, 300)
    assert info.value.code == "clock_skew"
    assert info.value.extensions["server_time"] == format_time(T0)
