"""/events refuses an event whose signatures do not hold: malformed, unknown or non-verifying
signatures, keys revoked, not yet valid or of a suspended party, and a signing time off the
server's clock or before the chain's previous event.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest

from tests.lifecycle.flow import (
    ITEM,
    PRICE,
    assert_problem,
    list_item,
    listing_body,
    now,
    refused,
    sale_fields,
    signed_listing,
)
from trace_service.ledger.envelope import Signature, build_envelope
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission
from trace_service.plumbing.timestamps import format_time


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
