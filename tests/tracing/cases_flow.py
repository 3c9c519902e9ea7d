"""Complaint cases through the HTTP API: parcels that go wrong, objections and decisions, and a
clock that can be set in the past so deadlines (15-day objections, 10-day reviews) can pass.

`travel` moves the server's ingest clock (and the tracing that follows an accepted complaint)
and the World helper's clock together, so a history can be recorded weeks ago within the normal
clock-skew bound; reads (deadlines, overdue) still run at the real time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient
from stdnum import ean

from tests.conftest import Actor
from tests.lifecycle import flow
from tests.lifecycle.flow import GTIN, World, build_world
from trace_service.db import new_session
from trace_service.lifecycle.compose import KeyHolder, payload, sign
from trace_service.lifecycle.models import Subject


def sscc(serial: int) -> str:
    digits = f"1061414{serial:010d}"
    return f"00/{digits}{ean.calc_check_digit(digits)}"


def real_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Clock:
    """The server's and the test's notion of now."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment


def travel(monkeypatch: pytest.MonkeyPatch, start: datetime) -> Clock:
    """Run ingest, the tracing after a complaint and the World helper at `start` from now on."""
    clock = Clock(start.replace(microsecond=0))
    monkeypatch.setattr("trace_service.lifecycle.api.utcnow", clock)
    monkeypatch.setattr("tests.lifecycle.flow.now", clock)
    return clock


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The stories' clock, an hour in the past (the case and credit tests' conftest.py use it)."""
    return travel(monkeypatch, real_now() - timedelta(hours=1))


@pytest.fixture
def world(client: FlaskClient, make_party: Callable[..., Actor], clock: Clock) -> World:
    return build_world(client, make_party)


def other_courier(make_party: Callable[..., Actor]) -> Actor:
    company = make_party("courier_company", "通远速运")
    return make_party("staff", "派送员 周静", company=company)


def shares_of(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s["party"], s["role"], s["share"]) for s in body["shares"]]


def head_of(app: Flask, subject: str) -> str | None:
    """The current head of a subject's chain (the service logs attributions on case chains)."""
    with app.app_context():
        session = new_session(app)
        try:
            row = session.get(Subject, subject)
            return row.head if row else None
        finally:
            session.close()


class Damaged(NamedTuple):
    parcel: str
    complaint: str  # "" when no complaint was filed
    to_hub: dict[str, Any]  # receipts of the two handoffs
    to_last: dict[str, Any]


def damaged_parcel(world: World, serial: int, complain: bool = True) -> Damaged:
    """An item whose parcel the hub accepted intact and handed on damaged; the buyer receives it
    damaged and complains (the damage is the hub's: damaged.last_intact_custodian)."""
    item = f"01/{GTIN}/21/SN{serial:04d}"
    parcel = sscc(serial)
    world.sell(item)
    world.dispatch(parcel, [item])
    to_hub = world.handoff(parcel, world.pickup, world.hub)
    to_last = world.handoff(parcel, world.hub, world.last_mile, condition="damaged")
    world.deliver(parcel, condition="damaged")
    world.record("receipt", parcel, world.buyer, condition="damaged")
    complaint = ""
    if complain:
        receipt = world.record(
            "complaint", parcel, world.buyer, category="damaged", description="外箱破损，茶叶罐凹陷"
        )
        complaint = str(receipt["hash"])
    return Damaged(parcel, complaint, to_hub, to_last)


def sign_on_head(
    world: World, app: Flask, kind: str, subject: str, signer: Any, **fields: Any
) -> Any:
    """Sign a record on a subject's current head (cases and parties carry the service's records)
    at the clock's time, or `at`, and post it; the raw response."""
    at = fields.pop("at", None) or flow.now()
    body = payload(kind, subject, head_of(app, subject), at, **fields)
    return world.post(sign(body, signer if isinstance(signer, KeyHolder) else signer.key))


def sign_case_record(
    world: World, app: Flask, complaint: str, kind: str, signer: Any, **fields: Any
) -> Any:
    """Sign an objection or decision on a case's current head and post it; the raw response."""
    return sign_on_head(world, app, kind, f"case/{complaint}", signer, **fields)


def object_to(world: World, app: Flask, complaint: str, signer: Any, **extra: Any) -> Any:
    """The signer objects to the case's current finding."""
    on = extra.pop("on", None) or head_of(app, f"case/{complaint}")
    return sign_case_record(
        world, app, complaint, "objection", signer, on=on,
        reason=extra.pop("reason", "交接时外箱完好，损坏发生在派送环节"),
        evidence=extra.pop("evidence", []), **extra,
    )  # fmt: skip


def decide(
    world: World,
    app: Flask,
    complaint: str,
    on: str,
    outcome: str,
    signer: Any = None,
    **extra: Any,
) -> Any:
    """A regulator (by default the world's) decides the case's pending objection."""
    return sign_case_record(
        world, app, complaint, "decision", signer or world.regulator, on=on, outcome=outcome,
        reasons=extra.pop("reasons", "经调取交接记录复核"), **extra,
    )  # fmt: skip


def case(client: FlaskClient, complaint: str, viewer: Any) -> dict[str, Any]:
    """GET /cases/<complaint> as `viewer`; asserts 200."""
    response = client.get(f"/cases/{complaint}", headers=viewer.auth)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def cases(client: FlaskClient, viewer: Any, **query: Any) -> dict[str, Any]:
    response = client.get("/cases", query_string=query, headers=viewer.auth)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body
