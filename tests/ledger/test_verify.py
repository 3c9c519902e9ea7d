"""The log verifier: a clean log verifies, and every edit made behind the service's back is
reported on the exact row (raw SQL, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import JSON, bindparam, text
from stdnum import ean

from tests.lifecycle.flow import GTIN, World, build_world, full_journey
from tests.lifecycle.flow import now as flow_now
from trace_service.audit.verify import VerificationReport, register_cli, verify_log
from trace_service.db import UTCDateTime, new_session
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import Checkpoint, sign_checkpoint
from trace_service.ledger.envelope import Signature, build_envelope
from trace_service.lifecycle.compose import KeyHolder, payload, sign

ITEM_1 = f"01/{GTIN}/21/SN0001"


def sscc(serial: int) -> str:
    digits = f"1061414{serial:010d}"
    return f"00/{digits}{ean.calc_check_digit(digits)}"


def verify(app: Flask) -> VerificationReport:
    key = app.extensions["trace_log_key"]
    with app.app_context():
        session = new_session(app)
        try:
            return verify_log(session, key.vkey, key.origin)
        finally:
            session.close()


def sql(app: Flask, statement: Any, **params: Any) -> list[Any]:
    """Run raw SQL behind the service's back, committing at once."""
    stmt = text(statement) if isinstance(statement, str) else statement
    with app.extensions["trace_engine"].begin() as conn:
        result = conn.execute(stmt, params)
        return list(result) if result.returns_rows else []


def idx_of(app: Flask, kind: str, subject: str, nth: int = 0) -> int:
    rows = sql(app, "SELECT idx FROM log_entries WHERE type = :t AND subject = :s ORDER BY idx",
               t=kind, s=subject)  # fmt: skip
    return int(rows[nth][0])


def body_at(app: Flask, idx: int) -> bytes:
    return bytes(sql(app, "SELECT body FROM log_entries WHERE idx = :i", i=idx)[0][0])


def problems(report: VerificationReport) -> str:
    return "\n".join(str(p) for p in report.problems)


@pytest.fixture
def world(client: Any, make_party: Callable[..., Any]) -> World:
    """Three journeys (a second buyer for the third), a complaint and the service's attribution
    of it, a commitment: 27 events."""
    world = build_world(client, make_party)
    full_journey(world, "SN0001", sscc(1))
    full_journey(world, "SN0002", sscc(2))
    world.buyer = KeyHolder()
    full_journey(world, "SN0003", sscc(3))
    world.record("complaint", sscc(3), world.regulator, category="delayed", description="晚到两天")
    merchant = f"party/{world.merchant.party_id}"
    world.record("commitment", merchant, world.merchant, standard="GB/T 31950", text="正品保证")
    return world


def test_clean_log_verifies(app: Flask, world: World) -> None:
    report = verify(app)
    assert report.ok, problems(report)
    assert report.entries == 27
    assert report.checkpoints == 27
    assert report.tree_size == 27
    assert report.summary() == "verified 27 entries, 27 checkpoints: OK"


def test_later_suspension_and_revocation_do_not_invalidate_old_events(
    app: Flask, world: World
) -> None:
    sql(app, "UPDATE parties SET status = 'suspended' WHERE id = :p", p=world.merchant.party_id)
    later = world.merchant.key.keyid
    revoke = text("UPDATE party_keys SET revoked_at = :at WHERE keyid = :k").bindparams(
        bindparam("at", type_=UTCDateTime())
    )
    sql(app, revoke, at=datetime.now(UTC) + timedelta(days=1), k=later)
    assert verify(app).ok
    # Revoked before the events were signed: every event that key signed is reported.
    sql(app, "UPDATE party_keys SET revoked_at = valid_from WHERE keyid = :k", k=later)
    report = verify(app)
    listing = idx_of(app, "listing", ITEM_1)
    assert "key_revoked" in report.kinds(f"log_entries idx={listing}")
    assert {p.kind for p in report.problems} == {"key_revoked"}


