"""The states a subject moves through as its lifecycle events are accepted: an item from listing
to review, a parcel from dispatch to receipt, lots sold many times, a party's commitments.

Pure rules, no database: the signers, payloads and `Chain` are tests/lifecycle/rule_chain.py's.
"""

from __future__ import annotations

import base64

from tests.lifecycle.rule_chain import (
    BUYER,
    BUYER_RAW,
    HUB,
    ITEM,
    LAST_MILE,
    LOT,
    MERCHANT,
    OUTLET,
    PARCEL,
    PARCEL2,
    PICKUP,
    PLATFORM_SIGNER,
    REGULATOR,
    STRANGER,
    STRANGER_RAW,
    Chain,
    at,
    commitment,
    complaint,
    delivery,
    dispatch,
    handoff,
    listing,
    receipt,
    review,
    sale,
)


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
