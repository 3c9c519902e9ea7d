"""The platform admission check (准入核验): unknown parties and non-couriers are problems; a
suspended courier, one of a suspended company or the staff of a black-listed company are
refused with the reason.
"""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.credit.records_flow import admission, black_list, decide_on, get_json
from tests.lifecycle.flow import World, assert_problem
from tests.tracing.cases_flow import Clock
from trace_service.db import new_session
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.service_records import record_as_service


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
