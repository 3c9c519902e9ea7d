"""/events refuses a payload its record type does not allow: unknown or missing fields, wrong
types, unknown event types, non-canonical subject ids, and a dispatch's personal data that is
missing, malformed or does not match its commitment.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from tests.lifecycle.flow import (
    GTIN,
    ITEM,
    PARCEL,
    World,
    listing_body,
    now,
    refused,
    signed_listing,
)
from trace_service.lifecycle.compose import payload, recipient, sign, submission


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
