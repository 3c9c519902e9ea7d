"""What a client sees when /events refuses a submission: a problem+json with a stable code, and
nothing written (the checkpoint's tree size and the stored entries stay where they were)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lifecycle.flow import (
    GTIN,
    World,
    assert_problem,
    build_world,
    ledger_state,
    log_size,
    now,
)
from trace_service.ledger.envelope import Signature, build_envelope
from trace_service.ledger.records import record_type_names
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission
from trace_service.plumbing.timestamps import format_time

ITEM = f"01/{GTIN}/21/SN0001"
PARCEL = "00/106141412345678908"
PRICE = {"amount": "88.00", "currency": "CNY"}


@pytest.fixture
def world(client, make_party) -> World:
    w = build_world(client, make_party)
    # A first accepted event, so "nothing written" is measured against a non-empty log.
    w.record(
        "listing",
        f"01/{GTIN}/21/SEED",
        w.merchant,
        platform=w.platform.party_id,
        listing_ref="L-0",
        price=PRICE,
    )
    return w


@contextmanager
def nothing_written(world: World) -> Iterator[None]:
    before = ledger_state(world.client)
    yield
    assert ledger_state(world.client) == before, "a refused submission changed the log"


def listing_body(world: World, subject: str = ITEM, **fields: Any) -> dict[str, Any]:
    values = {"platform": world.platform.party_id, "listing_ref": "L-1", "price": PRICE} | fields
    return payload("listing", subject, world.heads.get(subject), now(), **values)


def signed_listing(world: World, **fields: Any) -> dict[str, Any]:
    return submission(sign(listing_body(world, **fields), world.merchant.key))


def post_raw(world: World, data: str | bytes, content_type: str = "application/json") -> Any:
    return world.client.post("/events", data=data, content_type=content_type)


def list_item(world: World) -> dict[str, Any]:
    """Record the standard listing of ITEM (the start of most stories here); its receipt."""
    return world.record(
        "listing",
        ITEM,
        world.merchant,
        platform=world.platform.party_id,
        listing_ref="L-1",
        price=PRICE,
    )


def refused(world: World, body: Any, status: int, code: str, path: str = "/events") -> dict:
    with nothing_written(world):
        response = world.client.post(path, data=json.dumps(body), content_type="application/json")
        return assert_problem(response, status, code)


def raw_refused(world: World, data: str | bytes, status: int, code: str, **kw: Any) -> dict:
    with nothing_written(world):
        return assert_problem(post_raw(world, data, **kw), status, code)


def sale_fields(world: World, order: str = "O-1") -> dict[str, Any]:
    return {
        "platform": world.platform.party_id,
        "order_ref": order,
        "price": PRICE,
        "buyer_key": world.buyer.public_b64,
    }


# --- the body itself --------------------------------------------------------------------------


def test_malformed_json(world):
    raw_refused(world, '{"payload": {', 400, "malformed_json")
    raw_refused(world, b"\xff\xfe{}", 400, "malformed_json")
    raw_refused(world, "", 400, "malformed_json")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type(world, content_type):
    body = json.dumps(signed_listing(world))
    raw_refused(world, body, 415, "unsupported_media_type", content_type=content_type)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(world, token):
    body = json.dumps(signed_listing(world)).replace('"v": 1', f'"v": {token}')
    assert token in body
    raw_refused(world, body, 400, "malformed_json")


@pytest.mark.parametrize("number", [2**53, -(2**53), 10**30])
def test_huge_integer_is_not_canonicalizable(world, number):
    envelope = signed_listing(world)
    envelope["payload"]["listing_ref"] = number
    problem = refused(world, envelope, 422, "not_canonicalizable")
    assert "canonical" in problem["detail"]


def test_largest_safe_integer_reaches_validation(world):
    envelope = signed_listing(world)
    envelope["payload"]["v"] = 2**53 - 1
    refused(world, envelope, 422, "invalid_payload")


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deep_nesting_of_the_body(world, depth):
    raw_refused(world, "[" * depth + "]" * depth, 400, "malformed_json")
    raw_refused(world, '{"a":' * depth + "1" + "}" * depth, 400, "malformed_json")


@pytest.mark.parametrize("depth", [13, 500, 900])
def test_deep_nesting_inside_a_payload(world, depth):
    envelope = signed_listing(world)
    envelope["payload"]["listing_ref"] = json.loads("[" * depth + "]" * depth)
    refused(world, envelope, 422, "malformed_envelope")


def test_deep_nesting_inside_personal_data_and_batch(world):
    deep = json.loads("[" * 900 + "]" * 900)
    envelope = signed_listing(world)
    envelope["personal_data"] = deep
    refused(world, envelope, 422, "invalid_payload")
    with nothing_written(world):
        response = world.client.post("/events/batch", json={"events": [deep]})
        assert response.status_code == 200
        [result] = response.get_json()["results"]
        assert result["problem"]["code"] == "malformed_envelope"


def test_oversize_body(world):
    world.client.application.config["MAX_CONTENT_LENGTH"] = 2048
    big = signed_listing(world)
    big["payload"]["commitment"] = "正" * 2000
    for path in ("/events", "/events/batch"):
        body = big if path == "/events" else {"events": [big]}
        with nothing_written(world):
            response = world.client.post(path, json=body)
            assert_problem(response, 413, "body_too_large")
    # an ordinary event still fits
    list_item(world)


@pytest.mark.parametrize(
    "body",
    [[], "text", 1, None, {"payload": {}}, {"signatures": []}, {"payload": [], "signatures": []}],
    ids=["list", "string", "number", "null", "no signatures", "no payload", "payload list"],
)
def test_not_an_envelope(world, body):
    refused(world, body, 422, "malformed_envelope")


def test_extra_envelope_member(world):
    envelope = signed_listing(world)
    envelope["note"] = "hi"
    refused(world, envelope, 422, "malformed_envelope")


# --- signatures -------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", ["not base64!", "QUJD\n", "=" * 88, 12345, None])
def test_signature_not_base64(world, sig):
    envelope = signed_listing(world)
    envelope["signatures"][0]["sig"] = sig
    refused(world, envelope, 422, "malformed_envelope")


@pytest.mark.parametrize("length", [0, 32, 63, 65])
def test_signature_of_wrong_length(world, length):
    envelope = signed_listing(world)
    envelope["signatures"][0]["sig"] = base64.b64encode(b"\x01" * length).decode()
    problem = refused(world, envelope, 422, "malformed_envelope")
    assert "64 bytes" in problem["detail"]


@pytest.mark.parametrize("keyid", ["ABCDEF0123456789", "abc", "0" * 17, 7])
def test_malformed_keyid(world, keyid):
    envelope = signed_listing(world)
    envelope["signatures"][0]["keyid"] = keyid
    refused(world, envelope, 422, "malformed_envelope")


def test_too_many_signatures(world):
    keys = [KeyHolder() for _ in range(5)]
    envelope = submission(sign(listing_body(world), *keys))
    refused(world, envelope, 422, "malformed_envelope")


def test_same_key_twice(world):
    envelope = signed_listing(world)
    envelope["signatures"].append(dict(envelope["signatures"][0]))
    refused(world, envelope, 422, "malformed_envelope")


def test_unknown_key(world):
    stranger = KeyHolder()
    envelope = submission(sign(listing_body(world), stranger))
    problem = refused(world, envelope, 422, "unknown_key")
    assert problem["keyid"] == stranger.keyid


def test_signature_that_does_not_verify(world):
    envelope = signed_listing(world)
    envelope["payload"]["listing_ref"] = "L-2"  # changed after signing
    problem = refused(world, envelope, 422, "bad_signature")
    assert problem["keyid"] == world.merchant.key.keyid


def test_signature_by_another_registered_key_under_the_merchants_keyid(world):
    forged = sign(listing_body(world), world.pickup.key)
    envelope = submission(forged)
    envelope["signatures"][0]["keyid"] = world.merchant.key.keyid
    refused(world, envelope, 422, "bad_signature")


def test_signature_without_domain_separation_does_not_verify(world):
    from trace_service.ledger.canonical import canonical_json

    body = listing_body(world)
    raw_sig = world.merchant.key.signing_key.sign(canonical_json(body)).signature
    envelope = build_envelope(body, [Signature(world.merchant.key.keyid, raw_sig)])
    refused(world, submission(envelope), 422, "bad_signature")


# --- the payload ------------------------------------------------------------------------------


def test_payload_unknown_field(world):
    problem = refused(
        world, signed_listing(world, buyer_phone="13800138000"), 422, "invalid_payload"
    )
    assert "buyer_phone" in problem["errors"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("v", "1"),
        ("v", 2),
        ("v", True),
        ("price", "88"),
        ("listing_ref", 5),
        ("platform", None),
        ("time", "2026-01-01 08:00:00"),
        ("time", "2026-01-01T08:00:00+08:00"),
        ("prev", "ab"),
        ("prev", "A" * 64),
        ("platform", "has space"),
    ],
)
def test_wrong_types(world, name, value):
    body = listing_body(world)
    body[name] = value
    problem = refused(world, submission(sign(body, world.merchant.key)), 422, "invalid_payload")
    assert name in problem["errors"]


def test_missing_field(world):
    body = listing_body(world)
    del body["price"]
    problem = refused(world, submission(sign(body, world.merchant.key)), 422, "invalid_payload")
    assert "price" in problem["errors"]


@pytest.mark.parametrize("kind", ["teleport", "", None, 3, ["listing"]])
def test_unknown_event_type(world, kind):
    body = listing_body(world)
    body["type"] = kind
    problem = refused(world, submission(sign(body, world.merchant.key)), 422, "invalid_payload")
    assert "type" in problem["errors"]


def test_delivery_consent_must_be_a_boolean(world):
    body = payload(
        "delivery",
        PARCEL,
        None,
        now(),
        method="in_person",
        consent="yes",
        location={"name": "x", "city": "上海"},
        condition="intact",
        weight_g=800,
    )
    problem = refused(world, submission(sign(body, world.last_mile.key)), 422, "invalid_payload")
    assert "consent" in problem["errors"]


@pytest.mark.parametrize(
    "subject",
    [
        f"01/{GTIN[1:]}/21/SN0001",  # GTIN-13 not padded to 14 digits
        "01/09506000134353/21/SN0001",  # wrong check digit
        f"01/{GTIN}/21/SN 1",  # outside the GS1 character set
        f"01/{GTIN}/21/%53N1",  # percent-encoded
        f"https://id.example.com/01/{GTIN}/21/SN0001",
        "parcel-1",
    ],
)
def test_non_canonical_subject(world, subject):
    body = listing_body(world, subject=subject)
    refused(world, submission(sign(body, world.merchant.key)), 422, "invalid_subject")


def test_dispatch_item_must_be_canonical(world):
    personal, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    body = payload(
        "dispatch",
        PARCEL,
        None,
        now(),
        items=[f"01/{GTIN[1:]}/21/SN0001"],
        courier=world.courier.party_id,
        declared_weight_g=800,
        promised_by=now() + timedelta(days=2),
        origin_city="杭州",
        destination_city="上海",
        recipient_commitment=commitment,
    )
    envelope = submission(sign(body, world.merchant.key, world.pickup.key), personal)
    refused(world, envelope, 422, "invalid_subject")


# --- chains: forks, unknown predecessors, idempotence ------------------------------------------


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


# --- keys and time ----------------------------------------------------------------------------


def test_revoked_key(world):
    revoked_at = now() + timedelta(seconds=30)
    response = world.client.post(
        f"/keys/{world.merchant.key.keyid}/revoke",
        json={"at": format_time(revoked_at)},
        headers=world.merchant.auth,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["revoked_at"] is not None
    after = listing_body(world)
    after["time"] = format_time(revoked_at + timedelta(seconds=10))
    problem = refused(world, submission(sign(after, world.merchant.key)), 403, "key_revoked")
    assert world.merchant.key.keyid in problem["detail"]
    at_revocation = listing_body(world)
    at_revocation["time"] = format_time(revoked_at)
    refused(world, submission(sign(at_revocation, world.merchant.key)), 403, "key_revoked")
    # signed before the revocation takes effect: valid
    before = world.record(
        "listing",
        ITEM,
        world.merchant,
        at=now(),
        platform=world.platform.party_id,
        listing_ref="L-1",
        price=PRICE,
    )
    assert before["index"] >= 1


def test_revocation_cannot_be_backdated_to_disown_logged_events(world):
    world.record(
        "listing", ITEM, world.merchant, platform=world.platform.party_id, listing_ref="L-1",
        price=PRICE,
    )  # fmt: skip
    response = world.client.post(
        f"/keys/{world.merchant.key.keyid}/revoke",
        json={"at": format_time(now() - timedelta(hours=1))},
        headers=world.merchant.auth,
    )
    assert_problem(response, 422, "revocation_backdated")
    keys = world.client.get(f"/parties/{world.merchant.party_id}/keys").get_json()
    assert all(k["revoked_at"] is None for k in keys)


def test_new_key_after_revocation(world):
    old = world.merchant.key
    response = world.client.post(f"/keys/{old.keyid}/revoke", json={}, headers=world.merchant.auth)
    revoked_at = datetime.fromisoformat(response.get_json()["revoked_at"])
    assert abs(revoked_at - now()) < timedelta(minutes=1)
    after = listing_body(world)
    after["time"] = format_time(revoked_at + timedelta(seconds=2))
    refused(world, submission(sign(after, old)), 403, "key_revoked")
    fresh = KeyHolder(party_id=world.merchant.party_id)
    response = world.client.post(
        f"/parties/{world.merchant.party_id}/keys",
        json={
            "public_key": fresh.public_b64,
            "valid_from": format_time(now() - timedelta(minutes=1)),
        },
        headers=world.merchant.auth,
    )
    assert response.status_code == 201, response.get_json()
    world.record(
        "listing", ITEM, fresh, platform=world.platform.party_id, listing_ref="L-1", price=PRICE
    )


def test_key_not_yet_valid(world):
    fresh = KeyHolder(party_id=world.merchant.party_id)
    response = world.client.post(
        f"/parties/{world.merchant.party_id}/keys",
        json={"public_key": fresh.public_b64, "valid_from": format_time(now() + timedelta(days=1))},
        headers=world.merchant.auth,
    )
    assert response.status_code == 201
    refused(world, submission(sign(listing_body(world), fresh)), 403, "key_not_yet_valid")


def test_suspended_partys_key_is_refused(world):
    response = world.client.put(
        f"/parties/{world.merchant.party_id}/status",
        json={"status": "suspended"},
        headers=world.regulator.auth,
    )
    assert response.status_code == 200
    refused(world, signed_listing(world), 403, "party_inactive")


@pytest.mark.parametrize("offset", [timedelta(hours=1), timedelta(hours=-1), timedelta(days=-400)])
def test_clock_skew(world, offset):
    body = listing_body(world)
    body["time"] = format_time(now() + offset)
    problem = refused(world, submission(sign(body, world.merchant.key)), 409, "clock_skew")
    assert "server_time" in problem


def test_time_before_previous_event(world):
    list_item(world)
    body = payload(
        "sale", ITEM, world.heads[ITEM], now() - timedelta(seconds=120), **sale_fields(world)
    )
    refused(world, submission(sign(body, world.merchant.key)), 409, "time_before_previous")


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


# --- personal data on a dispatch --------------------------------------------------------------


def dispatch_body(world: World, commitment: str) -> dict[str, Any]:
    return payload(
        "dispatch",
        PARCEL,
        None,
        now(),
        items=[ITEM],
        courier=world.courier.party_id,
        declared_weight_g=800,
        promised_by=now() + timedelta(days=2),
        origin_city="杭州",
        destination_city="上海",
        recipient_commitment=commitment,
    )


def test_dispatch_without_personal_data(world):
    world.sell(ITEM)
    _, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    envelope = sign(dispatch_body(world, commitment), world.merchant.key, world.pickup.key)
    refused(world, submission(envelope), 422, "personal_data_required")


def test_dispatch_with_mismatching_commitment(world):
    world.sell(ITEM)
    personal, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    envelope = sign(dispatch_body(world, commitment), world.merchant.key, world.pickup.key)
    personal["recipient"]["phone"] = "13900139000"
    refused(world, submission(envelope, personal), 422, "commitment_mismatch")


@pytest.mark.parametrize(
    "personal",
    [
        "张三",
        {"salt": "AAAA", "recipient": {"name": "a", "phone": "1", "address": "x"}},
        {"salt": "not base64!", "recipient": {"name": "a", "phone": "1", "address": "x"}},
        {"salt": base64.b64encode(b"s" * 16).decode(), "recipient": {"name": "a"}},
        {
            "salt": base64.b64encode(b"s" * 16).decode(),
            "recipient": {"name": "", "phone": "1", "address": "x"},
        },
        {
            "salt": base64.b64encode(b"s" * 16).decode(),
            "recipient": {"name": 1, "phone": "1", "address": "x"},
        },
    ],
)
def test_dispatch_with_malformed_personal_data(world, personal):
    world.sell(ITEM)
    envelope = sign(dispatch_body(world, "0" * 64), world.merchant.key, world.pickup.key)
    refused(world, submission(envelope, personal), 422, "invalid_payload")


def test_personal_data_on_another_event(world):
    personal, _ = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    envelope = submission(sign(listing_body(world), world.merchant.key), personal)
    refused(world, envelope, 422, "invalid_payload")


# --- batches ----------------------------------------------------------------------------------


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


# --- never a 500 ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@contextmanager
def _size_unchanged(world: World) -> Iterator[None]:
    before = log_size(world.client)
    yield
    assert log_size(world.client) == before


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=json_values)
def test_random_json_is_never_a_server_error(world, body):
    with _size_unchanged(world):
        data = json.dumps(body)  # may hold NaN / Infinity tokens and huge integers
        for path in ("/events", "/events/batch"):
            response = (
                post_raw(world, data)
                if path == "/events"
                else world.client.post(path, data=data, content_type="application/json")
            )
            assert response.status_code < 500, response.data
            assert response.status_code >= 400 or path == "/events/batch"
            assert response.status_code == 200 or response.mimetype == "application/problem+json"


ITEMS = [
    ITEM,
    f"01/{GTIN}/21/SEED",
    f"01/{GTIN}/10/LOT1",
    PARCEL,
    "wb/cor-x/SF123456",
    "party/x",
    "01/123/21/x",
    "",
]
HEX = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@st.composite
def fuzz_payloads(draw: st.DrawFn) -> dict[str, Any]:
    t = now()
    body: dict[str, Any] = {
        "v": draw(st.sampled_from([1, 1, 1, 2, "1", None])),
        "type": draw(st.sampled_from([*record_type_names(), "teleport"])),
        "subject": draw(st.sampled_from(ITEMS) | st.text(max_size=30)),
        "prev": draw(st.none() | HEX | st.text(max_size=5)),
        "time": draw(
            st.sampled_from([format_time(t), format_time(t + timedelta(days=1)), "yesterday"])
            | st.text(max_size=25)
        ),
    }
    names = [
        "platform",
        "listing_ref",
        "price",
        "order_ref",
        "buyer_key",
        "items",
        "courier",
        "declared_weight_g",
        "promised_by",
        "origin_city",
        "destination_city",
        "recipient_commitment",
        "from",
        "location",
        "condition",
        "weight_g",
        "method",
        "consent",
        "score",
        "text",
        "category",
        "description",
        "standard",
        "note",
        "seal",
    ]
    extra = draw(st.dictionaries(st.sampled_from(names), json_values, max_size=8))
    body.update(extra)
    return body


@FUZZ
@given(
    body=fuzz_payloads(),
    signer_names=st.lists(
        st.sampled_from(["merchant", "pickup", "hub", "buyer", "stranger"]), max_size=3
    ),
    garble=st.sampled_from([None, "keyid", "sig", "extra", "personal"]),
    personal=json_values,
)
def test_random_envelopes_are_never_a_server_error(world, body, signer_names, garble, personal):
    keys = {
        "merchant": world.merchant.key,
        "pickup": world.pickup.key,
        "hub": world.hub.key,
        "buyer": world.buyer,
        "stranger": KeyHolder(),
    }
    holders = [keys[n] for n in dict.fromkeys(signer_names)]
    try:
        envelope: dict[str, Any] = submission(sign(body, *holders))
    except Exception:  # not canonicalisable: send it unsigned
        envelope = {"payload": body, "signatures": []}
    if garble == "keyid" and envelope["signatures"]:
        envelope["signatures"][0]["keyid"] = "0123456789abcdef"
    elif garble == "sig" and envelope["signatures"]:
        envelope["signatures"][0]["sig"] = base64.b64encode(b"\x00" * 64).decode()
    elif garble == "extra":
        envelope["extra"] = personal
    elif garble == "personal":
        envelope["personal_data"] = personal
    before = log_size(world.client)
    response = world.client.post(
        "/events", data=json.dumps(envelope), content_type="application/json"
    )
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert log_size(world.client) == before
    else:  # a random event that happens to be valid is written once, and only once
        assert response.status_code in (200, 201)
        assert log_size(world.client) == before + (response.status_code == 201)


@pytest.mark.parametrize("url", ["/events/ab%00", "/log/entries/0%00", "/products/%00"])
def test_nul_characters_in_public_urls(world, url):
    response = world.client.get(url)
    assert 400 <= response.status_code < 500, response.data
    assert response.mimetype == "application/problem+json"


def test_nul_characters_in_a_payload(world):
    # JSON allows U+0000 in a free-text member; the signed bytes are stored as they are.
    before = ledger_state(world.client)
    response = world.client.post("/events", json=signed_listing(world, listing_ref="L\x00"))
    assert response.status_code in (201, 422), response.data
    grew = 1 if response.status_code == 201 else 0
    assert ledger_state(world.client) == (before[0] + grew, before[1] + grew)
    # but never in a subject id
    body = listing_body(world, subject=f"01/{GTIN}/21/A\x00")
    refused(world, submission(sign(body, world.merchant.key)), 422, "invalid_subject")
