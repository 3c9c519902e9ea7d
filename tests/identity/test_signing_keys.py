"""Signing keys through the HTTP API: who may enrol a key for whom, and who may revoke it, when."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.identity.conftest import enrol, keys_of
from tests.lifecycle.flow import assert_problem, log_size, now
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission
from trace_service.plumbing.timestamps import format_time


def test_party_enrols_its_own_key_and_signs_with_it(client, make_party):
    merchant = make_party("merchant")
    key = KeyHolder(party_id=merchant.party_id)
    valid_from = now() - timedelta(minutes=5)
    response = enrol(client, merchant, merchant.party_id, key, valid_from=format_time(valid_from))
    assert response.status_code == 201, response.get_json()
    out = response.get_json()
    assert out["keyid"] == key.keyid and out["party_id"] == merchant.party_id
    assert out["enrolled_by"] == merchant.party_id and out["revoked_at"] is None
    assert base64.b64decode(out["public_key"]) == key.public_key
    assert key.keyid in keys_of(client, merchant.party_id)
    # the new key signs a public credit commitment (信用承诺) that the log accepts
    body = payload(
        "commitment",
        f"party/{merchant.party_id}",
        None,
        now(),
        standard="信用承诺书 v1",
        text="诚信经营",
    )
    accepted = client.post("/events", json=submission(sign(body, key)))
    assert accepted.status_code == 201, accepted.get_json()


def test_courier_company_enrols_its_staffs_keys(client, make_party):
    company = make_party("courier_company")
    staff = make_party("staff", company=company)
    outlet = make_party("outlet", company=company)
    for member in (staff, outlet):
        response = enrol(client, company, member.party_id)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["enrolled_by"] == company.party_id
        assert response.get_json()["party_id"] == member.party_id


def test_another_company_cannot_enrol_keys_for_staff(client, make_party):
    company = make_party("courier_company")
    rival = make_party("courier_company")
    staff = make_party("staff", company=company)
    before = keys_of(client, staff.party_id)
    assert_problem(enrol(client, rival, staff.party_id), 403, "forbidden")
    colleague = make_party("staff", company=company)  # a colleague is not the company
    assert_problem(enrol(client, colleague, staff.party_id), 403, "forbidden")
    assert keys_of(client, staff.party_id) == before


def test_parties_cannot_enrol_keys_for_each_other(client, make_party):
    merchant = make_party("merchant")
    other = make_party("merchant")
    platform = make_party("platform")
    courier = make_party("courier_company")
    for actor in (other, platform, courier):
        assert_problem(enrol(client, actor, merchant.party_id), 403, "forbidden")
    # a staff member cannot enrol a key for its company either
    staff = make_party("staff", company=courier)
    assert_problem(enrol(client, staff, courier.party_id), 403, "forbidden")


def test_regulator_enrols_for_anyone(client, make_party, registrar):
    merchant = make_party("merchant")
    response = enrol(client, registrar, merchant.party_id)
    assert response.status_code == 201
    assert response.get_json()["enrolled_by"] == registrar.party_id


def test_key_enrolment_errors(client, make_party):
    merchant = make_party("merchant")
    # the factory's own key is already enrolled
    assert_problem(enrol(client, merchant, merchant.party_id, merchant.key), 409, "conflict")
    for bad in ("not base64!", base64.b64encode(b"k" * 31).decode(), ""):
        response = client.post(
            f"/parties/{merchant.party_id}/keys", json={"public_key": bad}, headers=merchant.auth
        )
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
    response = client.post(
        f"/parties/{merchant.party_id}/keys",
        json={"public_key": KeyHolder().public_b64, "valid_from": "2026-01-01T08:00:00"},
        headers=merchant.auth,
    )
    assert_problem(response, 422, "validation_failed")  # a time without its zone is ambiguous
    assert_problem(enrol(client, merchant, "mer-nobody"), 404, "not_found")


# --- revocation -------------------------------------------------------------------------------


def revoke(client, actor, keyid: str, at: datetime | None = None) -> Any:
    body = {"at": format_time(at)} if at else {}
    return client.post(f"/keys/{keyid}/revoke", json=body, headers=actor.auth)


def test_party_revokes_its_key(client, make_party):
    merchant = make_party("merchant")
    at = now() + timedelta(minutes=10)
    response = revoke(client, merchant, merchant.key.keyid, at)
    assert response.status_code == 200, response.get_json()
    listed = keys_of(client, merchant.party_id)[merchant.key.keyid]
    assert datetime.fromisoformat(listed["revoked_at"]) == at
    # a later revocation time does not move it; an earlier one does
    revoke(client, merchant, merchant.key.keyid, at + timedelta(hours=1))
    listed = keys_of(client, merchant.party_id)[merchant.key.keyid]
    assert datetime.fromisoformat(listed["revoked_at"]) == at
    revoke(client, merchant, merchant.key.keyid, at - timedelta(minutes=5))
    listed = keys_of(client, merchant.party_id)[merchant.key.keyid]
    assert datetime.fromisoformat(listed["revoked_at"]) == at - timedelta(minutes=5)


def test_revoked_key_no_longer_signs(client, make_party):
    merchant = make_party("merchant")
    assert revoke(client, merchant, merchant.key.keyid).status_code == 200
    size = log_size(client)
    body = payload(
        "commitment",
        f"party/{merchant.party_id}",
        None,
        now() + timedelta(seconds=5),
        standard="信用承诺书 v1",
        text="诚信经营",
    )
    response = client.post("/events", json=submission(sign(body, merchant.key)))
    assert_problem(response, 403, "key_revoked")
    assert log_size(client) == size


def test_default_revocation_time_is_now(client, make_party):
    merchant = make_party("merchant")
    before = datetime.now(UTC)
    response = revoke(client, merchant, merchant.key.keyid)
    revoked_at = datetime.fromisoformat(response.get_json()["revoked_at"])
    assert before - timedelta(seconds=1) <= revoked_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_company_revokes_its_staffs_key_but_others_cannot(client, make_party):
    company = make_party("courier_company")
    rival = make_party("courier_company")
    staff = make_party("staff", company=company)
    merchant = make_party("merchant")
    for actor in (rival, merchant, make_party("staff", company=company)):
        assert_problem(revoke(client, actor, staff.key.keyid), 403, "forbidden")
    assert keys_of(client, staff.party_id)[staff.key.keyid]["revoked_at"] is None
    assert revoke(client, company, staff.key.keyid).status_code == 200
    assert keys_of(client, staff.party_id)[staff.key.keyid]["revoked_at"] is not None


def test_revoke_unknown_key(client, make_party):
    merchant = make_party("merchant")
    assert_problem(revoke(client, merchant, "0123456789abcdef"), 404, "not_found")
