"""Keys over time, end to end: a courier leaving the company, a merchant replacing a revoked key,
the log key rotated twice and the service's records key replaced. Every record signed before
stays verifiable (verify-log is clean, the public item page still says verified, and every
receipt a client kept still proves its event against the key that signed its checkpoint and is
consistent with the latest one); every new signature by a revoked key or a departed party is
refused with its problem code.

tests/identity/test_signing_keys.py covers enrolment and revocation rights one request at a time,
tests/ops/test_key_rotation.py the log key handover itself; this module follows a client's
receipts and the public record through all of them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.lifecycle.flow import GTIN, World, assert_problem, build_world, full_journey, now
from tests.tracing.cases_flow import damaged_parcel, sscc
from trace_service import create_app
from trace_service.identity.service_signer import SERVICE_PARTY_ID
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import Checkpoint, InvalidCheckpoint, verify_checkpoint
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission
from trace_service.plumbing.timestamps import format_time


def _keep_receipts(world: World) -> list[dict[str, Any]]:
    """Every receipt the world's clients get from now on, as a client would keep them."""
    receipts: list[dict[str, Any]] = []
    record = world.record

    def keeping(*args: Any, **kwargs: Any) -> dict[str, Any]:
        receipt = record(*args, **kwargs)
        receipts.append(receipt)
        return receipt

    world.record = keeping  # type: ignore[method-assign]
    return receipts


def _vkey_for(client: FlaskClient) -> Callable[[int], list[str]]:
    """The verifier keys /log/keys says signed the checkpoint of a tree size."""
    keys = client.get("/log/keys").get_json()

    def vkeys(size: int) -> list[str]:
        last = {k["vkey"]: size if k["last_size"] is None else k["last_size"] for k in keys}
        return [k["vkey"] for k in keys if k["first_size"] <= size <= last[k["vkey"]]]

    return vkeys


def _verified(note: str, vkeys: list[str]) -> Checkpoint:
    """The checkpoint, once one of these keys verifies it (at a rotation's size both keys covered
    it, but a receipt handed out before the rotation carries only the old key's signature)."""
    for vkey in vkeys:
        try:
            return verify_checkpoint(note, vkey)
        except InvalidCheckpoint:
            continue
    raise AssertionError(f"no key of the log for its size signed {note!r}")


def _still_proves(client: FlaskClient, receipts: list[dict[str, Any]]) -> None:
    """verify-log is clean, and each kept receipt proves its event: its checkpoint verifies with
    the key that was the log's at that size, its inclusion proof leads to that root from the
    entry's bytes, and the latest checkpoint (current key) is consistent with it."""
    result = client.application.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code == 0 and result.output.endswith(": OK\n"), result.output
    current = client.get("/log/key").get_data(as_text=True).strip()
    latest = verify_checkpoint(client.get("/checkpoint").get_data(as_text=True), current)
    vkeys = _vkey_for(client)
    for receipt in receipts:
        note, size = receipt["checkpoint"], receipt["inclusion"]["tree_size"]
        checkpoint = _verified(note, vkeys(size))
        body = client.get(f"/log/entries/{receipt['index']}").data
        leaf = merkle.leaf_hash(body)
        assert base64.b64decode(receipt["leaf_hash"]) == leaf
        hashes = [base64.b64decode(h) for h in receipt["inclusion"]["hashes"]]
        merkle.verify_inclusion(leaf, receipt["index"], size, hashes, checkpoint.root)
        proof = client.get(f"/log/consistency?first={size}&second={latest.size}").get_json()
        merkle.verify_consistency(size, latest.size, [base64.b64decode(h) for h in proof["hashes"]],
                                  checkpoint.root, latest.root)  # fmt: skip


