"""Who may read a complaint case: regulators and the parties it names, never the buyer's key to
the courier, and the complainant's resolution without its name.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Actor
from tests.lifecycle.flow import World, assert_problem
from tests.tracing.cases_flow import (
    Clock,
    case,
    cases,
    damaged_parcel,
    other_courier,
    shares_of,
    sign_case_record,
)
from trace_service.plumbing.timestamps import format_time


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
