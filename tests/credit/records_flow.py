"""Credit records through the HTTP API: a serious fault, the snapshot that nominates its unit for
the black list, and the regulator's decisions, objections and repairs that follow."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actor
from tests.lifecycle.flow import GTIN, World
from tests.tracing.cases_flow import Clock, head_of, sign_on_head, sscc
from trace_service.credit.snapshots import SnapshotTaken, take_snapshot
from trace_service.db import new_session
from trace_service.lifecycle.ingest import IngestContext


class Short(NamedTuple):
    parcel: str
    complaint: str


def short_parcel(world: World, serial: int, complainant: Any = None) -> Short:
    """300 g vanish while the last-mile staff holds the parcel; the buyer (or `complainant`)
    complains that the parcel came short: a serious fault of the last-mile staff
    (lost.weight_lost_in_custody), with standing only when the buyer or merchant complains."""
    item = f"01/{GTIN}/21/SH{serial:04d}"
    parcel = sscc(500 + serial)
    world.sell(item)
    world.dispatch(parcel, [item])
    world.handoff(parcel, world.pickup, world.hub)
    world.handoff(parcel, world.hub, world.last_mile)
    world.deliver(parcel, weight_g=500)
    world.record("receipt", parcel, world.buyer, condition="intact")
    receipt = world.record(
        "complaint", parcel, complainant or world.buyer, category="short",
        description="茶叶少了一半",
    )  # fmt: skip
    return Short(parcel, str(receipt["hash"]))


def snapshot(app: Flask, moment: Any) -> SnapshotTaken:
    """Take a snapshot as of `moment`, recorded at `moment` (the clock of the story)."""
    with app.app_context():
        session = new_session(app)
        try:
            return take_snapshot(session, IngestContext.for_app(app), moment, moment)
        finally:
            session.close()


def party_record(
    world: World, app: Flask, kind: str, party: Any, signer: Any, **fields: Any
) -> Any:
    """Sign a record about `party` (objection, decision, rectification) on its chain; response."""
    return sign_on_head(world, app, kind, f"party/{party.party_id}", signer, **fields)


def decide_on(world: World, app: Flask, party: Any, on: str, outcome: str, **extra: Any) -> Any:
    """The world's regulator decides the pending record `on` about `party`."""
    signer = extra.pop("signer", None) or world.regulator
    return party_record(
        world, app, "decision", party, signer, on=on, outcome=outcome,
        reasons=extra.pop("reasons", "经核查，理由成立"), **extra,
    )  # fmt: skip


def nomination_of(app: Flask, party: Any) -> str:
    """The head of the party's chain: its latest credit record (here, the nomination)."""
    head = head_of(app, f"party/{party.party_id}")
    assert head is not None
    return head


def get_json(client: FlaskClient, url: str, viewer: Any = None, **query: Any) -> Any:
    """GET `url` (as `viewer`, if any); asserts 200."""
    headers = viewer.auth if viewer is not None else {}
    response = client.get(url, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def nominate_last_mile(world: World, app: Flask, clock: Clock) -> tuple[str, str]:
    """A serious fault of the last-mile staff and the snapshot that nominates it; returns
    (complaint, nomination)."""
    complaint = short_parcel(world, 1).complaint
    clock.advance(minutes=10)
    taken = snapshot(app, clock())
    assert taken.nominations == 1
    return complaint, nomination_of(app, world.last_mile)


def list_last_mile(world: World, app: Flask, clock: Clock) -> tuple[str, str, str]:
    """Nominated, then confirmed by the regulator: returns (complaint, nomination, decision)."""
    complaint, nomination = nominate_last_mile(world, app, clock)
    clock.advance(hours=1)
    confirmed = decide_on(world, app, world.last_mile, nomination, "confirmed")
    assert confirmed.status_code == 201, confirmed.get_json()
    return complaint, nomination, confirmed.get_json()["hash"]


def black_list(client: FlaskClient) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = get_json(client, "/lists/black")
    return listed


def admission(client: FlaskClient, party: Actor) -> dict[str, Any]:
    body: dict[str, Any] = get_json(client, f"/admission/{party.party_id}")
    return body
