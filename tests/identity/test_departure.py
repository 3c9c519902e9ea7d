"""A staff member leaving its courier company (离职), an outlet closing, and voiding credentials:
what the leaver signed before stays valid; from then on it can sign, read and enrol nothing."""

from __future__ import annotations

from datetime import timedelta

from click.testing import Result

from tests.lifecycle.flow import assert_problem, build_world, full_journey, log_size, now
from tests.tracing.cases_flow import sscc
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission


def _verify_log(app) -> Result:
    return app.test_cli_runner().invoke(args=["verify-log"])


def test_the_company_records_a_departure_and_the_leaver_can_do_nothing_more(
    app, client, make_party
):
    world = build_world(client, make_party)
    item = full_journey(world)
    hub = world.hub
    before = client.get(f"/parties/{hub.party_id}/credit", headers=hub.auth)
    assert before.status_code == 200

    left = client.post(f"/parties/{hub.party_id}/departure", headers=world.courier.auth)
    assert left.status_code == 200, left.get_json()
    body = left.get_json()
    assert body["status"] == "left"
    assert body["keys_revoked"] == [hub.key.keyid]
    assert body["credentials_revoked"] == 1
    assert client.get(f"/parties/{hub.party_id}").get_json()["status"] == "left"

    # Its credential reads nothing, so it cannot enrol itself a fresh key either.
    assert_problem(client.get(f"/parties/{hub.party_id}/credit", headers=hub.auth), 401,
                   "unauthorized")  # fmt: skip
    fresh = KeyHolder(party_id=hub.party_id)
    assert_problem(
        client.post(
            f"/parties/{hub.party_id}/keys", json={"public_key": fresh.public_b64}, headers=hub.auth
        ),
        401,
        "unauthorized",
    )
    # Its old key signs nothing new; a key its company enrols by mistake is refused too.
    parcel = sscc(811)
    second = f"01/{item.split('/')[1]}/21/LEAVE-2"
    world.sell(second)
    world.dispatch(parcel, [second])
    world.handoff(parcel, world.pickup, world.last_mile)
    size = log_size(client)
    takeover = payload("handoff", parcel, world.heads[parcel], now() + timedelta(seconds=2),
                       from_=world.last_mile.party_id, weight_g=800, condition="intact",
                       location={"name": "上海转运中心", "city": "上海"})  # fmt: skip
    refused = client.post("/events", json=submission(sign(takeover, hub.key, world.last_mile.key)))
    assert refused.status_code == 403 and refused.get_json()["code"] in {
        "key_revoked",
        "party_inactive",
    }
    enrolled = client.post(f"/parties/{hub.party_id}/keys", json={"public_key": fresh.public_b64},
                           headers=world.courier.auth)  # fmt: skip
    assert enrolled.status_code == 201
    commitment = payload("commitment", f"party/{hub.party_id}", None, now() + timedelta(seconds=2),
                         standard="信用承诺书 v1", text="诚信经营")  # fmt: skip
    assert_problem(client.post("/events", json=submission(sign(commitment, fresh))), 403,
                   "party_inactive")  # fmt: skip
    assert log_size(client) == size

    # What it signed while employed still verifies, on the item page and in the whole log.
    page = client.get(f"/{item}?format=application/json").get_json()
    by_hub = [e for e in page["events"] if any(s.get("party_id") == hub.party_id
                                                for s in e["signers"])]  # fmt: skip
    assert by_hub and all(e["signature_valid"] for e in by_hub) and page["verified"]
    result = _verify_log(app)
    assert result.exit_code == 0, result.output


def test_only_its_own_company_or_a_regulator_records_a_departure(client, make_party):
    world = build_world(client, make_party)
    rival = make_party("courier_company", "通远速运")
    for actor in (rival, world.pickup, world.merchant, world.platform):
        assert_problem(client.post(f"/parties/{world.hub.party_id}/departure",
                                   headers=actor.auth), 403, "forbidden")  # fmt: skip
    # A company is not staff: a departure is for staff members and outlets only.
    assert_problem(client.post(f"/parties/{world.courier.party_id}/departure",
                               headers=world.regulator.auth), 403, "forbidden")  # fmt: skip
    assert_problem(client.post("/parties/stf-nobody/departure", headers=world.regulator.auth),
                   404, "not_found")  # fmt: skip
    assert_problem(client.post(f"/parties/{world.hub.party_id}/departure"), 401, "unauthorized")
    done = client.post(f"/parties/{world.hub.party_id}/departure", headers=world.regulator.auth)
    assert done.status_code == 200
    # A re-hire is a regulator's decision, with keys enrolled anew.
    back = client.put(f"/parties/{world.hub.party_id}/status", json={"status": "active"},
                      headers=world.regulator.auth)  # fmt: skip
    assert back.status_code == 200 and back.get_json()["status"] == "active"
    keys = client.get(f"/parties/{world.hub.party_id}/keys").get_json()
    assert all(k["revoked_at"] for k in keys)


def test_voiding_credentials_after_a_lost_phone(client, make_party):
    world = build_world(client, make_party)
    staff = world.last_mile
    extra = client.post(f"/parties/{staff.party_id}/credentials", headers=staff.auth)
    assert extra.status_code == 201
    second = {"Authorization": f"Bearer {extra.get_json()['credential']}"}
    assert_problem(client.post(f"/parties/{staff.party_id}/credentials/revoke",
                               headers=world.merchant.auth), 403, "forbidden")  # fmt: skip
    voided = client.post(f"/parties/{staff.party_id}/credentials/revoke",
                         headers=world.courier.auth)  # fmt: skip
    assert voided.status_code == 200 and voided.get_json()["credentials_revoked"] == 2
    for headers in (staff.auth, second):
        assert_problem(client.get(f"/parties/{staff.party_id}/credit", headers=headers), 401,
                       "unauthorized")  # fmt: skip
    # The company issues a new one; the party is still active and its key still signs.
    renewed = client.post(f"/parties/{staff.party_id}/credentials", headers=world.regulator.auth)
    token = renewed.get_json()["credential"]
    fresh = client.get(f"/parties/{staff.party_id}/credit",
                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert fresh.status_code == 200