def test_edited_payload_byte(app: Flask, world: World) -> None:
    idx = idx_of(app, "listing", ITEM_1)
    body = body_at(app, idx)
    assert body.count(b'"88.00"') == 1
    sql(app, "UPDATE log_entries SET body = :b WHERE idx = :i",
        b=body.replace(b'"88.00"', b'"8.80"'), i=idx)  # fmt: skip
    report = verify(app)
    row = f"log_entries idx={idx}"
    assert {"hash_mismatch", "bad_signature", "leaf_mismatch"} <= report.kinds(row), problems(
        report
    )
    sale = idx_of(app, "sale", ITEM_1)
    assert report.kinds(f"log_entries idx={sale}") == {"broken_chain"}
    assert report.kinds(f"checkpoints size={idx + 1}") == {"root_mismatch"}
    # The stored leaf node is right (the signed roots say so): it is not blamed.
    assert not report.kinds(f"log_nodes level=0 idx={idx}")
    assert {p.row.split(" ")[0] for p in report.problems} == {"log_entries", "checkpoints"}


def test_a_body_rewritten_as_text_is_reported_not_a_crash(app: Flask, world: World) -> None:
    # An edit may store text in the body column (SQLite keeps it as text): the row is named.
    idx = idx_of(app, "listing", ITEM_1)
    edited = body_at(app, idx).replace(b'"88.00"', b'"8.80"').decode()
    sql(app, "UPDATE log_entries SET body = :b WHERE idx = :i", b=edited, i=idx)
    report = verify(app)
    assert {"hash_mismatch", "bad_signature"} <= report.kinds(f"log_entries idx={idx}")


def test_edited_signature_with_hash_column_updated(app: Flask, world: World) -> None:
    idx = idx_of(app, "dispatch", sscc(2))
    raw = json.loads(body_at(app, idx))
    sigs = [Signature(s["keyid"], base64.b64decode(s["sig"])) for s in raw["signatures"]]
    forged = sigs[1].sig[:10] + bytes([sigs[1].sig[10] ^ 1]) + sigs[1].sig[11:]
    sigs[1] = Signature(sigs[1].keyid, forged)
    envelope = build_envelope(raw["payload"], sigs)  # still canonical, as a careful forger would
    sql(app, "UPDATE log_entries SET body = :b, hash = :h WHERE idx = :i",
        b=envelope.body, h=envelope.hash, i=idx)  # fmt: skip
    report = verify(app)
    row = f"log_entries idx={idx}"
    assert report.kinds(row) == {"bad_signature", "leaf_mismatch"}, problems(report)
    [bad] = [p for p in report.problems if p.row == row and p.kind == "bad_signature"]
    assert sigs[1].keyid in bad.detail
    assert sigs[0].keyid not in bad.detail
    # The next event of the parcel still names the original hash.
    handoff = idx_of(app, "handoff", sscc(2))
    assert report.kinds(f"log_entries idx={handoff}") == {"broken_chain"}


def test_deleted_entry(app: Flask, world: World) -> None:
    idx = idx_of(app, "handoff", sscc(1), nth=0)
    sql(app, "DELETE FROM log_entries WHERE idx = :i", i=idx)
    report = verify(app)
    assert report.kinds(f"log_entries idx={idx}") == {"gap"}, problems(report)
    after = idx + 1  # the second handoff names the deleted one and breaks the custody rule
    assert report.kinds(f"log_entries idx={after}") == {"broken_chain", "rule_violation"}
    assert report.kinds(f"subjects id={sscc(1)}") == {"state_mismatch"}
    # The deleted entry's leaf survives in log_nodes, so the signed roots still hold.
    assert not any(p.kind == "root_mismatch" for p in report.problems)
    assert report.entries == 26


