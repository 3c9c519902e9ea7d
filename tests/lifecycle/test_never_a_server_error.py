"""Hostile input to /events is never a server error: random JSON and random envelopes
(hypothesis) get a problem+json and leave the log as it was, and NUL characters in URLs and
payloads are refused or stored as signed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lifecycle.flow import (
    GTIN,
    ITEM,
    PARCEL,
    World,
    ledger_state,
    listing_body,
    log_size,
    now,
    post_raw,
    refused,
    signed_listing,
)
from trace_service.ledger.records import record_type_names
from trace_service.lifecycle.compose import KeyHolder, sign, submission
from trace_service.plumbing.timestamps import format_time

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
