"""The recipient's personal data (DESIGN §7): never public, encrypted at rest, readable only by the
parcel's current custodian and regulators, and every read is logged."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import LargeBinary, select

from tests.lifecycle.flow import GTIN, World, assert_problem, build_world, now
from trace_service.db import Base, new_session
from trace_service.lifecycle.compose import recipient
from trace_service.lifecycle.models import PersonalData
from trace_service.lifecycle.personal_data import commitment
from trace_service.models import import_all_models

ITEM = f"01/{GTIN}/21/PD0001"
PARCEL = "00/106141412345678908"
NAME = "欧阳娜娜"
PHONE = "13912345678"
ADDRESS = "上海市徐汇区漕溪北路88号3号楼1201室"
SECRETS = (NAME, PHONE, ADDRESS)


@pytest.fixture
def world(client, make_party) -> World:
    return build_world(client, make_party)


def dispatch(world: World) -> dict[str, Any]:
    """Sell ITEM and dispatch it in PARCEL with known recipient data; returns personal_data."""
    world.sell(ITEM)
    personal, digest = recipient(NAME, PHONE, ADDRESS)
    world.record(
        "dispatch",
        PARCEL,
        world.merchant,
        world.pickup,
        personal=personal,
        items=[ITEM],
        courier=world.courier.party_id,
        declared_weight_g=800,
        promised_by=now() + timedelta(days=3),
        origin_city="杭州",
        destination_city="上海",
        recipient_commitment=digest,
    )
    return personal


def journey(world: World) -> dict[str, Any]:
    personal = dispatch(world)
    world.handoff(PARCEL, world.pickup, world.hub)
    world.handoff(PARCEL, world.hub, world.last_mile)
    world.deliver(PARCEL, location={"name": "漕溪北路快递柜", "city": "上海"}, method="locker")
    world.record("receipt", PARCEL, world.buyer, condition="intact")
    world.record("review", ITEM, world.buyer, score=5, text="包装完好")
    return personal


def secret_forms(personal: dict[str, Any]) -> list[str]:
    """Each secret as plain text and as JSON would escape it, and the commitment's salt."""
    forms = [personal["salt"]]
    for secret in SECRETS:
        forms += [secret, json.dumps(secret)[1:-1]]
    return forms


def assert_no_secret(text: str, personal: dict[str, Any], where: str) -> None:
    for form in secret_forms(personal):
        assert form not in text, f"{form!r} appears in {where}"


def read(world: World, who: Any, purpose: str = "派送联系收件人") -> Any:
    headers = who.auth if who is not None else {}
    return world.client.get(
        f"/parcels/{PARCEL}/recipient", query_string={"purpose": purpose}, headers=headers
    )


def readable(world: World, who: Any, purpose: str = "派送联系收件人") -> dict[str, Any]:
    response = read(world, who, purpose)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    data: dict[str, Any] = response.get_json()
    assert data["recipient"] == {"name": NAME, "phone": PHONE, "address": ADDRESS}
    return data


def forbidden(world: World, who: Any) -> None:
    assert_problem(read(world, who), 403, "personal_data_forbidden")


# --- never public -----------------------------------------------------------------------------


def test_no_public_response_holds_personal_data(world):
    personal = journey(world)
    client = world.client
    seen: list[tuple[str, str]] = []

    def public(url: str, **kw: Any) -> Any:
        response = client.get(url, **kw)
        assert response.status_code == 200, (url, response.status_code)
        text = response.get_data(as_text=True)
        seen.append((url, text))
        if response.is_json:
            # Flask escapes non-ASCII; compare the decoded values too
            seen.append((url + " (decoded)", json.dumps(response.get_json(), ensure_ascii=False)))
        return response

    timeline = public(f"/{ITEM}", headers={"Accept": "application/json"}).get_json()
    assert len(timeline["events"]) == 8
    public(f"/{ITEM}", headers={"Accept": "text/html"})
    note = public("/checkpoint").get_data(as_text=True)
    size = int(note.splitlines()[1])
    assert size == 8
    hashes = []
    for index in range(size):
        entry = public(f"/log/entries/{index}")
        hashes.append(json.loads(entry.data)["payload"])
    for event in timeline["events"]:
        public(f"/events/{event['hash']}")
    for party in (world.merchant, world.pickup, world.hub, world.last_mile, world.courier):
        public(f"/parties/{party.party_id}")
        public(f"/parties/{party.party_id}/keys")
    public(f"/products/{GTIN}")
    for url, text in seen:
        assert_no_secret(text, personal, url)
    # what the public log does hold: the commitment, and the cities a consumer needs
    dispatch_payload = next(p for p in hashes if p["type"] == "dispatch")
    salt = base64.b64decode(personal["salt"])
    assert dispatch_payload["recipient_commitment"] == commitment(salt, personal["recipient"])
    assert dispatch_payload["destination_city"] == "上海"


def test_refusals_do_not_echo_personal_data(world):
    personal = dispatch(world)
    responses = [read(world, world.merchant), read(world, None), read(world, world.hub)]
    for response in responses:
        assert response.status_code in (401, 403)
        assert_no_secret(response.get_data(as_text=True), personal, "a refusal")


# --- encrypted at rest ------------------------------------------------------------------------


