"""32 writers racing conflicting events for the same parcels through gunicorn's worker processes:
every fork has exactly one winner, every rival gets 409 `fork` naming the winner's hash, and the
log stays contiguous and verifies.

Each parcel goes through four contested steps (a handoff to one of four hub sorters, a handoff to
one of four last-mile couriers, four different deliveries, four different receipts); the four
rivals of a step are sent at the same moment by four different writers, singly or as one-event
batches. tests/lifecycle/test_workers.py covers mixed traffic on items with 24 writers; this is
the parcel custody chain under the full 32.
"""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from stdnum import ean

from tests.lifecycle.flow import GTIN, now
from tests.lifecycle.test_workers import Server, Shot, _fire
from trace_service.audit.verify import verify_log
from trace_service.db import new_session
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import verify_checkpoint
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission

pytestmark = pytest.mark.slow

WRITERS = 32
RIVALS = 4
PARCELS = 32
PRICE = {"amount": "58.00", "currency": "CNY"}


def _sscc(n: int) -> str:
    digits = f"1069414{n:010d}"
    return f"00/{digits}{ean.calc_check_digit(digits)}"


def _setup(client: FlaskClient, make_party: Any) -> dict[str, Any]:
    """Parties, and PARCELS parcels each dispatched with one sold item (one batch, in-process)."""
    courier = make_party("courier_company", "顺达快递")
    cast = {
        "merchant": make_party("merchant", "并发测试商户"),
        "platform": make_party("platform", "并发测试平台"),
        "pickup": make_party("staff", "揽收员", company=courier),
        "hubs": [make_party("staff", f"分拣员 {k}", company=courier) for k in range(RIVALS)],
        "lasts": [make_party("staff", f"派送员 {k}", company=courier) for k in range(RIVALS)],
        "courier": courier,
        "buyer": KeyHolder(),
    }
    merchant = cast["merchant"]
    response = client.post(
        "/products", headers=merchant.auth,
        json={"gtin": GTIN, "name": "并发测试商品", "origin": "上海", "producer": "测试厂"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    at = now() - timedelta(seconds=30)
    market = {"platform": cast["platform"].party_id, "price": PRICE}
    events = []
    for n in range(PARCELS):
        item = f"01/{GTIN}/21/F{n:04d}"
        listing = sign(payload("listing", item, None, at, listing_ref=f"L{n}", **market),
                       merchant.key)  # fmt: skip
        buyer = cast["buyer"].public_b64
        sale = sign(payload("sale", item, listing.hash, at, order_ref=f"O{n}", buyer_key=buyer,
                            **market), merchant.key)  # fmt: skip
        personal, commitment = recipient("李雷", "13900000000", "上海市长宁区仙霞路1号")
        dispatch = sign(
            payload("dispatch", _sscc(n), None, at, items=[item], courier=courier.party_id,
                    declared_weight_g=500, promised_by=at + timedelta(days=2),
                    origin_city="杭州", destination_city="上海", recipient_commitment=commitment),
            merchant.key, cast["pickup"].key,
        )  # fmt: skip
        events += [submission(listing), submission(sale), submission(dispatch, personal)]
    response = client.post("/events/batch", json={"events": events})
    assert response.get_json()["accepted"] == len(events), response.get_json()
    dispatches = response.get_json()["results"][2::3]
    cast["heads"] = {_sscc(n): r["receipt"]["hash"] for n, r in enumerate(dispatches)}
    return cast


def _steps(cast: dict[str, Any]) -> list[Any]:
    """The four contested steps: for a parcel, its head and its holder, the rival envelopes."""
    place = {"name": "上海转运中心", "city": "上海"}

    def to_hub(parcel: str, head: str, holder: Any, k: int) -> Any:
        return sign(payload("handoff", parcel, head, now(), from_=holder.party_id,
                            location=place, condition="intact", weight_g=500 - k),
                    cast["hubs"][k].key)  # fmt: skip

    def to_last(parcel: str, head: str, holder: Any, k: int) -> Any:
        return sign(payload("handoff", parcel, head, now(), from_=holder.party_id,
                            location=place, condition="intact", weight_g=490 - k),
                    cast["lasts"][k].key)  # fmt: skip

    def deliver(parcel: str, head: str, holder: Any, k: int) -> Any:
        method = ["in_person", "locker", "station", "in_person"][k]
        return sign(payload("delivery", parcel, head, now(), method=method, consent=k != 2,
                            condition="intact", weight_g=480 - k,
                            location={"name": f"仙霞路{k}号", "city": "上海"}),
                    holder.key)  # fmt: skip

    def receive(parcel: str, head: str, holder: Any, k: int) -> Any:
        condition = "intact" if k % 2 == 0 else "damaged"
        return sign(payload("receipt", parcel, head, now() + timedelta(seconds=k),
                            condition=condition), cast["buyer"])  # fmt: skip

    return [to_hub, to_last, deliver, receive]


def test_32_writers_racing_forks_on_parcels(
    gunicorn: Server, app: Flask, client: FlaskClient, make_party: Any, record_property: Any
) -> None:
    cast = _setup(client, make_party)
    heads: dict[str, str] = cast["heads"]
    holders = dict.fromkeys(heads, cast["pickup"])
    couriers = {s.key.keyid: s for s in [*cast["hubs"], *cast["lasts"]]}
    started = time.monotonic()
    forks = rivals_sent = wrongly_accepted = 0
    receipts: list[dict[str, Any]] = []
    for step, make in enumerate(_steps(cast)):
        # The rivals of one parcel are adjacent: different writers send them at the same step.
        rivals = [
            Shot(parcel, submission(make(parcel, heads[parcel], holders[parcel], k)),
                 batch=(step + k) % 3 == 0)
            for parcel in heads
            for k in range(RIVALS)
        ]  # fmt: skip
        _fire(gunicorn, rivals, WRITERS)
        forks += len(heads)
        rivals_sent += len(rivals)
        for parcel in heads:
            contenders = [r for r in rivals if r.group == parcel]
            won = [r for r in contenders if r.status == 201]
            wrongly_accepted += max(0, len(won) - 1)
            assert len(won) == 1, [(r.status, r.result) for r in contenders]
            winner = won[0].result
            assert winner is not None
            for loser in contenders:
                if loser is won[0]:
                    continue
                assert loser.status == 409, (step, loser.status, loser.result)
                assert loser.result is not None
                assert (loser.result["code"], loser.result.get("winner")) == (
                    "fork",
                    winner["hash"],
                ), (step, loser.batch, loser.result)
            heads[parcel] = winner["hash"]
            receipts.append(winner)
            # A handoff's winner holds the parcel from now on.
            signed_by = won[0].body["signatures"][0]["keyid"]
            holders[parcel] = couriers.get(signed_by, holders[parcel])
    elapsed = time.monotonic() - started
    print(
        f"\nforks tried {forks} ({rivals_sent} rival submissions by {WRITERS} writers on 3 "
        f"workers), wrongly accepted {wrongly_accepted}, {elapsed:.1f} s"
    )
    record_property("forks", {"tried": forks, "rivals": rivals_sent, "accepted": wrongly_accepted})
    _check_log(app, heads, receipts, setup=3 * PARCELS)


def _check_log(
    app: Flask, heads: dict[str, str], receipts: list[dict[str, Any]], setup: int
) -> None:
    """The verifier finds nothing wrong; the log holds the setup and one winner per fork, and
    every winner's receipt proves its inclusion under a checkpoint signed by the log key."""
    key = app.extensions["trace_log_key"]
    session = new_session(app)
    try:
        report = verify_log(session, key.vkey, key.origin)
        assert report.ok, "\n".join(str(p) for p in report.problems[:20])
        count = session.scalar(select(func.count()).select_from(LogEntry))
        bodies = {h: bytes(b) for h, b in session.execute(select(LogEntry.hash, LogEntry.body))}
    finally:
        session.close()
    assert count == report.entries == report.tree_size == setup + len(receipts)
    assert set(heads.values()) <= set(bodies)
    for receipt in receipts:
        checkpoint = verify_checkpoint(receipt["checkpoint"], key.vkey)
        proof = receipt["inclusion"]
        leaf = merkle.leaf_hash(bodies[receipt["hash"]])
        assert base64.b64decode(receipt["leaf_hash"]) == leaf
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        merkle.verify_inclusion(leaf, receipt["index"], checkpoint.size, hashes, checkpoint.root)
