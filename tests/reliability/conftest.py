"""Fixtures of the reliability tests: a realistic populated log (the demo story carried on to
objections, decisions, a resolution and a credit repair) with the private keys that signed it;
a smaller world with accepted envelopes and revoked keys, for hostile input; and the
multi-worker gunicorn server of the lifecycle tests."""

from __future__ import annotations

import base64
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import nacl.signing
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.lifecycle.flow import GTIN, World, build_world, now
from tests.lifecycle.test_workers import gunicorn  # noqa: F401  (the shared multi-worker server)
from tests.tracing.cases_flow import sscc
from trace_service.credit.snapshots import take_snapshot
from trace_service.db import Base, new_session
from trace_service.demo.actors import Demo
from trace_service.demo.story import populate
from trace_service.identity.service_signer import SERVICE_PARTY_ID
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.models import Subject
from trace_service.models import import_all_models
from trace_service.tracing.models import Case


@dataclass(frozen=True)
class Story:
    """A populated log and every secret that produced it: what a thief of all keys would hold."""

    signing_keys: dict[str, nacl.signing.SigningKey]  # key id -> party, buyer or records key
    log_private: Ed25519PrivateKey
    log_name: str
    origin: str


STORY_SEED = 20260301
STORY_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _carry_on(demo: Demo) -> None:
    """After the demo's tracing: the party blamed for the damaged parcel objects and the regulator
    upholds the finding; the station-drop complaint is resolved by its buyer, and the courier
    blamed for it records a rectification that the regulator grants (so case records of every
    kind and credit records exist)."""
    roles = {party.party_id: role for role, party in demo.parties.items()}
    buyers = {key.keyid: name for name, key in demo.buyers.items()}
    cases = {c.category: c for c in demo.session.scalars(select(Case))}
    damaged, dropped = cases["damaged"], cases["unauthorised_signoff"]
    blamed = {}
    for case in (damaged, dropped):
        chain = demo.session.get(Subject, f"case/{case.complaint}")
        assert chain is not None and chain.state["parties"], "the demo's complaints are traced"
        demo.heads[chain.id] = chain.head
        blamed[case.complaint] = roles[chain.state["parties"][0]]
    on_damaged = f"case/{damaged.complaint}"
    attribution = demo.heads[on_damaged]
    objection = demo.record(
        "objection", on_damaged, blamed[damaged.complaint], hours=20, on=attribution,
        reason="交接时外箱完好，损坏发生在派送环节", evidence=[attribution],
    )  # fmt: skip
    demo.record("decision", on_damaged, "regulator", hours=30, on=objection.hash,
                outcome="upheld", reasons="经调取交接记录复核，维持原认定")  # fmt: skip
    demo.record("resolution", f"case/{dropped.complaint}", buyers[dropped.complainant], hours=2,
                note="已协商退款")  # fmt: skip
    courier = blamed[dropped.complaint]
    party = f"party/{demo.parties[courier].party_id}"
    rectification = demo.record(
        "rectification", party, courier, hours=5, complaints=[dropped.complaint],
        measures="派送前电话确认，未经同意不再投放驿站",
    )  # fmt: skip
    demo.record("decision", party, "regulator", hours=24, on=rectification.hash,
                outcome="granted", reasons="整改措施已落实")  # fmt: skip