def test_personal_data_is_encrypted_at_rest(world):
    personal = journey(world)
    app = world.client.application
    url: str = app.config["DATABASE_URL"]
    with app.app_context():
        session = new_session(app)
        try:
            row = session.get(PersonalData, PARCEL)
            assert row is not None
            stored = bytes(row.nonce) + bytes(row.ciphertext)
            assert_no_secret_bytes(stored, personal, "personal_data ciphertext")
            # Every column of every table, whatever the backend.
            import_all_models()
            for table in Base.metadata.sorted_tables:
                for values in session.execute(select(table)):
                    for column, value in zip(table.columns, values, strict=True):
                        where = f"{table.name}.{column.name}"
                        if isinstance(column.type, LargeBinary) and value is not None:
                            assert_no_secret_bytes(bytes(value), personal, where)
                        else:
                            text = json.dumps(value, ensure_ascii=False, default=str)
                            assert_no_secret(text, personal, where)
        finally:
            session.close()
    if url.startswith("sqlite"):
        # The raw database file (and its write-ahead log) as anyone copying it would read it.
        path = Path(url.removeprefix("sqlite:///"))
        raw = b"".join(
            p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        assert "杭州茶叶旗舰店".encode() in raw, "control: plaintext columns are readable here"
        assert_no_secret_bytes(raw, personal, str(path))


def assert_no_secret_bytes(data: bytes, personal: dict[str, Any], where: str) -> None:
    for form in secret_forms(personal):
        for encoded in {form.encode("utf-8"), form.encode("utf-16-le")}:
            assert encoded not in data, f"{form!r} found in {where}"


# --- who may read it --------------------------------------------------------------------------


def test_custodians_and_regulators_read_it_while_others_cannot(world, make_party):
    rival_company = make_party("courier_company", "飞毛腿快递")
    rival_staff = make_party("staff", "揽收员 钱七", company=rival_company)
    dispatch(world)

    # picked up: the pickup staff holds it
    first = readable(world, world.pickup, "揽收核对")
    assert first["parcel"] == PARCEL
    salt = base64.b64decode(first["salt"])
    assert commitment(salt, first["recipient"]) == first["commitment"]
    readable(world, world.regulator, "投诉调查")
    for other in (
        world.hub,
        world.last_mile,
        world.courier,
        world.merchant,
        world.platform,
        rival_staff,
        rival_company,
    ):
        forbidden(world, other)
    assert_problem(read(world, None), 401, "unauthorized")
    bad = {"Authorization": "Bearer ts_not-a-real-token"}
    response = world.client.get(f"/parcels/{PARCEL}/recipient?purpose=x", headers=bad)
    assert_problem(response, 401, "unauthorized")

    # handed to the hub: the former custodian loses access
    world.handoff(PARCEL, world.pickup, world.hub)
    readable(world, world.hub, "分拣")
    forbidden(world, world.pickup)

    world.handoff(PARCEL, world.hub, world.last_mile)
    readable(world, world.last_mile, "派送联系收件人")
    forbidden(world, world.hub)
    forbidden(world, world.pickup)

    # delivered: no courier holds it any more; a regulator still may read
    world.deliver(PARCEL)
    forbidden(world, world.last_mile)
    readable(world, world.regulator, "隐私泄露溯源")

    reads = world.client.get(f"/parcels/{PARCEL}/recipient/reads", headers=world.regulator.auth)
    assert reads.status_code == 200
    log = reads.get_json()
    assert [(r["party_id"], r["purpose"]) for r in log] == [
        (world.pickup.party_id, "揽收核对"),
        (world.regulator.party_id, "投诉调查"),
        (world.hub.party_id, "分拣"),
        (world.last_mile.party_id, "派送联系收件人"),
        (world.regulator.party_id, "隐私泄露溯源"),
    ]
    assert all(r["parcel"] == PARCEL and r["read_at"] for r in log)
    assert [r["read_at"] for r in log] == sorted(r["read_at"] for r in log)


def test_access_log_is_for_regulators_only(world):
    dispatch(world)
    readable(world, world.pickup)
    url = f"/parcels/{PARCEL}/recipient/reads"
    for other in (world.pickup, world.courier, world.merchant, world.platform):
        assert_problem(world.client.get(url, headers=other.auth), 403, "forbidden")
    assert_problem(world.client.get(url), 401, "unauthorized")
    log = world.client.get(url, headers=world.regulator.auth).get_json()
    assert [r["party_id"] for r in log] == [world.pickup.party_id]


def test_refused_reads_are_not_counted_as_reads(world):
    dispatch(world)
    forbidden(world, world.merchant)
    read(world, None)
    log = world.client.get(f"/parcels/{PARCEL}/recipient/reads", headers=world.regulator.auth)
    assert log.get_json() == []


@pytest.mark.parametrize("query", [{}, {"purpose": ""}, {"purpose": "x" * 201}])
def test_a_read_states_its_purpose(world, query):
    dispatch(world)
    response = world.client.get(
        f"/parcels/{PARCEL}/recipient", query_string=query, headers=world.pickup.auth
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    log = world.client.get(f"/parcels/{PARCEL}/recipient/reads", headers=world.regulator.auth)
    assert log.get_json() == []


def test_unknown_parcel(world):
    dispatch(world)
    for parcel in ("00/106141412345678915", ITEM):
        response = world.client.get(
            f"/parcels/{parcel}/recipient?purpose=x", headers=world.regulator.auth
        )
        assert_problem(response, 404, "not_found")


def test_purpose_the_database_cannot_store(world):
    """A NUL character in the purpose is refused or stored, but never a server error, and the
    access log stays truthful either way."""
    dispatch(world)
    response = read(world, world.pickup, "派送\x00")
    assert response.status_code in (200, 422), response.data
    reads = world.client.get(f"/parcels/{PARCEL}/recipient/reads", headers=world.regulator.auth)
    assert len(reads.get_json()) == (1 if response.status_code == 200 else 0)
    readable(world, world.pickup, "派送")


def test_access_log_of_an_unknown_parcel_is_not_found(world):
    response = world.client.get(
        "/parcels/00/106141412345678915/recipient/reads", headers=world.regulator.auth
    )
    assert_problem(response, 404, "not_found")
