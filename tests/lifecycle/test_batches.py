"""/events/batch: each event accepted or refused on its own, later events building on earlier
ones of the same batch, idempotent resubmission, and the limits of a batch.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.lifecycle.flow import (
    GTIN,
    ITEM,
    PARCEL,
    PRICE,
    ledger_state,
    listing_body,
    log_size,
    nothing_written,
    now,
    refused,
    sale_fields,
    signed_listing,
)
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission


def test_batch_with_good_and_bad_events(world):
    listing = sign(listing_body(world), world.merchant.key)
    bad = submission(sign(listing_body(world, subject=f"01/{GTIN}/21/X"), KeyHolder()))
    sale = sign(
        payload("sale", ITEM, listing.hash, now(), **sale_fields(world)), world.merchant.key
    )
    orphan = sign(
        payload("sale", f"01/{GTIN}/21/Y", None, now(), **sale_fields(world)), world.merchant.key
    )
    before = ledger_state(world.client)
    response = world.client.post(
        "/events/batch",
        json={"events": [submission(listing), bad, "junk", submission(sale), submission(orphan)]},
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["accepted"] == 2 and data["rejected"] == 3
    results = data["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 201, 409]
    assert results[1]["problem"]["code"] == "unknown_key"
    assert results[2]["problem"]["code"] == "malformed_envelope"
    assert results[4]["problem"]["code"] == "not_listed"
    assert results[0]["receipt"]["hash"] == listing.hash
    assert results[3]["receipt"]["hash"] == sale.hash
    assert results[3]["receipt"]["index"] == results[0]["receipt"]["index"] + 1
    assert ledger_state(world.client) == (before[0] + 2, before[1] + 2)
    # the good ones are really written
    assert world.client.get(f"/events/{sale.hash}").status_code == 200
    assert world.client.get(f"/events/{bad['signatures'][0]['keyid']}").status_code == 404


def test_batch_event_building_on_a_refused_one(world):
    bad_listing = sign(listing_body(world, platform=world.merchant.party_id), world.merchant.key)
    sale = sign(
        payload("sale", ITEM, bad_listing.hash, now(), **sale_fields(world)), world.merchant.key
    )
    with nothing_written(world):
        response = world.client.post(
            "/events/batch", json={"events": [submission(bad_listing), submission(sale)]}
        )
    results = response.get_json()["results"]
    assert [r["problem"]["code"] for r in results] == ["unknown_party", "unknown_prev"]


def test_whole_journey_in_one_batch(world):
    """Later events build on earlier ones of the same batch; the receipt is signed by the buyer
    key that the batch's own sale introduced."""
    t = now()
    heads: dict[str, str | None] = {}
    events: list[dict[str, Any]] = []

    def add(kind: str, subject: str, *keys: KeyHolder, personal: Any = None, **fields: Any):
        envelope = sign(payload(kind, subject, heads.get(subject), t, **fields), *keys)
        heads[subject] = envelope.hash
        events.append(submission(envelope, personal))

    personal, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    w = world
    loc = {"name": "上海转运中心", "city": "上海"}
    add("listing", ITEM, w.merchant.key, platform=w.platform.party_id, listing_ref="L", price=PRICE)
    add("sale", ITEM, w.merchant.key, **sale_fields(w))
    add(
        "dispatch",
        PARCEL,
        w.merchant.key,
        w.pickup.key,
        personal=personal,
        items=[ITEM],
        courier=w.courier.party_id,
        declared_weight_g=800,
        promised_by=t + timedelta(days=2),
        origin_city="杭州",
        destination_city="上海",
        recipient_commitment=commitment,
    )
    add(
        "handoff",
        PARCEL,
        w.hub.key,
        from_=w.pickup.party_id,
        location=loc,
        condition="intact",
        weight_g=800,
    )
    add(
        "handoff",
        PARCEL,
        w.last_mile.key,
        w.hub.key,
        from_=w.hub.party_id,
        location=loc,
        condition="intact",
        weight_g=800,
    )
    add(
        "delivery",
        PARCEL,
        w.last_mile.key,
        method="in_person",
        consent=True,
        location=loc,
        condition="intact",
        weight_g=800,
    )
    add("receipt", PARCEL, w.buyer, condition="intact")
    add("review", ITEM, w.buyer, score=5, text="好")
    before = log_size(w.client)
    response = w.client.post("/events/batch", json={"events": events})
    data = response.get_json()
    assert response.status_code == 200
    assert data["rejected"] == 0, [r.get("problem") for r in data["results"]]
    assert [r["receipt"]["index"] for r in data["results"]] == list(range(before, before + 8))
    assert log_size(w.client) == before + 8
    # resubmitting the whole batch is idempotent
    with nothing_written(w):
        again = w.client.post("/events/batch", json={"events": events}).get_json()
    assert [r["status"] for r in again["results"]] == [200] * 8
    assert [r["receipt"]["index"] for r in again["results"]] == list(range(before, before + 8))


def test_same_event_twice_in_one_batch(world):
    envelope = signed_listing(world)
    response = world.client.post("/events/batch", json={"events": [envelope, envelope]})
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == [201, 200]
    assert results[0]["receipt"]["index"] == results[1]["receipt"]["index"]


def test_batch_too_large(world):
    world.client.application.config["MAX_BATCH_EVENTS"] = 3
    events = [signed_listing(world, subject=f"01/{GTIN}/21/B{i}") for i in range(4)]
    problem = refused(world, {"events": events}, 413, "batch_too_large", path="/events/batch")
    assert problem["limit"] == 3


@pytest.mark.parametrize("body", [[], {"events": {}}, {"event": []}, {"events": "x"}])
def test_malformed_batch(world, body):
    refused(world, body, 400, "malformed_batch", path="/events/batch")


def test_empty_batch(world):
    with nothing_written(world):
        response = world.client.post("/events/batch", json={"events": []})
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 0, "rejected": 0, "results": []}