def test_deleted_last_entry(app: Flask, world: World) -> None:
    sql(app, "DELETE FROM log_entries WHERE idx = 26")
    report = verify(app)
    assert report.kinds("log_entries idx=26") == {"gap"}, problems(report)
    assert report.kinds("checkpoints size=27") == {"checkpoint_beyond_log"}
    # That entry was the only event of the merchant's party subject.
    assert "extra_subject" in {p.kind for p in report.problems}


def test_swapped_indices(app: Flask, world: World) -> None:
    listing = idx_of(app, "listing", ITEM_1)
    sale = idx_of(app, "sale", ITEM_1)
    assert sale == listing + 1
    sql(app, "UPDATE log_entries SET idx = -1 WHERE idx = :i", i=listing)
    sql(app, "UPDATE log_entries SET idx = :i WHERE idx = :j", i=listing, j=sale)
    sql(app, "UPDATE log_entries SET idx = :j WHERE idx = -1", j=sale)
    report = verify(app)
    first, second = f"log_entries idx={listing}", f"log_entries idx={sale}"
    expected = {"reordered", "leaf_mismatch", "checkpoint_size_mismatch"}
    assert report.kinds(first) == expected, problems(report)
    assert report.kinds(second) == expected
    assert report.kinds(f"checkpoints size={listing + 1}") == {"root_mismatch"}
    # Judged in chain order, the two events still follow the rules: nothing cascades.
    assert {p.row for p in report.problems} == {first, second, f"checkpoints size={listing + 1}"}


def test_edited_subject_state(app: Flask, world: World) -> None:
    [(state,)] = sql(app, "SELECT state FROM subjects WHERE id = :s", s=ITEM_1)
    state = json.loads(state) if isinstance(state, str) else state
    assert state["status"] == "received"
    state["status"] = "listed"
    update = text("UPDATE subjects SET state = :state WHERE id = :s").bindparams(
        bindparam("state", type_=JSON)
    )
    sql(app, update, state=state, s=ITEM_1)
    report = verify(app)
    assert [(p.row, p.kind) for p in report.problems] == [
        (f"subjects id={ITEM_1}", "state_mismatch")
    ]
    assert "status is 'listed', the log gives 'received'" in report.problems[0].detail


@pytest.mark.parametrize(("level", "index"), [(0, 5), (2, 1), (4, 0)])
def test_edited_log_node(app: Flask, world: World, level: int, index: int) -> None:
    sql(app, "UPDATE log_nodes SET hash = :h WHERE level = :l AND idx = :i",
        h=hashlib.sha256(b"forged").digest(), l=level, i=index)  # fmt: skip
    report = verify(app)
    assert [(p.row, p.kind) for p in report.problems] == [
        (f"log_nodes level={level} idx={index}", "node_mismatch")
    ], problems(report)


def test_missing_and_extra_log_nodes(app: Flask, world: World) -> None:
    sql(app, "DELETE FROM log_nodes WHERE level = 1 AND idx >= 3 AND idx <= 5")
    sql(app, "INSERT INTO log_nodes (level, idx, hash) VALUES (3, 9, :h)", h=bytes(32))
    report = verify(app)
    assert [(p.row, p.kind) for p in report.problems] == [
        ("log_nodes level=1 idx=3..5", "missing_node"),
        ("log_nodes level=3 idx=9", "extra_node"),
    ], problems(report)


def _rewrite_note(app: Flask, size: int, how: str) -> None:
    key = app.extensions["trace_log_key"]
    forged = Checkpoint(key.origin, size, hashlib.sha256(b"another tree").digest())
    if how == "other_key":
        note = sign_checkpoint(forged, key.name, Ed25519PrivateKey.generate())
    elif how == "unsigned":
        note = forged.body()
    else:  # the log key itself was stolen: the note verifies, the root does not
        note = sign_checkpoint(forged, key.name, key.private)
    sql(app, "UPDATE checkpoints SET note = :n WHERE size = :s", n=note, s=size)


