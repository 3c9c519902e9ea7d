"""Real-name registration by registrars, signing keys and credentials, through the HTTP API."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.lifecycle.flow import assert_problem, log_size, now
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission
from trace_service.plumbing.timestamps import format_time

_SERIALS = iter(range(1, 10000))


def next_uscc() -> str:
    """A fresh valid unified social credit code, from a range the shared factory does not use."""
    from stdnum.cn import uscc

    base = f"91330100MA2CK{next(_SERIALS):04d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture
def registrar(make_party):
    """The bootstrap regulator the factory registers everyone with (a registrar)."""
    return make_party("regulator", "registrar")


def register(client, registrar, status: int = 201, **body: Any) -> dict[str, Any]:
    response = client.post("/parties", json=body, headers=registrar.auth)
    assert response.status_code == status, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def uscc_with_bad_check_char() -> str:
    good = next_uscc()
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def party_count(client) -> int:
    from sqlalchemy import func, select

    from trace_service.db import new_session
    from trace_service.identity.models import Party

    app = client.application
    with app.app_context():
        session = new_session(app)
        try:
            return int(session.scalar(select(func.count()).select_from(Party)) or 0)
        finally:
            session.close()


def refused_registration(client, actor, status: int, code: str, **body: Any) -> dict[str, Any]:
    before = party_count(client)
    response = client.post("/parties", json=body, headers=actor.auth)
    problem = assert_problem(response, status, code)
    assert party_count(client) == before, "a refused registration left a party behind"
    return problem


# --- registration -----------------------------------------------------------------------------


def test_registrar_registers_a_merchant(client, registrar):
    code = next_uscc()
    data = register(
        client, registrar, kind="merchant", name="杭州茶叶旗舰店", uscc=code, city="杭州"
    )
    party = data["party"]
    assert party["id"].startswith("mer-")
    assert party["kind"] == "merchant" and party["status"] == "active"
    assert party["uscc"] == code and party["registered_by"] == registrar.party_id
    # the public record
    public = client.get(f"/parties/{party['id']}")
    assert public.status_code == 200 and public.get_json()["name"] == "杭州茶叶旗舰店"
    # the credential, shown once, works for the merchant's own actions
    token = {"Authorization": f"Bearer {data['credential']}"}
    response = client.post(
        "/products",
        json={
            "gtin": "09506000134352",
            "name": "茶",
            "origin": "杭州",
            "producer": "x",
            "licences": [],
        },
        headers=token,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["merchant_id"] == party["id"]


def test_a_client_cannot_choose_a_party_id(client, registrar):
    problem = refused_registration(
        client, registrar, 422, "validation_failed", kind="merchant", name="自选编号商店",
        uscc=next_uscc(), city="杭州", party_id="mer-0123456789",
    )  # fmt: skip
    assert "party_id" in problem["errors"]["json"]


def test_registered_staff_belongs_to_its_company(client, registrar):
    company = register(client, registrar, kind="courier_company", name="顺达快递", uscc=next_uscc())
    cid = company["party"]["id"]
    outlet = register(client, registrar, kind="outlet", name="徐汇网点", company_id=cid)
    staff = register(
        client,
        registrar,
        kind="staff",
        name="派送员 赵六",
        company_id=cid,
        outlet_id=outlet["party"]["id"],
    )
    assert staff["party"]["company_id"] == cid
    assert staff["party"]["outlet_id"] == outlet["party"]["id"]
    assert staff["party"]["uscc"] is None


def test_lowercase_uscc_is_stored_in_canonical_form(client, registrar):
    code = next_uscc()
    data = register(client, registrar, kind="merchant", name="m", uscc=code.lower())
    assert data["party"]["uscc"] == code
    refused_registration(client, registrar, 409, "conflict", kind="platform", name="p", uscc=code)


def test_platform_operator_is_a_registrar(client, make_party):
    platform = make_party("platform", "优选商城")
    data = register(client, platform, kind="merchant", name="入驻商家", uscc=next_uscc())
    assert data["party"]["registered_by"] == platform.party_id
    problem = refused_registration(
        client, platform, 403, "forbidden", kind="regulator", name="假监管", uscc=next_uscc()
    )
    assert "regulator" in problem["detail"]


@pytest.mark.parametrize("kind", ["merchant", "courier_company", "staff", "outlet"])
def test_non_registrars_cannot_register(client, make_party, kind):
    company = make_party("courier_company") if kind in ("staff", "outlet") else None
    actor = make_party(kind, company=company)
    refused_registration(
        client, actor, 403, "forbidden", kind="merchant", name="影子商家", uscc=next_uscc()
    )


def test_bad_uscc_check_character(client, registrar):
    problem = refused_registration(
        client,
        registrar,
        422,
        "invalid_uscc",
        kind="merchant",
        name="m",
        uscc=uscc_with_bad_check_char(),
    )
    assert "统一社会信用代码" in problem["title"] or "social credit" in problem["detail"]


@pytest.mark.parametrize(
    "uscc",
    ["I1310000MA1FL00010", "91310000MA1FL0001!", "91310000MA1FO0001X"],
    ids=["letter I", "punctuation", "letter O"],
)
def test_malformed_uscc(client, registrar, uscc):
    refused_registration(
        client, registrar, 422, "invalid_uscc", kind="merchant", name="m", uscc=uscc
    )


def test_uscc_without_a_registering_authority(client, registrar):
    # All zeros passes the check character, but no authority has the code "0".
    problem = refused_registration(
        client, registrar, 422, "invalid_uscc", kind="merchant", name="m", uscc="0" * 18
    )
    assert "authority" in problem["detail"]


@pytest.mark.parametrize("uscc", ["9131000MA1FL0001", "91310000MA1FL00011X"])
def test_uscc_of_wrong_length(client, registrar, uscc):
    problem = refused_registration(
        client, registrar, 422, "validation_failed", kind="merchant", name="m", uscc=uscc
    )
    assert "uscc" in str(problem["errors"])


@pytest.mark.parametrize("kind", ["merchant", "platform", "courier_company", "regulator"])
def test_enterprise_without_uscc(client, registrar, kind):
    problem = refused_registration(client, registrar, 422, "invalid_party", kind=kind, name="x")
    assert "unified social credit code" in problem["detail"]


def test_duplicate_uscc(client, registrar):
    code = next_uscc()
    register(client, registrar, kind="merchant", name="first", uscc=code)
    refused_registration(
        client, registrar, 409, "conflict", kind="merchant", name="second", uscc=code
    )


def test_staff_without_company(client, registrar):
    for kind in ("staff", "outlet"):
        problem = refused_registration(
            client, registrar, 422, "invalid_party", kind=kind, name="无主"
        )
        assert "company" in problem["detail"]


def test_staff_of_something_that_is_not_a_courier_company(client, registrar, make_party):
    merchant = make_party("merchant")
    refused_registration(
        client,
        registrar,
        422,
        "invalid_party",
        kind="staff",
        name="s",
        company_id=merchant.party_id,
    )
    refused_registration(
        client,
        registrar,
        422,
        "invalid_party",
        kind="staff",
        name="s",
        company_id="cor-nonexistent",
    )


def test_enterprise_does_not_belong_to_a_courier_company(client, registrar, make_party):
    courier = make_party("courier_company")
    refused_registration(
        client,
        registrar,
        422,
        "invalid_party",
        kind="merchant",
        name="m",
        uscc=next_uscc(),
        company_id=courier.party_id,
    )


def test_staff_in_an_outlet_of_another_company(client, registrar, make_party):
    first = make_party("courier_company")
    second = make_party("courier_company")
    outlet = make_party("outlet", company=first)
    refused_registration(
        client,
        registrar,
        422,
        "invalid_party",
        kind="staff",
        name="s",
        company_id=second.party_id,
        outlet_id=outlet.party_id,
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "emperor", "name": "x"},
        {"kind": "merchant"},
        {"kind": "merchant", "name": ""},
        {"kind": "merchant", "name": "x", "uscc": 91310000},
    ],
)
def test_registration_body_is_validated(client, registrar, body):
    refused_registration(client, registrar, 422, "validation_failed", **body)


def test_unknown_party(client):
    assert_problem(client.get("/parties/mer-nobody"), 404, "not_found")
    assert_problem(client.get("/parties/mer-nobody/keys"), 404, "not_found")


# --- keys -------------------------------------------------------------------------------------


def enrol(client, actor, party_id: str, key: KeyHolder | None = None, **body: Any) -> Any:
    key = key or KeyHolder()
    return client.post(
        f"/parties/{party_id}/keys", json={"public_key": key.public_b64} | body, headers=actor.auth
    )


def keys_of(client, party_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/parties/{party_id}/keys")
    assert response.status_code == 200
    return {k["keyid"]: k for k in response.get_json()}


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


# --- credentials ------------------------------------------------------------------------------

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


def call(client, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(client, method)(url, **kwargs)


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


# --- inputs the database cannot hold ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/parties/mer-a%00b"),
        ("get", "/parties/mer-a%00b/keys"),
        ("post", "/keys/ab%00cd/revoke"),
        ("post", "/parties/mer-a%00b/credentials"),
        ("put", "/parties/mer-a%00b/status"),
        ("post", "/parties/mer-a%00b/keys"),
        ("get", "/parcels/00/1%00/recipient/reads"),
    ],
)
def test_nul_character_in_a_path_is_not_a_server_error(client, registrar, method, url):
    body = {"status": "suspended"} if url.endswith("status") else {}
    if url.endswith("/keys") and method == "post":
        body = {"public_key": KeyHolder().public_b64}
    response = call(client, method, url, body if method != "get" else None, registrar.auth)
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


def test_nul_character_in_a_name_is_not_a_server_error(client, registrar):
    before = party_count(client)
    response = client.post(
        "/parties",
        json={"kind": "merchant", "name": "影子\x00商家", "uscc": next_uscc()},
        headers=registrar.auth,
    )
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert party_count(client) == before
    # the service carries on normally afterwards
    register(client, registrar, kind="merchant", name="正常商家", uscc=next_uscc())
