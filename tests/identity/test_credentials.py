"""Bearer credentials through the HTTP API: the protected endpoints refuse a missing or invalid
one, a suspended party's is refused, and who may issue one, or change a party's status."""

from __future__ import annotations

import base64

import pytest

from tests.identity.conftest import call, enrol, keys_of, next_uscc, register
from tests.lifecycle.flow import assert_problem
from trace_service.lifecycle.compose import KeyHolder

PROTECTED = [
    ("post", "/parties", {"kind": "merchant", "name": "m", "uscc": "91310000MA1FL99990"}),
    ("put", "/parties/{pid}/status", {"status": "suspended"}),
    ("post", "/parties/{pid}/keys", {"public_key": base64.b64encode(b"k" * 32).decode()}),
    ("post", "/keys/{keyid}/revoke", {}),
    ("post", "/parties/{pid}/credentials", None),
    (
        "post",
        "/products",
        {"gtin": "09506000134352", "name": "n", "origin": "o", "producer": "p", "licences": []},
    ),
    ("get", "/parcels/00/106141412345678908/recipient?purpose=x", None),
    ("get", "/parcels/00/106141412345678908/recipient/reads", None),
]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer ts_wrong"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "ts_wrong"},
    ],
    ids=["anonymous", "wrong token", "empty bearer", "basic", "no scheme"],
)
@pytest.mark.parametrize(("method", "url", "body"), PROTECTED, ids=[p[1] for p in PROTECTED])
def test_protected_endpoints_need_a_valid_credential(
    client, make_party, headers, method, url, body
):
    merchant = make_party("merchant")
    target = url.format(pid=merchant.party_id, keyid=merchant.key.keyid)
    response = call(client, method, target, body, headers)
    assert_problem(response, 401, "unauthorized")
    # nothing happened on the anonymous caller's word
    assert client.get(f"/parties/{merchant.party_id}").get_json()["status"] == "active"
    assert keys_of(client, merchant.party_id)[merchant.key.keyid]["revoked_at"] is None


def test_suspended_partys_credential_is_refused(client, make_party, registrar):
    merchant = make_party("merchant")
    issue = client.post(f"/parties/{merchant.party_id}/credentials", headers=merchant.auth)
    assert issue.status_code == 201
    second = {"Authorization": f"Bearer {issue.get_json()['credential']}"}
    response = client.put(
        f"/parties/{merchant.party_id}/status", json={"status": "suspended"}, headers=registrar.auth
    )
    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    for headers in (merchant.auth, second):
        response = client.post(
            f"/parties/{merchant.party_id}/keys",
            json={"public_key": KeyHolder().public_b64},
            headers=headers,
        )
        problem = assert_problem(response, 401, "unauthorized")
        assert "suspended" in problem["detail"]
    # reactivated: the same credentials work again
    client.put(
        f"/parties/{merchant.party_id}/status", json={"status": "active"}, headers=registrar.auth
    )
    assert enrol(client, merchant, merchant.party_id).status_code == 201


def test_only_regulators_change_status(client, make_party):
    merchant = make_party("merchant")
    for actor in (make_party("platform"), merchant, make_party("courier_company")):
        response = client.put(
            f"/parties/{merchant.party_id}/status", json={"status": "suspended"}, headers=actor.auth
        )
        assert_problem(response, 403, "forbidden")
    assert client.get(f"/parties/{merchant.party_id}").get_json()["status"] == "active"


def test_credentials_are_issued_to_the_party_itself_or_its_registrar(client, make_party, registrar):
    merchant = make_party("merchant")
    own = client.post(f"/parties/{merchant.party_id}/credentials", headers=merchant.auth)
    assert own.status_code == 201 and own.get_json()["credential"].startswith("ts_")
    by_registrar = client.post(f"/parties/{merchant.party_id}/credentials", headers=registrar.auth)
    assert by_registrar.status_code == 201
    for actor in (make_party("merchant"), make_party("courier_company")):
        response = client.post(f"/parties/{merchant.party_id}/credentials", headers=actor.auth)
        assert_problem(response, 403, "forbidden")
    response = client.post("/parties/mer-nobody/credentials", headers=registrar.auth)
    assert_problem(response, 404, "not_found")


def test_platform_cannot_mint_credentials_for_parties_it_did_not_register(client, make_party):
    """A platform operator registers merchants; it must not obtain a regulator's (or anyone
    else's) credential and act in their name."""
    platform = make_party("platform")
    regulator = make_party("regulator")
    courier = make_party("courier_company")
    staff = make_party("staff", company=courier)
    for victim in (regulator, staff, make_party("merchant")):
        response = client.post(f"/parties/{victim.party_id}/credentials", headers=platform.auth)
        assert_problem(response, 403, "forbidden")
    # but it does manage the credentials of a merchant it registered itself
    data = register(client, platform, kind="merchant", name="入驻商家", uscc=next_uscc())
    response = client.post(f"/parties/{data['party']['id']}/credentials", headers=platform.auth)
    assert response.status_code == 201