@pytest.mark.parametrize(
    ("how", "kinds"),
    [
        ("other_key", {"bad_checkpoint_signature", "checkpoint_column_mismatch"}),
        ("unsigned", {"bad_checkpoint_signature", "checkpoint_column_mismatch"}),
        ("stolen_key", {"root_mismatch", "checkpoint_column_mismatch"}),
    ],
)
def test_rewritten_checkpoint_note(app: Flask, world: World, how: str, kinds: set[str]) -> None:
    _rewrite_note(app, 12, how)
    report = verify(app)
    assert {p.row for p in report.problems} == {"checkpoints size=12"}, problems(report)
    assert report.kinds("checkpoints size=12") == kinds


def test_buyer_key_swapped_and_orphan_inserted(app: Flask, world: World) -> None:
    buyer = world.buyer.keyid
    intruder = KeyHolder()
    sql(app, "UPDATE party_keys SET public_key = :k WHERE keyid = :i",
        k=intruder.public_key, i=buyer)  # fmt: skip
    sql(app, "INSERT INTO party_keys (keyid, public_key, valid_from) "
             "SELECT :i, :k, valid_from FROM party_keys WHERE keyid = :b",
        i=intruder.keyid, k=intruder.public_key, b=buyer)  # fmt: skip
    report = verify(app)
    assert report.kinds(f"party_keys keyid={buyer}") == {"key_id_mismatch", "buyer_key_mismatch"}
    assert report.kinds(f"party_keys keyid={intruder.keyid}") == {"orphan_buyer_key"}
    # Receipts are checked against the key the signed sale introduced, so they still verify.
    assert {p.row.split(" ")[0] for p in report.problems} == {"party_keys"}, problems(report)


def test_parcel_item_link_removed(app: Flask, world: World) -> None:
    sql(app, "DELETE FROM parcel_items WHERE parcel = :p", p=sscc(2))
    report = verify(app)
    assert [(p.row, p.kind) for p in report.problems] == [
        (f"parcel_items item=01/{GTIN}/21/SN0002 parcel={sscc(2)}", "missing_parcel_item")
    ]


def test_empty_log_verifies(app: Flask) -> None:
    report = verify(app)
    assert report.ok and report.entries == 0 and report.checkpoints == 0


def test_unreadable_body_and_edited_columns(app: Flask, world: World) -> None:
    sql(app, "UPDATE log_entries SET body = :b WHERE idx = 3", b=b'{"payload": 1')
    sql(app, "UPDATE log_entries SET subject = 'x', type = 'sale' WHERE idx = 9")
    report = verify(app)
    assert {"malformed_entry", "leaf_mismatch"} <= report.kinds("log_entries idx=3")
    assert report.kinds("log_entries idx=9") == {"column_mismatch"}, problems(report)


def test_appended_fork(app: Flask, world: World) -> None:
    """An event signed by a real key, appended behind the service's back, forking a chain."""
    sale = idx_of(app, "sale", ITEM_1)
    review = idx_of(app, "review", ITEM_1)
    [(sale_hash,)] = sql(app, "SELECT hash FROM log_entries WHERE idx = :i", i=sale)
    [(last,)] = sql(app, "SELECT MAX(idx) FROM log_entries")
    body = payload("complaint", ITEM_1, sale_hash, flow_now(), category="other", description="x")
    envelope = sign(body, world.merchant.key)
    insert = text(
        "INSERT INTO log_entries (idx, hash, subject, type, prev, signed_at, integrated_at, "
        "checkpoint_size, body) SELECT :i, :h, 'elsewhere', type, prev, signed_at, "
        "integrated_at, checkpoint_size, :b FROM log_entries WHERE idx = :last"
    )
    sql(app, insert, i=last + 1, h=envelope.hash, b=envelope.body, last=last)
    report = verify(app)
    row = f"log_entries idx={last + 1}"
    assert {"fork", "column_mismatch", "checkpoint_size_mismatch"} <= report.kinds(row)
    [fork] = [p for p in report.problems if p.kind == "fork"]
    assert f"idx={sale}, which already has a successor" in fork.detail
    assert f"the head is log_entries idx={review}" in fork.detail
    assert report.kinds(f"subjects id={ITEM_1}") == {"state_mismatch"}  # complaints: 1
    assert report.kinds(f"log_nodes level=0 idx={last + 1}") == {"missing_node"}