def _item_page(client: FlaskClient, serial: str) -> dict[str, Any]:
    response = client.get(f"/01/{GTIN}/21/{serial}", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_json()
    page: dict[str, Any] = response.get_json()
    return page


def test_a_courier_leaves_the_company(client: FlaskClient, make_party: Any) -> None:
    """The hub sorter leaves while holding a parcel: the company revokes the key, the regulator
    suspends the party. What the sorter signed stays valid; nothing new from them is accepted;
    a colleague takes the parcel over and its journey ends normally."""
    world = build_world(client, make_party)
    receipts = _keep_receipts(world)
    full_journey(world, "K0001", sscc(701))
    item, parcel = f"01/{GTIN}/21/K0002", sscc(702)
    world.sell(item)
    world.dispatch(parcel, [item])
    world.handoff(parcel, world.pickup, world.hub)
    hub = world.hub

    revoked = client.post(f"/keys/{hub.key.keyid}/revoke", json={}, headers=world.courier.auth)
    assert revoked.status_code == 200, revoked.get_json()
    place = {"location": {"name": "上海转运中心", "city": "上海"}, "condition": "intact"}
    after = now() + timedelta(seconds=5)
    handover = payload("handoff", parcel, world.heads[parcel], after, from_=hub.party_id,
                       weight_g=800, **place)  # fmt: skip
    refused = client.post("/events", json=submission(sign(handover, world.last_mile.key, hub.key)))
    assert_problem(refused, 403, "key_revoked")
    suspended = client.put(f"/parties/{hub.party_id}/status", json={"status": "suspended"},
                           headers=world.regulator.auth)  # fmt: skip
    assert suspended.status_code == 200, suspended.get_json()
    fresh = KeyHolder(party_id=hub.party_id)  # a key enrolled after leaving signs nothing either
    enrolled = client.post(f"/parties/{hub.party_id}/keys", json={"public_key": fresh.public_b64},
                           headers=world.courier.auth)  # fmt: skip
    assert enrolled.status_code == 201, enrolled.get_json()
    commitment = payload("commitment", f"party/{hub.party_id}", None, after,
                         standard="信用承诺书 v1", text="诚信经营")  # fmt: skip
    assert_problem(client.post("/events", json=submission(sign(commitment, fresh))), 403,
                   "party_inactive")  # fmt: skip

    world.handoff(parcel, hub, world.last_mile)  # the colleague takes custody alone
    world.deliver(parcel)
    world.record("receipt", parcel, world.buyer, condition="intact")

    _still_proves(client, receipts)
    keys = {k["keyid"]: k for k in client.get(f"/parties/{hub.party_id}/keys").get_json()}
    assert keys[hub.key.keyid]["revoked_at"] is not None
    for serial in ("K0001", "K0002"):
        page = _item_page(client, serial)
        assert page["verified"] is True
        by_hub = [e for e in page["events"]
                  if any(s.get("party_id") == hub.party_id for s in e["signers"])]  # fmt: skip
        assert by_hub and all(e["signature_valid"] for e in by_hub)


def test_key_renewal_and_two_log_key_rotations(app: Flask, client: FlaskClient,
                                               make_party: Any) -> None:  # fmt: skip
    """Receipts from three log key periods and two merchant keys: all still prove their events;
    the merchant's revoked key signs nothing new, its new key does."""
    world = build_world(client, make_party)
    receipts = _keep_receipts(world)
    runner = app.test_cli_runner()
    full_journey(world, "R0001", sscc(801))
    assert runner.invoke(args=["rotate-log-key"]).exit_code == 0

    merchant, old = world.merchant, world.merchant.key
    revoked = client.post(f"/keys/{old.keyid}/revoke", json={}, headers=merchant.auth)
    assert revoked.status_code == 200, revoked.get_json()
    listing = payload("listing", f"01/{GTIN}/21/R0002", None, now() + timedelta(seconds=5),
                      platform=world.platform.party_id, listing_ref="L-2",
                      price={"amount": "88.00", "currency": "CNY"})  # fmt: skip
    assert_problem(client.post("/events", json=submission(sign(listing, old))), 403, "key_revoked")
    merchant.key = KeyHolder(party_id=merchant.party_id)
    since = format_time(now() - timedelta(minutes=1))  # signing times are whole seconds
    enrolled = client.post(
        f"/parties/{merchant.party_id}/keys",
        json={"public_key": merchant.key.public_b64, "valid_from": since},
        headers=merchant.auth,
    )
    assert enrolled.status_code == 201, enrolled.get_json()
    full_journey(world, "R0002", sscc(802))
    assert runner.invoke(args=["rotate-log-key"]).exit_code == 0
    world.sell(f"01/{GTIN}/21/R0003")

    assert len(client.get("/log/keys").get_json()) == 3
    _still_proves(client, receipts)
    assert _item_page(client, "R0001")["verified"] is True


def test_records_key_replaced(app: Flask, client: FlaskClient, make_party: Any,
                              tmp_path: Path) -> None:  # fmt: skip
    """The service's records key file is replaced and the service restarted: new attributions
    are signed by the new key (enrolled beside the old one), the old attributions still verify."""
    world = build_world(client, make_party)
    receipts = _keep_receipts(world)
    first = damaged_parcel(world, 703)
    restarted = create_app({**app.config, "RECORDS_KEY_PATH": str(tmp_path / "records-2.pem"),
                            "INSTANCE_PATH": app.instance_path})  # fmt: skip
    try:
        world.client = restarted.test_client()
        second = damaged_parcel(world, 704)
        keys = world.client.get(f"/parties/{SERVICE_PARTY_ID}/keys").get_json()
        assert len(keys) == 2 and all(k["revoked_at"] is None for k in keys)
        signers = set()
        for complaint in (first.complaint, second.complaint):
            case = world.client.get(f"/cases/{complaint}", headers=world.regulator.auth).get_json()
            [attribution] = [r for r in case["records"] if r["kind"] == "attribution"]
            entry = world.client.get(f"/events/{attribution['hash']}").get_json()
            signers |= {s["keyid"] for s in entry["signatures"]}
        assert signers == {k["keyid"] for k in keys}
        _still_proves(world.client, receipts)
    finally:
        restarted.extensions["trace_engine"].dispose()
