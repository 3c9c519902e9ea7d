"""Real-name registration by registrars through the HTTP API: who may register whom, staff and
outlets belonging to their courier company, and what a registration body must hold."""

from __future__ import annotations

import pytest

from tests.identity.conftest import next_uscc, refused_registration, register
from tests.lifecycle.flow import assert_problem


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