def test_cli_verify_log(app: Flask, world: World) -> None:
    register_cli(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 0, result.output
    assert result.output == "verified 27 entries, 27 checkpoints: OK\n"

    other = Ed25519PrivateKey.generate()
    from trace_service.ledger.checkpoint import verifier_key

    wrong = runner.invoke(
        args=["verify-log", "--vkey", verifier_key("someone-else", other.public_key())]
    )
    assert wrong.exit_code == 1
    assert "checkpoints size=1: bad_checkpoint_signature:" in wrong.output

    elsewhere = runner.invoke(args=["verify-log", "--origin", "elsewhere.example/log"])
    assert elsewhere.exit_code == 1
    assert "checkpoints size=27: wrong_origin: " in elsewhere.output

    idx = idx_of(app, "review", ITEM_1)
    body = body_at(app, idx).replace("茶叶新鲜".encode(), "茶叶发霉".encode())
    sql(app, "UPDATE log_entries SET body = :b WHERE idx = :i", b=body, i=idx)
    result = runner.invoke(args=["verify-log"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("verified 27 entries, 27 checkpoints: ")
    assert lines[0].endswith(" problems")
    assert f"log_entries idx={idx}: bad_signature: signature by key" in result.output
    assert f"log_entries idx={idx}: hash_mismatch: " in result.output


def test_leaf_hashes_match_merkle_module(app: Flask, world: World) -> None:
    """The verifier's roots are the log's: the latest checkpoint's root over the stored bodies."""
    rows = sql(app, "SELECT body FROM log_entries ORDER BY idx")
    leaves = [merkle.leaf_hash(bytes(b)) for (b,) in rows]
    nodes = merkle.append_leaves(0, leaves, lambda keys: {})
    [(root,)] = sql(app, "SELECT root FROM checkpoints WHERE size = :s", s=len(leaves))
    assert merkle.tree_root(len(leaves), lambda keys: nodes) == bytes(root)


def _traced_and_rated(app: Flask) -> None:
    """Attribute the world's complaint and take a rating snapshot, as the service does."""
    from trace_service.credit.snapshots import take_snapshot
    from trace_service.lifecycle.ingest import IngestContext

    with app.app_context():
        session = new_session(app)
        try:
            moment = flow_now()
            take_snapshot(session, IngestContext.for_app(app), moment, moment)
        finally:
            session.close()


@pytest.mark.parametrize(
    ("statement", "row", "detail"),
    [
        ("UPDATE custody_records SET party_id = 'stf-x' WHERE idx = "
         "(SELECT MIN(idx) FROM custody_records)", "custody_records idx=", "party_id is 'stf-x'"),
        ("UPDATE cases SET category = 'lost'", "cases complaint=", "category is 'lost'"),
        ("UPDATE case_records SET standing = false", "case_records idx=", "standing is False"),
        ("DELETE FROM custody_records WHERE idx = (SELECT MAX(idx) FROM custody_records)",
         "custody_records idx=", "the log derives this row"),
        ("UPDATE snapshots SET content_hash = 'ab'", "snapshots idx=", "content_hash is 'ab'"),
    ],
)  # fmt: skip
def test_edited_back_tracing_and_rating_rows(
    app: Flask, world: World, statement: str, row: str, detail: str
) -> None:
    _traced_and_rated(app)
    assert verify(app).ok
    sql(app, statement)
    report = verify(app)
    assert [p.row.startswith(row) for p in report.problems] == [True], problems(report)
    assert detail in report.problems[0].detail
