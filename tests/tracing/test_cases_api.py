"""Complaint cases over HTTP (责任倒查): a complaint is attributed as soon as it is accepted, the
attributed party objects within 15 days, a regulator decides, and who may read what.

Every story runs on a clock set an hour (or weeks) in the past, so that reads at the real time
see deadlines pass; see tests/tracing/cases_flow.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actor
from tests.lifecycle.flow import World, assert_problem, build_world
from tests.tracing.cases_flow import (
    Clock,
    case,
    cases,
    damaged_parcel,
    decide,
    head_of,
    object_to,
    real_now,
    sign_case_record,
    travel,
)
from trace_service.db import new_session
from trace_service.lifecycle.compose import payload, sign, submission
from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.plumbing.timestamps import format_time, parse_time

DAMAGED_RULE = "damaged.last_intact_custodian"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return travel(monkeypatch, real_now() - timedelta(hours=1))


@pytest.fixture
def world(client: FlaskClient, make_party: Callable[..., Actor], clock: Clock) -> World:
    return build_world(client, make_party)


def other_courier(make_party: Callable[..., Actor]) -> Actor:
    company = make_party("courier_company", "通远速运")
    return make_party("staff", "派送员 周静", company=company)


def shares_of(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s["party"], s["role"], s["share"]) for s in body["shares"]]


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


def test_cases_are_read_by_regulators_and_the_parties_they_name_only(
    app: Flask, client: FlaskClient, world: World, make_party: Callable[..., Actor]
) -> None:
    complaint = damaged_parcel(world, 1).complaint
    stranger = other_courier(make_party)

    assert_problem(client.get(f"/cases/{complaint}"), 401, "unauthorized")
    assert_problem(client.get("/cases"), 401, "unauthorized")
    assert_problem(client.get(f"/cases/{complaint}", headers=stranger.auth), 403, "not_your_case")
    assert_problem(
        client.get(f"/cases/{complaint}", headers=world.last_mile.auth), 403, "not_your_case"
    )
    assert_problem(client.get("/cases", headers=world.platform.auth), 403, "cases_forbidden")
    assert cases(client, stranger)["items"] == []

    # The attributed staff member and its courier company read the case, without the buyer's key.
    for reader in (world.hub, world.courier):
        body = case(client, complaint, reader)
        assert shares_of(body) == [(world.hub.party_id, "custodian", "1")]
        assert body["complainant"] == {"kind": "buyer", "id": None}
        assert body["data_access"] is None
        assert [c["complaint"] for c in cases(client, reader)["items"]] == [complaint]
    assert case(client, complaint, world.regulator)["complainant"]["id"] == world.buyer.keyid
    assert_problem(
        client.get(f"/cases/{'0' * 64}", headers=world.regulator.auth), 404, "unknown_case"
    )


@pytest.mark.parametrize(
    ("outcome", "reassign", "expected_outcome"),
    [
        ("upheld", False, "attributed"),
        ("reversed", False, "not_attributable"),
        ("reversed", True, "attributed"),
        ("undecided", False, "undecided"),
    ],
)
def test_each_decision_on_an_objection(
    app: Flask,
    client: FlaskClient,
    world: World,
    clock: Clock,
    outcome: str,
    reassign: bool,
    expected_outcome: str,
) -> None:
    story = damaged_parcel(world, 1)
    complaint = story.complaint
    attribution = head_of(app, f"case/{complaint}")
    clock.advance(hours=2)
    evidence = story.to_hub["hash"]
    filed = object_to(world, app, complaint, world.hub, evidence=[evidence])
    assert filed.status_code == 201, filed.get_json()
    objection = filed.get_json()["hash"]

    pending = case(client, complaint, world.regulator)
    assert pending["status"] == "pending_objection"
    assert pending["objection"]["by"] == world.hub.party_id
    assert pending["review_due"] == format_time(clock() + timedelta(days=10))
    assert pending["overdue"] is False
    assert pending["deadlines"]["objection_until"] is None  # one objection at a time
    assert pending["records"][1]["evidence"] == [{"hash": evidence, "index": story.to_hub["index"]}]
    listed = cases(client, world.regulator, status="pending_objection")["items"]
    assert [c["complaint"] for c in listed] == [complaint]

    clock.advance(days=3)
    merchant_share = [{"party": world.merchant.party_id, "role": "merchant", "share": "1"}]
    extra = {"shares": merchant_share} if reassign else {}
    decided = decide(world, app, complaint, objection, outcome, **extra)
    assert decided.status_code == 201, decided.get_json()

    body = case(client, complaint, world.regulator)
    assert [r["kind"] for r in body["records"]] == ["attribution", "objection", "decision"]
    assert body["records"][0]["hash"] == attribution
    assert body["records"][1]["on"] == attribution
    decision = body["records"][2]
    assert (decision["on"], decision["outcome"], decision["by"]) == (
        objection, outcome, world.regulator.party_id
    )  # fmt: skip
    assert (body["status"], body["outcome"]) == (expected_outcome, expected_outcome)
    assert body["objection"] is None and body["overdue"] is False
    expected = {
        "upheld": [(world.hub.party_id, "custodian", "1")],
        "reversed": [(world.merchant.party_id, "merchant", "1")] if reassign else [],
        "undecided": [],
    }[outcome]
    assert shares_of(body) == expected
    assert shares_of(decision) == expected
    assert [c["complaint"] for c in cases(client, world.regulator, status=expected_outcome)[
        "items"]] == [complaint]  # fmt: skip
    assert cases(client, world.regulator, status="pending_objection")["items"] == []
    # The case is listed under the party it now names (directly, or through its company).
    now_named = world.merchant.party_id if reassign else world.hub.party_id
    by_party = cases(client, world.regulator, party=now_named)["items"]
    assert [c["complaint"] for c in by_party] == ([complaint] if expected else [])


def test_an_upheld_objection_keeps_the_case_on_the_attributed_staff_and_its_company(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    complaint = damaged_parcel(world, 1).complaint
    clock.advance(hours=1)
    objection = object_to(world, app, complaint, world.hub).get_json()["hash"]
    clock.advance(hours=1)
    assert decide(world, app, complaint, objection, "upheld").status_code == 201

    [share] = case(client, complaint, world.regulator)["shares"]
    assert (share["party_kind"], share["company"]) == ("staff", world.courier.party_id)
    by_company = cases(client, world.regulator, party=world.courier.party_id)["items"]
    assert [c["complaint"] for c in by_company] == [complaint]


def test_a_decided_finding_cannot_be_objected_to_again_but_a_reassignment_can(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    complaint = damaged_parcel(world, 1).complaint
    clock.advance(hours=1)
    objection = object_to(world, app, complaint, world.hub).get_json()["hash"]
    clock.advance(hours=1)
    assert decide(world, app, complaint, objection, "upheld").status_code == 201
    clock.advance(hours=1)
    for signer in (world.hub, world.courier):  # nor through its company
        assert_problem(object_to(world, app, complaint, signer), 409, "already_objected")
    # Reassigned to the merchant, the new finding may be objected to once, by the merchant.
    story = damaged_parcel(world, 2)
    clock.advance(hours=1)
    objection = object_to(world, app, story.complaint, world.hub).get_json()["hash"]
    clock.advance(hours=1)
    shares = [{"party": world.merchant.party_id, "role": "merchant", "share": "1"}]
    reversed_ = decide(world, app, story.complaint, objection, "reversed", shares=shares)
    assert reversed_.status_code == 201
    clock.advance(hours=1)
    assert object_to(world, app, story.complaint, world.merchant).status_code == 201


def test_an_objection_after_15_days_is_refused(
    app: Flask, client: FlaskClient, make_party: Callable[..., Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock = travel(monkeypatch, real_now() - timedelta(days=20))
    world = build_world(client, make_party)
    complaint = damaged_parcel(world, 1).complaint
    attributed_at = parse_time(case(client, complaint, world.regulator)["records"][0]["at"])

    clock.advance(days=15, seconds=1)
    late = object_to(world, app, complaint, world.hub)

    assert_problem(late, 409, "objection_late")
    body = case(client, complaint, world.regulator)
    assert body["deadlines"]["objection_until"] == format_time(attributed_at + timedelta(days=15))
    assert body["deadlines"]["objection_open"] is False
    assert body["status"] == "attributed"


def test_an_objection_on_the_last_day_is_accepted(
    app: Flask, client: FlaskClient, make_party: Callable[..., Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock = travel(monkeypatch, real_now() - timedelta(days=20))
    world = build_world(client, make_party)
    complaint = damaged_parcel(world, 1).complaint
    clock.advance(days=15)
    assert object_to(world, app, complaint, world.courier).status_code == 201


def test_only_an_attributed_party_or_its_company_may_object(
    app: Flask, client: FlaskClient, world: World, make_party: Callable[..., Actor]
) -> None:
    complaint = damaged_parcel(world, 1).complaint
    stranger = other_courier(make_party)

    for signer in (world.last_mile, stranger, world.merchant):
        assert_problem(object_to(world, app, complaint, signer), 403, "not_attributed")
    assert case(client, complaint, world.regulator)["status"] == "attributed"
    assert object_to(world, app, complaint, world.courier).status_code == 201


def test_only_a_regulator_decides_an_objection(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    complaint = damaged_parcel(world, 1).complaint
    clock.advance(minutes=10)
    objection = object_to(world, app, complaint, world.hub).get_json()["hash"]
    clock.advance(minutes=10)

    for signer in (world.courier, world.merchant, world.platform, world.hub):
        assert_problem(
            decide(world, app, complaint, objection, "reversed", signer=signer), 403, "wrong_signer"
        )
    assert case(client, complaint, world.regulator)["status"] == "pending_objection"


def test_an_objection_pending_past_the_10_day_review_is_listed_overdue(
    app: Flask, client: FlaskClient, make_party: Callable[..., Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock = travel(monkeypatch, real_now() - timedelta(days=12))
    world = build_world(client, make_party)
    old = damaged_parcel(world, 1).complaint
    clock.advance(hours=1)
    filed_at = clock()
    assert object_to(world, app, old, world.hub).status_code == 201
    clock.moment = real_now() - timedelta(minutes=30)
    recent = damaged_parcel(world, 2).complaint
    clock.advance(minutes=5)
    assert object_to(world, app, recent, world.hub).status_code == 201

    overdue = cases(client, world.regulator, status="pending_objection", overdue="true")
    assert [c["complaint"] for c in overdue["items"]] == [old]
    [item] = overdue["items"]
    assert item["overdue"] is True
    assert item["objection"]["filed_at"] == format_time(filed_at)
    assert item["review_due"] == format_time(filed_at + timedelta(days=10))
    on_time = cases(client, world.regulator, status="pending_objection", overdue="false")
    assert [(c["complaint"], c["overdue"]) for c in on_time["items"]] == [(recent, False)]
    every = cases(client, world.regulator, status="pending_objection")
    assert [c["complaint"] for c in every["items"]] == [recent, old]  # newest complaint first
    assert every["total"] == 2
    page = cases(client, world.regulator, page=2, page_size=1)
    assert ([c["complaint"] for c in page["items"]], page["total"]) == ([old], 2)
    # A late decision is still a decision.
    clock.advance(minutes=5)
    objection = case(client, old, world.regulator)["objection"]["hash"]
    assert decide(world, app, old, objection, "upheld").status_code == 201
    assert cases(client, world.regulator, overdue="true")["items"] == []


def test_the_complainant_records_resolution_and_is_not_named_to_the_courier(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    complaint = damaged_parcel(world, 1).complaint
    clock.advance(days=2)
    resolved = sign_case_record(world, app, complaint, "resolution", world.buyer, note="已赔付")
    assert resolved.status_code == 201, resolved.get_json()

    body = case(client, complaint, world.hub)
    assert body["resolved_at"] == format_time(clock())
    resolution = body["records"][-1]
    assert (resolution["kind"], resolution["note"]) == ("resolution", "已赔付")
    assert (resolution["by"], resolution["by_kind"]) == (None, "buyer")
    assert world.buyer.keyid not in str(body)
    assert case(client, complaint, world.regulator)["records"][-1]["by"] == world.buyer.keyid


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