class _SeededSecrets:
    """Party ids and credentials drawn from a seeded generator instead of the OS."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def token_hex(self, nbytes: int) -> str:
        return self.rng.randbytes(nbytes).hex()

    def token_urlsafe(self, nbytes: int) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(nbytes)).rstrip(b"=").decode()


@pytest.fixture
def story(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Story:
    """The demo world and story, traced and rated, carried on (`_carry_on`) and rated again:
    41 entries touching every table the verifier reads.

    Seeded: the parties' and buyers' keys, party ids, recipient salts, the records key and the
    clock are the same on every run, so a campaign over it replays exactly.
    """
    rng = random.Random(STORY_SEED)
    monkeypatch.setattr("nacl.signing.random", rng.randbytes)
    monkeypatch.setattr("trace_service.identity.service.secrets", _SeededSecrets(rng))
    monkeypatch.setattr(
        "trace_service.lifecycle.compose.os", SimpleNamespace(urandom=rng.randbytes)
    )
    records_key = KeyHolder(nacl.signing.SigningKey(rng.randbytes(32)), SERVICE_PARTY_ID)
    app.extensions["trace_service_key"] = records_key
    session = new_session(app)
    try:
        ctx = IngestContext.for_app(app)
        demo = Demo(session, ctx, STORY_START)
        populate(demo)
        take_snapshot(session, ctx, demo.tick(hours=1), demo.clock)
        _carry_on(demo)
        take_snapshot(session, ctx, demo.tick(hours=1), demo.clock)
    finally:
        session.close()
    holders = [p.key for p in demo.parties.values()]
    holders += [*demo.buyers.values(), records_key]
    log_key = app.extensions["trace_log_key"]
    return Story(
        signing_keys={h.keyid: h.signing_key for h in holders},
        log_private=log_key.private,
        log_name=log_key.name,
        origin=log_key.origin,
    )


# --- hostile input: a world with accepted envelopes and revoked keys ------------------------------

CODE = re.compile(r"[a-z][a-z0-9_]*")
PRICE = {"amount": "88.00", "currency": "CNY"}


@dataclass
class Arena:
    """A world with accepted events (kept with their envelopes) and two revoked keys."""

    world: World
    app: Flask
    accepted: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    revoked: list[KeyHolder] = field(default_factory=list)
    tally: Counter[str] = field(default_factory=Counter)

    @property
    def client(self) -> FlaskClient:
        return self.world.client

    def market(self) -> dict[str, Any]:
        """The platform and price of a listing or sale (a fresh copy: tests edit it)."""
        return {"platform": self.world.platform.party_id, "price": dict(PRICE)}

    def accept(self, kind: str, subject: str, *signers: Any, personal: Any = None,
               **fields: Any) -> None:  # fmt: skip
        body = payload(kind, subject, self.world.heads.get(subject), now(), **fields)
        sent = submission(sign(body, *(s if isinstance(s, KeyHolder) else s.key for s in signers)),
                          personal)  # fmt: skip
        response = self.client.post("/events", json=sent)
        assert response.status_code == 201, response.get_json()
        self.world.heads[subject] = response.get_json()["hash"]
        self.accepted.append((json.loads(json.dumps(sent)), response.get_json()))

    def footprint(self) -> tuple[int, ...]:
        """Every table's row count and the latest checkpoint's size: what a refusal leaves."""
        counts = [select(func.count()).select_from(t).scalar_subquery()
                  for t in Base.metadata.sorted_tables]  # fmt: skip
        session = new_session(self.app)
        try:
            return tuple(session.execute(select(*counts)).one())
        finally:
            session.close()

    def refused(self, response: Any) -> str:
        """Count the input; assert an RFC 9457 problem with a stable code; return the code."""
        self.tally["inputs"] += 1
        self.tally["5xx"] += response.status_code >= 500
        assert 400 <= response.status_code < 500, (response.status_code, response.data[:400])
        assert response.mimetype == "application/problem+json", response.mimetype
        problem = response.get_json()
        assert CODE.fullmatch(problem["code"]), problem
        assert problem["type"] == "/problems/" + problem["code"]
        assert problem["status"] == response.status_code
        return str(problem["code"])

    def refused_in_batch(self, response: Any) -> None:
        """Count the input; assert a batch answered with a problem for its one event."""
        self.tally["inputs"] += 1
        [result] = response.get_json()["results"]
        assert result["status"] >= 400 and CODE.fullmatch(result["problem"]["code"]), result


@pytest.fixture
def arena(
    app: Flask, client: FlaskClient, make_party: Any, request: pytest.FixtureRequest
) -> Iterator[Arena]:
    """A journey up to the buyer's receipt, an item listed and one sold (for the events still to
    come), and two keys revoked (a second key of the merchant, and the hub's, by its company);
    prints the tally at the end."""
    import_all_models()
    w = build_world(client, make_party)
    arena = Arena(w, app)
    item, parcel = f"01/{GTIN}/21/H0001", sscc(901)
    market = arena.market()
    place = {"location": {"name": "上海转运中心", "city": "上海"}, "condition": "intact"}
    personal, commitment = recipient("王五", "13700000000", "上海市黄浦区南京东路1号")
    arena.accept("listing", item, w.merchant, listing_ref="L-1", **market)
    arena.accept("sale", item, w.merchant, order_ref="O-1", buyer_key=w.buyer.public_b64, **market)
    arena.accept("dispatch", parcel, w.merchant, w.pickup, personal=personal, items=[item],
                 courier=w.courier.party_id, declared_weight_g=800, origin_city="杭州",
                 promised_by=now() + timedelta(days=3), destination_city="上海",
                 recipient_commitment=commitment)  # fmt: skip
    arena.accept("handoff", parcel, w.hub, from_=w.pickup.party_id, weight_g=800, **place)
    arena.accept("handoff", parcel, w.last_mile, from_=w.hub.party_id, weight_g=800, **place)
    arena.accept("delivery", parcel, w.last_mile, method="in_person", consent=True, weight_g=800,
                 **place)  # fmt: skip
    arena.accept("receipt", parcel, w.buyer, condition="intact")
    arena.accept("listing", f"01/{GTIN}/21/H0002", w.merchant, listing_ref="L-2", **market)
    sold = f"01/{GTIN}/21/H0006"
    arena.accept("listing", sold, w.merchant, listing_ref="L-6", **market)
    arena.accept("sale", sold, w.merchant, order_ref="O-6", buyer_key=w.buyer.public_b64, **market)
    spare = KeyHolder(party_id=w.merchant.party_id)
    enrolled = client.post(
        f"/parties/{w.merchant.party_id}/keys",
        json={"public_key": spare.public_b64},
        headers=w.merchant.auth,
    )
    assert enrolled.status_code == 201, enrolled.get_json()
    for key, actor in ((spare, w.merchant), (w.hub.key, w.courier)):
        revoked = client.post(f"/keys/{key.keyid}/revoke", json={}, headers=actor.auth)
        assert revoked.status_code == 200, revoked.get_json()
        arena.revoked.append(key)
    yield arena
    counts = ", ".join(f"{n} {k}" for k, n in arena.tally.items())
    print(f"\n{request.node.name}: {counts}")
    request.node.user_properties.append(("hostile", dict(arena.tally)))
