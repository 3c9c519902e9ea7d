"""Complaint cases over HTTP (责任倒查): a complaint is attributed as soon as it is accepted, alone
or in a batch, with its rule and evidence; one that reached the log without the hook is traced
on demand, and a tracing failure never fails the complaint.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.lifecycle.flow import World, assert_problem
from tests.tracing.cases_flow import Clock, case, cases, damaged_parcel, shares_of
from trace_service.db import new_session
from trace_service.lifecycle.compose import payload, sign, submission
from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.plumbing.timestamps import format_time, parse_time

DAMAGED_RULE = "damaged.last_intact_custodian"


def test_a_complaint_posted_to_events_is_attributed_at_once_with_rule_and_evidence(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    item = "01/09506000134352/21/SN0001"
    parcel = "00/106141400000000010"
    world.sell(item)
    world.dispatch(parcel, [item])
    clock.advance(hours=1)
    to_hub = world.handoff(parcel, world.pickup, world.hub)
    clock.advance(hours=1)
    to_last = world.handoff(parcel, world.hub, world.last_mile, condition="damaged")
    world.deliver(parcel, condition="damaged")
    world.record("receipt", parcel, world.buyer, condition="damaged")
    read = client.get(
        f"/parcels/{parcel}/recipient", query_string={"purpose": "投诉核查"},
        headers=world.regulator.auth,
    )  # fmt: skip
    assert read.status_code == 200
    clock.advance(minutes=5)

    response = world.post(
        sign(
            payload("complaint", parcel, world.heads[parcel], clock(), category="damaged",
                    description="外箱破损，茶叶罐凹陷"),
            world.buyer,
        )
    )  # fmt: skip

    # The client's receipt is what /events always returns; the attribution follows in the log.
    assert response.status_code == 201
    receipt = response.get_json()
    assert set(receipt) == {
        "index", "hash", "leaf_hash", "integrated_at", "checkpoint", "inclusion", "duplicate"
    }  # fmt: skip
    body = case(client, receipt["hash"], world.regulator)
    assert body["index"] == receipt["index"]
    assert (body["category"], body["description"]) == ("damaged", "外箱破损，茶叶罐凹陷")
    assert (body["status"], body["outcome"]) == ("attributed", "attributed")
    assert shares_of(body) == [(world.hub.party_id, "custodian", "1")]
    [attribution] = body["records"]
    assert attribution["kind"] == "attribution"
    assert attribution["index"] == receipt["index"] + 1
    assert (attribution["rule"], attribution["rules_version"]) == (DAMAGED_RULE, "2026.2")
    assert attribution["by_kind"] == "service"
    assert attribution["evidence"] == [
        {"hash": to_hub["hash"], "index": to_hub["index"]},
        {"hash": to_last["hash"], "index": to_last["index"]},
    ]
    assert world.hub.party_id in attribution["explanation"]["en"]
    assert attribution["standing"] is True and attribution["verified_purchase"] is True
    # The attributed party may object for 15 days from the finding.
    until = parse_time(attribution["at"]) + timedelta(days=15)
    assert body["deadlines"]["objection_until"] == format_time(until)
    assert body["deadlines"]["objection_open"] is True
    assert body["deadlines"]["review_due"] is None
    # Regulators see who read the recipient's data, never the data itself.
    [access] = body["data_access"]
    assert (access["party_id"], access["purpose"]) == (world.regulator.party_id, "投诉核查")
    assert "张三" not in response.get_data(as_text=True) + str(body)


def test_a_complaint_in_a_batch_is_attributed_too(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    parcel = damaged_parcel(world, 1, complain=False).parcel
    envelope = sign(
        payload("complaint", parcel, world.heads[parcel], clock(), category="damaged",
                description="破损"),
        world.buyer,
    )  # fmt: skip
    response = client.post("/events/batch", json={"events": [submission(envelope)]})
    assert response.status_code == 200
    assert response.get_json()["accepted"] == 1
    body = case(client, envelope.hash, world.regulator)
    assert body["records"][0]["rule"] == DAMAGED_RULE


def test_trace_on_demand_is_for_regulators_and_platforms(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    parcel = damaged_parcel(world, 1, complain=False).parcel
    # A complaint that reached the log without the HTTP hook (e.g. an import) is still untraced.
    envelope = sign(
        payload("complaint", parcel, world.heads[parcel], clock(), category="damaged",
                description="破损"),
        world.buyer,
    )  # fmt: skip
    with app.app_context():
        session = new_session(app)
        [outcome] = ingest(session, [submission(envelope)], IngestContext.for_app(app), clock())
        session.close()
    assert not isinstance(outcome, Exception)
    assert case(client, envelope.hash, world.regulator)["status"] == "untraced"
    assert [c["complaint"] for c in cases(client, world.regulator, status="untraced")["items"]] == [
        envelope.hash
    ]

    assert_problem(client.post("/cases/trace"), 401, "unauthorized")
    assert_problem(client.post("/cases/trace", headers=world.merchant.auth), 403, "forbidden")
    response = client.post("/cases/trace", headers=world.regulator.auth)
    assert response.status_code == 200
    assert response.get_json() == {"logged": 1}
    assert case(client, envelope.hash, world.regulator)["records"][0]["rule"] == DAMAGED_RULE
    again = client.post("/cases/trace", headers=world.platform.auth)
    assert again.get_json() == {"logged": 0}


def test_a_tracing_failure_never_fails_the_complaint(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> int:
        raise RuntimeError("tracing is down")

    monkeypatch.setattr("trace_service.tracing.on_complaint.trace_pending", broken)
    complaint = damaged_parcel(world, 1).complaint  # asserts the complaint got 201

    assert case(client, complaint, world.regulator)["status"] == "untraced"
    monkeypatch.undo()
    assert client.post("/cases/trace", headers=world.regulator.auth).get_json() == {"logged": 1}
