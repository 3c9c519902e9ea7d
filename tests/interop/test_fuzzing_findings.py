"""What schemathesis found against the served API, each fixed and kept fixed: out-of-range numbers
that reached the database (500 → 422/404), times the log or UTC cannot hold (500 → 422), and
a regulator able to revoke the service's own records key or suspend the service (every later
service record then failed with 500; now 403)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import Actor
from tests.credit.records_flow import snapshot
from tests.lifecycle.flow import assert_problem, now
from trace_service.db import new_session
from trace_service.identity.models import PartyKey
from trace_service.identity.service_signer import SERVICE_PARTY_ID

HUGE = 10**30


@pytest.mark.parametrize(
    ("url", "status"),
    [
        (f"/ratings/snapshots?page={HUGE}", 422),
        (f"/ratings/units/x/explanation?snapshot={HUGE}", 422),
        (f"/ratings/snapshots/{HUGE}", 404),
        (f"/ratings/snapshots/{HUGE}/content", 404),
        (f"/log/entries/{HUGE}", 404),
    ],
)
def test_numbers_beyond_64_bits_are_refused_not_crashed_on(
    client: FlaskClient, url: str, status: int
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_case_pages_beyond_reach_are_refused(
    client: FlaskClient, make_party: Callable[..., Actor]
) -> None:
    regulator = make_party("regulator", "上海市邮政管理局")
    response = client.get(f"/cases?page={HUGE}", headers=regulator.auth)
    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize(
    "moment",
    ["0047-03-14T22:01:23-14:04", "0001-01-01T00:00:00+10:00", "9999-12-31T23:59:59-10:00"],
)
def test_times_utc_cannot_hold_are_refused(
    client: FlaskClient, make_party: Callable[..., Actor], moment: str
) -> None:
    """Years the log cannot write, or that overflow once converted to UTC."""
    regulator = make_party("regulator", "上海市邮政管理局")
    staff = make_party("staff", "派送员", company=make_party("courier_company", "顺达快递"))
    key = base64.b64encode(bytes(range(32))).decode()
    for response in (
        client.post("/ratings/snapshots", json={"as_of": moment}, headers=regulator.auth),
        client.post(f"/parties/{staff.party_id}/keys", json={"public_key": key,
                    "valid_from": moment}, headers=regulator.auth),
        client.post(f"/keys/{staff.key.keyid}/revoke", json={"at": moment},
                    headers=regulator.auth),
        client.get("/epcis/events", query_string={"from": moment, "to": "2030-01-01T00:00:00Z"}),
    ):  # fmt: skip
        assert_problem(response, 422, "validation_failed")


def test_the_services_own_key_and_standing_are_not_the_apis(
    app: Flask, client: FlaskClient, make_party: Callable[..., Actor]
) -> None:
    regulator = make_party("regulator", "上海市邮政管理局")
    snapshot(app, now())  # the service records something: its key is enrolled
    session = new_session(app)
    try:
        keyid = session.scalar(select(PartyKey.keyid).where(PartyKey.party_id == SERVICE_PARTY_ID))
    finally:
        session.close()
    assert keyid is not None
    revoke = client.post(f"/keys/{keyid}/revoke", json={}, headers=regulator.auth)
    assert_problem(revoke, 403, "forbidden")
    suspend = client.put(
        f"/parties/{SERVICE_PARTY_ID}/status", json={"status": "suspended"}, headers=regulator.auth
    )
    assert_problem(suspend, 403, "forbidden")
    # The service still signs its records.
    taken = client.post("/ratings/snapshots", json={}, headers=regulator.auth)
    assert taken.status_code == 201, taken.get_json()
