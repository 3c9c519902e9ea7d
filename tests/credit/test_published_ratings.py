"""Courier credit published over HTTP (公示): before the first snapshot, the method and rules with
their versions, and ratings explained complaint by complaint, their content hashing as logged.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient

from tests.credit.records_flow import black_list, get_json, short_parcel
from tests.lifecycle.flow import World, assert_problem
from tests.tracing.cases_flow import Clock, damaged_parcel, real_now
from trace_service.plumbing.timestamps import format_time

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
