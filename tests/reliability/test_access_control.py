"""Every endpoint against every role, as the access table (`access_matrix`) says, and personal
data following custody: a courier reads the recipient only while it holds the parcel, and every
read is in the regulator's access log (DESIGN §7).

The world is built through the service's own operations (registrars register, parties sign);
each request then goes through the HTTP API as the role would send it.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from tests.reliability.access_matrix import (
    EVENTS,
    ROLES,
    TABLE,
    Call,
    Expect,
    Row,
    openapi_operations,
    openapi_template,
    served_endpoints,
)
from tests.reliability.signing_matrix import EVENT_CASES, EventCase
from trace_service.credit.snapshots import take_snapshot
from trace_service.db import new_session
from trace_service.demo.actors import Demo, gtin13, sscc, uscc
from trace_service.identity import service as identity
from trace_service.identity.models import Credential
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.products import register_product
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.operations import trace_pending
from trace_service.web.assets import served_packages

PROBLEM = "application/problem+json"
RECIPIENT = ("沈清", "13812349876", "上海市长宁区愚园路1088号")


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class AccessWorld:
    """The parties of every role around one parcel in transit, a traced complaint case and a
    published snapshot; fresh subjects on demand, so an accepted write disturbs no other case."""

    app: Flask
    client: FlaskClient
    demo: Demo
    ids: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    stranger: KeyHolder = field(default_factory=KeyHolder)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    # --- who the role is --------------------------------------------------------------------
    def key(self, role: str) -> KeyHolder:
        if role == "anonymous":
            return self.stranger
        if role == "buyer":
            return self.demo.buyers["buyer"]
        return self.demo.parties[role].key

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if role == "buyer":  # a consumer has a key, not a credential
            return {"Authorization": f"Bearer {self.key('buyer').keyid}"}
        return {"Authorization": f"Bearer {self.demo.parties[role].credential}"}

    # --- fresh values for writes (scene protocol) ---------------------------------------------
    def fresh_uscc(self) -> str:
        return uscc(f"91440300MA5R{next(self.counter):05d}")

    def fresh_gtin(self) -> str:
        return gtin13(f"69012359{next(self.counter):04d}")

    def fresh_public_key(self) -> str:
        return KeyHolder().public_b64

    def spare_key(self, role: str) -> str:
        session = self.demo.session
        party = identity.get_party(session, self.demo.parties[role].party_id)
        key = identity.enrol_key(session, party, party.id, KeyHolder().public_key, self.demo.clock)
        session.commit()
        return key.keyid

    # --- fresh subjects, recorded in the world's past ------------------------------------------
    def item(self, gtin13: str | None = None) -> str:
        return f"01/0{gtin13 or self.ids['gtin13']}/21/AC-{next(self.counter)}"

    def sold_and_held(self) -> tuple[str, str]:
        """An item sold to the buyer, in a parcel picked up by `staff_holding`, who holds it."""
        item, parcel = self.item(), f"00/{sscc(next(self.counter))}"
        self.demo.sell(item, "merchant", "buyer", "99.00")
        self.demo.dispatch(parcel, [item], "merchant", "staff_holding", "courier_company",
                           500, "上海", "杭州", RECIPIENT)  # fmt: skip
        self.demo.session.commit()
        return item, parcel

    def held_parcel(self) -> str:
        return self.sold_and_held()[1]

    def delivered_parcel(self) -> str:
        parcel = self.held_parcel()
        self.demo.deliver(parcel, "staff_holding", "locker", True, "长宁快递柜", "上海", 500)
        self.demo.session.commit()
        return parcel

    def envelope(self, kind: str, subject: str, *signers: str, **fields: Any) -> dict[str, Any]:
        body = payload(kind, subject, self.demo.heads.get(subject), now(), **fields)
        return submission(sign(body, *(self.key(s) for s in signers)))

    def log_size(self) -> int:
        session = self.demo.session
        size = int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)
        session.commit()
        return size


def _register_world(demo: Demo, code: Any) -> None:
    r = demo.register
    r("regulator", "regulator", "国家邮政局（访问控制）", code=code())
    r("revoked_credential", "regulator", "省邮政管理局（凭证已吊销）", "regulator", code=code())
    r("platform", "platform", "优选商城", "regulator", code=code())
    for role, name in (
        ("merchant", "西湖茶庄"),
        ("suspended", "违规商户"),
        ("bystander", "旁观商户"),
    ):
        r(role, "merchant", name, "platform", code=code())
    r("courier_company", "courier_company", "顺达快递", "regulator", code=code())
    r("other_company", "courier_company", "通远速运", "regulator", code=code())
    for role, name, company in (
        ("staff_holding", "揽收员 甲", "courier_company"),
        ("staff_not_holding", "派送员 乙", "courier_company"),
        ("revoked_key", "分拣员 丙", "courier_company"),
        ("other_staff", "揽收员 丁", "other_company"),
        ("leaver", "分拣员 戊（离职）", "courier_company"),
    ):
        r(role, "staff", name, "regulator", company=company)


def build_world(app: Flask, client: FlaskClient) -> AccessWorld:
    """Every role, a parcel held by `staff_holding`, a station-drop case attributed to
    `staff_not_holding`, a listed lot and a published snapshot."""
    session = new_session(app)
    ctx = IngestContext.for_app(app)
    start = now() - timedelta(days=200)
    demo = Demo(session, ctx, start)
    world = AccessWorld(app, client, demo)
    codes = itertools.count(1)
    _register_world(demo, lambda: uscc(f"91310000MA7X{next(codes):05d}"))
    world.ids.update({role: p.party_id for role, p in demo.parties.items()})
    for role, body in (("merchant", "690123590001"), ("suspended", "690123590002")):
        owner = identity.get_party(session, demo.parties[role].party_id)
        product = {"gtin": gtin13(body), "name": "龙井", "origin": "杭州", "producer": "茶厂"}
        register_product(session, owner, product, demo.clock)
    world.ids.update(gtin13=gtin13("690123590001"), suspended_gtin13=gtin13("690123590002"))
    world.ids["gtin"] = "0" + world.ids["gtin13"]
    session.commit()

    world.ids["item"], world.ids["parcel"] = world.sold_and_held()
    case_parcel = world.held_parcel()
    demo.handoff(case_parcel, "staff_holding", "staff_not_holding", "顺达长宁营业部", "上海", 500)
    demo.deliver(case_parcel, "staff_not_holding", "station", False, "长宁菜鸟驿站", "上海", 500)
    demo.record("receipt", case_parcel, "buyer", condition="intact")
    complaint = demo.record("complaint", case_parcel, "buyer", category="station_drop",
                            description="未经同意放在驿站。")  # fmt: skip
    world.ids["complaint"] = complaint.hash
    world.ids["event_hash"] = complaint.hash
    lot = f"01/{world.ids['gtin']}/10/LOT-AC1"
    demo.record("listing", lot, "merchant", platform=world.ids["platform"], listing_ref="L-LOT",
                price={"amount": "30.00", "currency": "CNY"})  # fmt: skip
    world.ids["lot"] = lot
    assert trace_pending(session, ctx, demo.tick(hours=1)) >= 1
    moment = demo.tick(hours=1)
    world.numbers["snapshot"] = take_snapshot(session, ctx, moment, moment).index

    # Revocations and a suspension, as of the world's past: everything after is refused.
    regulator = identity.get_party(session, world.ids["regulator"])
    company = identity.get_party(session, world.ids["courier_company"])
    revoked = demo.parties["revoked_key"].key.keyid
    identity.revoke_key(session, company, revoked, demo.clock, demo.clock)
    identity.set_status(session, regulator, world.ids["suspended"], "suspended")
    # No endpoint revokes a credential: the operator marks the row, as this does.
    session.execute(
        update(Credential)
        .where(Credential.party_id == world.ids["revoked_credential"])
        .values(revoked_at=demo.clock)
    )
    session.commit()
    size = world.log_size()
    world.numbers.update(size=size, last_index=size - 1)
    world.ids["from"] = format_time(start - timedelta(days=1))
    world.ids["to"] = format_time(now() + timedelta(days=1))
    static = Path(app.static_folder or "")
    world.ids["static_file"] = next(
        p.relative_to(static).as_posix() for p in sorted(static.rglob("*")) if p.is_file()
    )
    world.ids["vendor_file"] = f"{min(served_packages())}/package.json"
    return world


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> Any:
    built = build_world(app, client)
    yield built
    built.demo.session.close()


def send(world: AccessWorld, call: Call, role: str) -> Any:
    return world.client.open(
        call.path, method=call.method, query_string=dict(call.query), json=call.json,
        headers=world.headers(role),
    )  # fmt: skip


def mismatch(response: Any, expect: Expect) -> str | None:
    """Why the response is not what the table says (None when it is)."""
    if response.status_code != expect.status:
        return f"got {response.status_code} {response.data[:160]!r}"
    if expect.allowed:
        return None
    if response.mimetype != PROBLEM:
        return f"refusal is {response.mimetype}, not a problem"
    body = response.get_json(force=True)
    if body.get("code") != expect.code or body.get("status") != expect.status:
        return f"problem {body.get('status')} {body.get('code')}"
    return None


# --- the table covers every endpoint ------------------------------------------------------------


def test_the_table_covers_every_endpoint_and_role(app: Flask, client: FlaskClient) -> None:
    served = served_endpoints(app)
    assert not served - set(TABLE), (
        f"endpoints the access table does not cover: {served - set(TABLE)}"
    )
    assert not set(TABLE) - served, (
        f"table rows for endpoints that do not exist: {set(TABLE) - served}"
    )
    documented = openapi_operations(client.get("/openapi.json").get_json())
    covered = {(method, openapi_template(rule)) for method, rule in TABLE}
    assert documented <= covered, f"documented but not in the table: {documented - covered}"
    for key, row in TABLE.items():
        assert row == EVENTS or (isinstance(row, Row) and set(row.expect) == set(ROLES)), key
    assert {case.role for case in EVENT_CASES} == set(ROLES), "every role signs some event"


# --- every (endpoint, role) pair ------------------------------------------------------------------


def _check_event(world: AccessWorld, case: EventCase, batch: bool) -> str | None:
    body = case.build(world, case.role)
    before = world.log_size()
    if batch:
        response = world.client.post("/events/batch", json={"events": [body]})
        if response.status_code != 200:
            return f"batch answered {response.status_code}"
        [result] = response.get_json()["results"]
        code = result.get("problem", {}).get("code")
        if (result["status"], code) != (case.expect.status, case.expect.code):
            return f"got {result['status']} {code}"
        receipt = result.get("receipt")
    else:
        response = world.client.post("/events", json=body)
        wrong = mismatch(response, case.expect)
        if wrong:
            return wrong
        receipt = response.get_json() if case.expect.allowed else None
    if receipt is not None:  # the subject's chain moved on
        world.demo.heads[body["payload"]["subject"]] = receipt["hash"]
    grown = world.log_size() - before
    if grown < (1 if case.expect.allowed else 0) or (grown and not case.expect.allowed):
        return f"the log grew by {grown}"
    return None


@pytest.mark.slow
def test_every_endpoint_against_every_role(world: AccessWorld) -> None:
    started = time.perf_counter()
    failures: list[str] = []
    outcomes: list[Expect] = []
    rows = [(key, row) for key, row in TABLE.items() if isinstance(row, Row)]
    # Reads first, then writes: an allowed write (a new key, a snapshot) never changes a read.
    rows.sort(key=lambda kv: kv[0][0] != "GET")
    for (method, rule), row in rows:
        for role in ROLES:
            expect = row.expect[role]
            wrong = mismatch(send(world, row.request(world, role), role), expect)
            outcomes.append(expect)
            if wrong:
                failures.append(f"{method} {rule} as {role}: expected {expect}, {wrong}")
    for case in EVENT_CASES:
        for batch in (False, True):
            wrong = _check_event(world, case, batch)
            outcomes.append(case.expect)
            if wrong:
                where = "POST /events/batch" if batch else "POST /events"
                failures.append(
                    f"{where} {case.event} as {case.role}: expected {case.expect}, {wrong}"
                )
    allowed = sum(e.allowed for e in outcomes)
    figures = {
        "endpoints": len(TABLE),
        "roles": len(ROLES),
        "pairs": len(outcomes),
        "allowed": allowed,
        "refused": len(outcomes) - allowed,
        "refused_401": sum(e.status == 401 for e in outcomes),
        "refused_403": sum(e.status == 403 for e in outcomes),
        "refused_422": sum(e.status == 422 for e in outcomes),
        "seconds": round(time.perf_counter() - started, 2),
    }
    print("access table:", json.dumps(figures))
    assert figures["pairs"] == (len(TABLE) - 2) * len(ROLES) + 2 * len(EVENT_CASES)
    assert not failures, "\n".join(failures)

    # The table's own personal-data reads are in the regulator's access log, and only those.
    reads = world.client.get(
        f"/parcels/{world.ids['parcel']}/recipient/reads", headers=world.headers("regulator")
    ).get_json()
    assert [(r["party_id"], r["purpose"]) for r in reads] == [
        (world.ids["staff_holding"], "staff_holding"),
        (world.ids["regulator"], "regulator"),
    ]


# --- personal data follows custody ---------------------------------------------------------------


def test_a_courier_reads_the_recipient_only_while_it_holds_the_parcel(world: AccessWorld) -> None:
    parcel = world.held_parcel()  # picked up by staff_holding
    hub = "staff_not_holding"

    def read(role: str, purpose: str) -> Any:
        return world.client.get(
            f"/parcels/{parcel}/recipient", query_string={"purpose": purpose},
            headers=world.headers(role),
        )  # fmt: skip

    def allowed(role: str, purpose: str) -> None:
        response = read(role, purpose)
        assert response.status_code == 200, response.get_json()
        fields = dict(zip(("name", "phone", "address"), RECIPIENT, strict=True))
        assert response.get_json()["recipient"] == fields

    def refused(role: str) -> None:
        assert mismatch(read(role, "x"), Expect(403, "personal_data_forbidden")) is None, role

    refused(hub)  # before it takes custody
    allowed("staff_holding", "揽收核对")
    refused("other_staff")
    took = world.client.post("/events", json=world.envelope(
        "handoff", parcel, hub, from_=world.ids["staff_holding"],
        location={"name": "顺达长宁营业部", "city": "上海"}, condition="intact", weight_g=500,
    ))  # fmt: skip
    assert took.status_code == 201, took.get_json()
    world.demo.heads[parcel] = took.get_json()["hash"]
    allowed(hub, "派送联系收件人")  # while it holds it
    refused("staff_holding")  # after handing it off
    allowed("regulator", "投诉调查")
    delivered = world.client.post("/events", json=world.envelope(
        "delivery", parcel, hub, method="in_person", consent=True,
        location={"name": "长宁投递段", "city": "上海"}, condition="intact", weight_g=500,
    ))  # fmt: skip
    assert delivered.status_code == 201, delivered.get_json()
    refused(hub)  # delivered: nobody holds it any more
    allowed("regulator", "隐私泄露溯源")

    log = world.client.get(
        f"/parcels/{parcel}/recipient/reads", headers=world.headers("regulator")
    ).get_json()
    assert [(r["party_id"], r["purpose"]) for r in log] == [
        (world.ids["staff_holding"], "揽收核对"),
        (world.ids[hub], "派送联系收件人"),
        (world.ids["regulator"], "投诉调查"),
        (world.ids["regulator"], "隐私泄露溯源"),
    ]
    assert all(r["parcel"] == parcel and r["read_at"] for r in log)
