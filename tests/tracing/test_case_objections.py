"""Objections and decisions on a complaint case: the attributed party (or its company) objects
within 15 days, once per finding; a regulator decides within 10 days, or the objection is
listed overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

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
    other_courier,
    real_now,
    shares_of,
    travel,
)
from trace_service.plumbing.timestamps import format_time, parse_time


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
