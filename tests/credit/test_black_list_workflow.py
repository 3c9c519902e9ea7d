"""The black list over HTTP, from nomination to decision: the unit is told why and may object, a
regulator confirms, rejects, upholds or reverses, and credit repair delists only after the
minimum period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actor
from tests.credit.records_flow import (
    admission,
    black_list,
    decide_on,
    get_json,
    list_last_mile,
    nominate_last_mile,
    party_record,
)
from tests.lifecycle.flow import World, assert_problem, build_world
from tests.tracing.cases_flow import Clock, other_courier, real_now, travel
from trace_service.plumbing.timestamps import format_time, parse_time


def test_a_confirmed_nomination_lists_the_unit_and_admission_refuses_it(
    app: Flask, client: FlaskClient, world: World, clock: Clock, make_party: Callable[..., Actor]
) -> None:
    complaint, nomination = nominate_last_mile(world, app, clock)

    assert_problem(client.get("/lists/nominations"), 401, "unauthorized")
    assert_problem(client.get("/lists/nominations", headers=world.courier.auth), 403, "forbidden")
    [pending] = get_json(client, "/lists/nominations", world.regulator)
    assert (pending["party"], pending["nomination"]) == (world.last_mile.party_id, nomination)
    assert pending["snapshot"]["index"] is not None
    [reason] = pending["reasons"]
    assert (reason["code"], reason["evidence"]) == ("serious_faults", [complaint])
    # The party is told why, and that it may object once listed.
    notice = get_json(client, f"/parties/{world.last_mile.party_id}/credit", world.last_mile)
    assert notice["records"][0]["kind"] == "nomination"
    assert notice["records"][0]["details"]["reasons"][0]["code"] == "serious_faults"
    steps = {s["action"]: s for s in notice["next_steps"]}
    assert set(steps) == {"await_nomination_decision", "object_case"}
    assert steps["await_nomination_decision"]["on"] == nomination
    # ... and that the finding on the complaint itself may still be objected to.
    assert steps["object_case"]["case"] == complaint
    case = get_json(client, f"/cases/{complaint}", world.last_mile)
    assert steps["object_case"]["until"] == case["objection_until"]
    assert admission(client, world.last_mile)["admitted"] is True  # nominated is not listed

    clock.advance(hours=1)
    confirmed = decide_on(world, app, world.last_mile, nomination, "confirmed")
    assert confirmed.status_code == 201, confirmed.get_json()
    decision = confirmed.get_json()["hash"]

    [entry] = black_list(client)
    assert (entry["party"], entry["kind"], entry["company"]) == (
        world.last_mile.party_id, "staff", world.courier.party_id
    )  # fmt: skip
    assert (entry["since"], entry["decision"], entry["nomination"]) == (
        format_time(clock()), decision, nomination
    )  # fmt: skip
    assert [(r["code"], r["evidence"]) for r in entry["reasons"]] == [
        ("serious_faults", [complaint])
    ]
    assert get_json(client, "/lists/nominations", world.regulator) == []
    refused = admission(client, world.last_mile)
    assert refused["admitted"] is False
    [why] = refused["reasons"]
    assert why["code"] == "black_listed"
    assert why["evidence"] == [decision, nomination]
    assert "黑名单" in why["detail"]["zh"] and "black list" in why["detail"]["en"]
    assert admission(client, world.courier)["admitted"] is True  # the company is not listed
    assert admission(client, world.hub)["admitted"] is True
    rated = next(
        u for u in get_json(client, "/ratings")["units"] if u["unit_id"] == world.last_mile.party_id
    )
    assert rated["black_listed"] is True

    # Notified of the listing and of the right to object within 15 days.
    since = parse_time(entry["since"])
    for reader in (world.last_mile, world.courier, world.regulator):
        notice = get_json(client, f"/parties/{world.last_mile.party_id}/credit", reader)
        assert [r["kind"] for r in notice["records"]] == ["nomination", "decision"]
        assert notice["standing"]["black_listed"]["record"] == decision
        steps = {s["action"]: s for s in notice["next_steps"]}
        assert steps["object"]["on"] == decision
        assert steps["object"]["until"] == format_time(since + timedelta(days=15))
        assert steps["rectify"]["earliest_delisting"] == format_time(since + timedelta(days=365))
    stranger = other_courier(make_party)
    assert_problem(
        client.get(f"/parties/{world.last_mile.party_id}/credit", headers=stranger.auth),
        403,
        "not_your_records",
    )
    assert_problem(client.get(f"/parties/{world.last_mile.party_id}/credit"), 401, "unauthorized")
    assert_problem(
        client.get("/parties/stf-nobody/credit", headers=world.regulator.auth), 404, "unknown_party"
    )


def test_a_listing_reversed_on_objection_delists_and_readmits(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    _, _, decision = list_last_mile(world, app, clock)
    clock.advance(days=1)
    objected = party_record(
        world, app, "objection", world.last_mile, world.last_mile, on=decision,
        reason="重量差系称重误差，附复称记录", evidence=[],
    )  # fmt: skip
    assert objected.status_code == 201, objected.get_json()
    objection = objected.get_json()["hash"]
    notice = get_json(client, f"/parties/{world.last_mile.party_id}/credit", world.last_mile)
    steps = {s["action"]: s for s in notice["next_steps"]}
    assert steps["await_objection_review"]["due"] == format_time(clock() + timedelta(days=10))
    assert "object" not in steps  # one objection at a time
    assert admission(client, world.last_mile)["admitted"] is False  # listed until decided

    clock.advance(days=5)
    reversed_ = decide_on(world, app, world.last_mile, objection, "reversed")
    assert reversed_.status_code == 201, reversed_.get_json()

    assert black_list(client) == []
    readmitted = admission(client, world.last_mile)
    assert (readmitted["admitted"], readmitted["reasons"]) == (True, [])


def test_an_upheld_objection_keeps_the_listing(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    _, _, decision = list_last_mile(world, app, clock)
    clock.advance(days=1)
    # The courier company objects for its staff member.
    objection = party_record(
        world, app, "objection", world.last_mile, world.courier, on=decision, reason="不服",
        evidence=[],
    )  # fmt: skip
    assert objection.status_code == 201, objection.get_json()
    clock.advance(days=2)
    upheld = decide_on(world, app, world.last_mile, objection.get_json()["hash"], "upheld")
    assert upheld.status_code == 201

    [entry] = black_list(client)
    assert entry["objected"] is True
    notice = get_json(client, f"/parties/{world.last_mile.party_id}/credit", world.last_mile)
    assert [s["action"] for s in notice["next_steps"]] == ["rectify", "object_case"]


def test_a_rejected_nomination_is_never_listed(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    _, nomination = nominate_last_mile(world, app, clock)
    clock.advance(hours=1)
    not_regulator = decide_on(
        world, app, world.last_mile, nomination, "confirmed", signer=world.courier
    )
    assert_problem(not_regulator, 403, "wrong_signer")
    rejected = decide_on(world, app, world.last_mile, nomination, "rejected")
    assert rejected.status_code == 201, rejected.get_json()

    assert black_list(client) == []
    assert get_json(client, "/lists/nominations", world.regulator) == []
    assert admission(client, world.last_mile)["admitted"] is True
    notice = get_json(client, f"/parties/{world.last_mile.party_id}/credit", world.last_mile)
    assert [(r["kind"], r["outcome"]) for r in notice["records"]] == [
        ("nomination", None), ("decision", "rejected")
    ]  # fmt: skip
    assert [s["action"] for s in notice["next_steps"]] == ["object_case"]


def test_credit_repair_delists_only_after_the_minimum_period(
    app: Flask, client: FlaskClient, make_party: Callable[..., Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    clock = travel(monkeypatch, real_now() - timedelta(days=400))
    world = build_world(client, make_party)
    complaint, _, _ = list_last_mile(world, app, clock)
    since = parse_time(black_list(client)[0]["since"])

    def repair() -> Any:
        clock.advance(days=1)
        rectified = party_record(
            world, app, "rectification", world.last_mile, world.courier, complaints=[complaint],
            measures="更换派送员，增设称重复核",
        )  # fmt: skip
        assert rectified.status_code == 201, rectified.get_json()
        pending = get_json(client, f"/parties/{world.last_mile.party_id}/credit", world.courier)
        assert "await_repair_decision" in {s["action"] for s in pending["next_steps"]}
        clock.advance(days=1)
        granted = decide_on(world, app, world.last_mile, rectified.get_json()["hash"], "granted")
        assert granted.status_code == 201, granted.get_json()
        return get_json(client, f"/parties/{world.last_mile.party_id}/credit", world.regulator)

    early = repair()  # a few days after the listing: granted, but the listing stays
    assert early["standing"]["repairs"] == 1
    assert [e["party"] for e in black_list(client)] == [world.last_mile.party_id]
    assert admission(client, world.last_mile)["admitted"] is False

    clock.moment = since + timedelta(days=364)
    late = repair()  # decided 366 days after the listing
    assert clock() >= since + timedelta(days=365)
    assert late["standing"]["repairs"] == 2
    assert late["standing"]["black_listed"] is None
    assert black_list(client) == []
    assert admission(client, world.last_mile)["admitted"] is True
