"""An event's place on its subject's chain over /events: forks name the winner, unknown
predecessors are refused, a resubmission gets its receipt back, and the lifecycle rules refuse
an event its subject's state does not allow.
"""

from __future__ import annotations

from datetime import timedelta

from tests.lifecycle.flow import (
    GTIN,
    ITEM,
    PARCEL,
    PRICE,
    list_item,
    listing_body,
    nothing_written,
    now,
    refused,
    sale_fields,
    signed_listing,
)
from trace_service.lifecycle.compose import payload, sign, submission


def test_fork_names_the_winner(world):
    list_item(world)
    listing_hash = world.heads[ITEM]
    first = world.record("sale", ITEM, world.merchant, **sale_fields(world, "O-1"))
    rival = payload("sale", ITEM, listing_hash, now(), **sale_fields(world, "O-2"))
    problem = refused(world, submission(sign(rival, world.merchant.key)), 409, "fork")
    assert problem["winner"] == first["hash"]
    assert problem["head"] == first["hash"]


def test_second_first_event_is_a_fork(world):
    first = list_item(world)
    again = payload(
        "listing",
        ITEM,
        None,
        now(),
        platform=world.platform.party_id,
        listing_ref="L-2",
        price=PRICE,
    )
    problem = refused(world, submission(sign(again, world.merchant.key)), 409, "fork")
    assert problem["winner"] == first["hash"]


def test_unknown_prev(world):
    list_item(world)
    body = payload("sale", ITEM, "ab" * 32, now(), **sale_fields(world))
    problem = refused(world, submission(sign(body, world.merchant.key)), 409, "unknown_prev")
    assert problem["head"] == world.heads[ITEM]


def test_prev_of_another_subject(world):
    seed = world.heads[f"01/{GTIN}/21/SEED"]
    body = listing_body(world)
    body["prev"] = seed
    refused(world, submission(sign(body, world.merchant.key)), 409, "unknown_prev")


def test_idempotent_resubmission_returns_the_same_receipt(world):
    envelope = signed_listing(world)
    first = world.client.post("/events", json=envelope)
    assert first.status_code == 201
    original = first.get_json()
    world.heads[ITEM] = original["hash"]
    world.record("sale", ITEM, world.merchant, **sale_fields(world))  # the log moves on
    with nothing_written(world):
        again = world.client.post("/events", json=envelope)
    assert again.status_code == 200
    resent = again.get_json()
    assert resent["duplicate"] is True and original["duplicate"] is False
    for name in ("index", "hash", "leaf_hash", "integrated_at", "checkpoint", "inclusion"):
        assert resent[name] == original[name], name


def test_resubmission_long_after_is_still_idempotent(world, monkeypatch):
    """A client that lost the response retries an hour later: it gets its receipt back."""
    envelope = signed_listing(world)
    original = world.client.post("/events", json=envelope).get_json()
    import trace_service.lifecycle.api as lifecycle_api

    later = lifecycle_api.utcnow() + timedelta(hours=1)
    monkeypatch.setattr(lifecycle_api, "utcnow", lambda: later)
    with nothing_written(world):
        again = world.client.post("/events", json=envelope)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["index"] == original["index"]
    assert again.get_json()["checkpoint"] == original["checkpoint"]


def test_refused_event_can_be_fixed_and_resubmitted(world):
    bad = signed_listing(world, platform=world.merchant.party_id)
    refused(world, bad, 409, "unknown_party")
    list_item(world)


# --- the lifecycle rules through HTTP ---------------------------------------------------------


def test_sale_of_an_item_never_listed(world):
    body = payload("sale", ITEM, None, now(), **sale_fields(world))
    refused(world, submission(sign(body, world.merchant.key)), 409, "not_listed")


def test_listing_by_a_merchant_that_does_not_own_the_product(world, make_party):
    rival = make_party("merchant", "仿冒旗舰店")
    body = listing_body(world)
    refused(world, submission(sign(body, rival.key)), 403, "not_product_owner")


def test_handoff_by_a_non_holder_and_receipt_before_delivery(world):
    world.sell(ITEM)
    world.dispatch(PARCEL, [ITEM])
    body = payload(
        "handoff",
        PARCEL,
        world.heads[PARCEL],
        now(),
        from_=world.hub.party_id,
        location={"name": "x", "city": "上海"},
        condition="intact",
        weight_g=800,
    )
    problem = refused(world, submission(sign(body, world.last_mile.key)), 403, "not_holder")
    assert problem["holder"] == world.pickup.party_id
    body = payload("receipt", PARCEL, world.heads[PARCEL], now(), condition="intact")
    refused(world, submission(sign(body, world.buyer)), 409, "receipt_before_delivery")
    body = payload("review", ITEM, world.heads[ITEM], now(), score=1, text="差")
    refused(world, submission(sign(body, world.buyer)), 409, "review_without_receipt")
