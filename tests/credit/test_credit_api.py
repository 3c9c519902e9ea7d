"""Courier credit over HTTP: published ratings explained complaint by complaint (公示), the black
list from nomination to decision, objection and repair, and the platform admission check.

Stories run on a clock an hour (or a year) in the past; see tests/tracing/cases_flow.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actor
from tests.credit.records_flow import (
    decide_on,
    get_json,
    nomination_of,
    party_record,
    short_parcel,
    snapshot,
)
from tests.lifecycle.flow import World, assert_problem, build_world
from tests.tracing.cases_flow import Clock, damaged_parcel, real_now, travel
from trace_service.db import new_session
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.service_records import record_as_service
from trace_service.plumbing.timestamps import format_time, parse_time


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return travel(monkeypatch, real_now() - timedelta(hours=1))


@pytest.fixture
def world(client: FlaskClient, make_party: Callable[..., Actor], clock: Clock) -> World:
    return build_world(client, make_party)


def other_courier(make_party: Callable[..., Actor]) -> Actor:
    company = make_party("courier_company", "通远速运")
    return make_party("staff", "派送员 周静", company=company)


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


# Publication before any snapshot, and the method


def test_before_the_first_snapshot_ratings_are_a_no_snapshot_problem(
    client: FlaskClient, world: World
) -> None:
    for url in ("/ratings", "/lists/red", f"/ratings/units/{world.hub.party_id}"):
        assert_problem(client.get(url), 404, "no_snapshot")
    assert_problem(client.get("/ratings/snapshots/0"), 404, "unknown_snapshot")
    assert_problem(client.get("/ratings/snapshots/0/content"), 404, "unknown_snapshot")
    assert get_json(client, "/ratings/snapshots") == {
        "items": [], "total": 0, "page": 1, "page_size": 50
    }  # fmt: skip
    assert black_list(client) == []


def test_the_method_and_the_rules_are_published_with_their_versions(client: FlaskClient) -> None:
    body = get_json(client, "/ratings/method")

    assert body["method_version"] == body["parameters"]["version"] == "2026.2"
    assert body["parameters"]["severity"]["privacy_leak"] == 10
    assert body["parameters"]["time_weights"] == [[6, 3], [12, 2], [24, 1]]
    assert body["parameters"]["repair_min_days_serious"] == 365
    assert body["rules_version"] == body["rules"]["version"] == "2026.2"
    assert (body["rules"]["objection_period_days"], body["rules"]["review_period_days"]) == (15, 10)
    assert body["rules"]["parameters"]["objection_period"] == "P15D"


# Ratings, snapshots and explanations


def test_a_rating_is_explained_complaint_by_complaint_and_its_content_hashes_as_logged(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    buyer_short = short_parcel(world, 1).complaint  # the buyer's: has standing
    platform_short = short_parcel(world, 2, complainant=world.platform).complaint  # a lead only
    damaged = damaged_parcel(world, 3).complaint  # the hub's
    clock.advance(minutes=10)

    assert_problem(client.post("/ratings/snapshots", json={}), 401, "unauthorized")
    assert_problem(
        client.post("/ratings/snapshots", json={}, headers=world.courier.auth), 403, "forbidden"
    )
    future = format_time(real_now() + timedelta(days=1))
    assert_problem(
        client.post("/ratings/snapshots", json={"as_of": future}, headers=world.regulator.auth),
        422,
        "snapshot_in_future",
    )
    response = client.post("/ratings/snapshots", json={}, headers=world.regulator.auth)
    assert response.status_code == 201, response.get_json()
    header = response.get_json()
    assert header["nominations"] == 1  # the last-mile staff's serious fault
    assert (header["method_version"], header["rules_version"]) == ("2026.2", "2026.2")

    # Anyone can fetch the content and check its hash against the logged record.
    content = client.get(f"/ratings/snapshots/{header['index']}/content")
    assert content.status_code == 200
    assert content.mimetype == "application/x-ndjson"
    assert hashlib.sha256(content.data).hexdigest() == header["content_hash"]
    logged = json.loads(client.get(f"/events/{header['hash']}").data)["payload"]
    assert logged["content_hash"] == header["content_hash"]
    assert json.loads(content.data.split(b"\n")[0])["kind"] == "header"
    assert world.buyer.keyid not in content.get_data(as_text=True)

    ratings = get_json(client, "/ratings")
    assert ratings["snapshot"] == {k: v for k, v in header.items() if k != "nominations"}
    units = {u["unit_id"]: u for u in ratings["units"]}
    staff = {world.pickup.party_id, world.hub.party_id, world.last_mile.party_id}
    assert set(units) == staff | {world.courier.party_id}
    last_mile = units[world.last_mile.party_id]
    assert (last_mile["name"], last_mile["role"], last_mile["company"]) == (
        "派送员 赵六", "staff", world.courier.party_id
    )  # fmt: skip
    assert last_mile["black_listed"] is False and last_mile["red_list"] is False
    assert len(last_mile["interval_per_million"]) == 2
    assert Decimal(last_mile["weighted_faults"]) > 0

    # Every complaint with standing that names the unit, and only those, explain its number.
    attributed: dict[str, set[str]] = {}
    for item in get_json(client, "/cases", world.regulator)["items"]:
        detail = get_json(client, f"/cases/{item['complaint']}", world.regulator)
        if detail["records"][-1]["standing"]:
            for share in detail["shares"]:
                for named in (share["party"], share["outlet"], share["company"]):
                    if named:
                        attributed.setdefault(named, set()).add(item["complaint"])
    assert attributed[world.courier.party_id] == {buyer_short, damaged}
    assert attributed[world.last_mile.party_id] == {buyer_short}
    for unit in units.values():
        body = get_json(client, f"/ratings/units/{unit['unit_id']}/explanation")
        assert body["weighted_faults"] == unit["weighted_faults"]
        assert body["sum_of_contributions"] == body["weighted_faults"]
        assert body["balanced"] is True
        assert sum(Decimal(c["contribution"]) for c in body["complaints"]) == Decimal(
            body["weighted_faults"]
        )
        explained = {c["complaint"] for c in body["complaints"]}
        assert explained == attributed.get(unit["unit_id"], set()), unit["unit_id"]
        assert platform_short not in explained
    explained = get_json(client, f"/ratings/units/{world.last_mile.party_id}/explanation")
    [row] = explained["complaints"]
    case = get_json(client, f"/cases/{buyer_short}", world.regulator)
    assert (row["complaint"], row["index"], row["category"]) == (
        buyer_short, case["index"], "short"
    )  # fmt: skip
    assert (row["severity"], row["time_weight"], row["share"], row["repaired"]) == (
        10, 3, "1", False
    )  # fmt: skip
    assert row["occurred_at"] == case["complained_at"]
    assert explained["posterior_mean_per_million"] == last_mile["posterior_mean_per_million"]
    assert explained["exposure"] == last_mile["exposure"]

    # Filters of the public table.
    staff_only = get_json(client, "/ratings", role="staff")["units"]
    assert {u["unit_id"] for u in staff_only} == staff
    company = get_json(client, "/ratings", company=world.courier.party_id)["units"]
    assert len(company) == 4
    assert get_json(client, "/ratings", company="cor-nobody")["units"] == []
    grade = last_mile["grade"]
    assert world.last_mile.party_id in {
        u["unit_id"] for u in get_json(client, "/ratings", grade=grade)["units"]
    }
    assert_problem(client.get("/ratings", query_string={"grade": "E"}), 422, "validation_failed")

    # A second snapshot: the grade history grows; the list is newest first.
    second = client.post("/ratings/snapshots", json={}, headers=world.regulator.auth).get_json()
    assert second["nominations"] == 0  # already nominated
    unit = get_json(client, f"/ratings/units/{world.last_mile.party_id}")
    assert unit["snapshot"]["index"] == second["index"]
    assert [h["snapshot"] for h in unit["history"]] == [header["index"], second["index"]]
    assert unit["latest"]["grade"] == unit["history"][-1]["grade"]
    assert unit["latest"]["black_list_reasons"][0]["code"] == "serious_faults"
    listed = get_json(client, "/ratings/snapshots")
    assert [s["index"] for s in listed["items"]] == [second["index"], header["index"]]
    first = get_json(client, f"/ratings/snapshots/{header['index']}")
    assert {u["unit_id"] for u in first["units"]} == set(units)
    older = get_json(
        client, f"/ratings/units/{world.last_mile.party_id}/explanation", snapshot=header["index"]
    )
    assert older["snapshot"]["index"] == header["index"]
    assert get_json(client, "/lists/red")["units"] == []  # no unit has 4 months of grade A
    assert_problem(client.get("/ratings/units/stf-nobody"), 404, "unknown_unit")
    assert_problem(
        client.get(f"/ratings/units/{world.merchant.party_id}/explanation"), 404, "unknown_unit"
    )


# The black list: nomination, decision, objection, repair


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


# Admission (准入核验)


def test_admission_of_an_unknown_party_or_a_non_courier_is_a_problem(
    client: FlaskClient, world: World
) -> None:
    assert_problem(client.get("/admission/stf-nobody"), 404, "unknown_party")
    problem = assert_problem(
        client.get(f"/admission/{world.merchant.party_id}"), 422, "not_a_courier"
    )
    assert "not a courier" in problem["detail"]
    assert problem["kind"] == "merchant"


def test_admission_refuses_a_suspended_courier_or_one_of_a_suspended_company(
    client: FlaskClient, world: World
) -> None:
    body = admission(client, world.last_mile)
    assert (body["admitted"], body["reasons"], body["latest_grade"]) == (True, [], None)
    assert body["courier"]["company"] == world.courier.party_id

    suspend = client.put(
        f"/parties/{world.courier.party_id}/status", json={"status": "suspended"},
        headers=world.regulator.auth,
    )  # fmt: skip
    assert suspend.status_code == 200
    for unit in (world.last_mile, world.courier):
        refused = admission(client, unit)
        assert refused["admitted"] is False
        [why] = refused["reasons"]
        assert why["code"] == "suspended"
        assert world.courier.party_id in why["detail"]["en"]
        assert "暂停" in why["detail"]["zh"]


def test_admission_refuses_the_staff_of_a_black_listed_company(
    app: Flask, client: FlaskClient, world: World, clock: Clock
) -> None:
    # A nomination the service records outside a snapshot (e.g. on a regulator's finding).
    reasons = [{"code": "confirmed_fabrication", "detail": "a regulator confirmed fabrication"}]
    with app.app_context():
        session = new_session(app)
        [nominated] = record_as_service(
            session, IngestContext.for_app(app),
            [("nomination", f"party/{world.courier.party_id}",
              {"list": "black", "snapshot": "0" * 64, "reasons": reasons})],
            clock(),
        )  # fmt: skip
        session.close()
    [pending] = get_json(client, "/lists/nominations", world.regulator)
    assert pending["snapshot"] == {"hash": "0" * 64, "index": None, "as_of": None}
    clock.advance(hours=1)
    assert decide_on(world, app, world.courier, nominated.hash, "confirmed").status_code == 201

    [entry] = black_list(client)
    assert entry["party"] == world.courier.party_id
    assert entry["reasons"] == [{**reasons[0], "evidence": []}]
    for unit in (world.courier, world.pickup, world.last_mile):
        refused = admission(client, unit)
        assert refused["admitted"] is False
        [why] = refused["reasons"]
        assert why["code"] == "black_listed"
        assert world.courier.party_id in why["detail"]["en"]
