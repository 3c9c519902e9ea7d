"""A small world and a full parcel journey through the HTTP API, shared by lifecycle tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission

GTIN = "09506000134352"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class World:
    client: FlaskClient
    platform: Any
    merchant: Any
    courier: Any
    pickup: Any
    hub: Any
    last_mile: Any
    regulator: Any
    buyer: KeyHolder = field(default_factory=KeyHolder)
    heads: dict[str, str | None] = field(default_factory=dict)

    def post(self, envelope: Any, personal: dict[str, Any] | None = None) -> Any:
        return self.client.post("/events", json=submission(envelope, personal))

    def record(self, kind: str, subject: str, *signers: Any, personal: Any = None,
               at: datetime | None = None, **fields: Any) -> dict[str, Any]:  # fmt: skip
        """Sign and submit an event building on the subject's head; assert it was accepted."""
        body = payload(kind, subject, self.heads.get(subject), at or now(), **fields)
        keys = [s if isinstance(s, KeyHolder) else s.key for s in signers]
        response = self.post(sign(body, *keys), personal)
        assert response.status_code == 201, response.get_json()
        receipt: dict[str, Any] = response.get_json()
        self.heads[subject] = receipt["hash"]
        return receipt

    def product(self, gtin: str = GTIN) -> None:
        response = self.client.post(
            "/products",
            json={"gtin": gtin, "name": "有机绿茶 Organic green tea 250g", "origin": "浙江杭州",
                  "producer": "Hangzhou Tea Co.",
                  "licences": [{"kind": "SC", "number": "SC11433010200123"}]},
            headers=self.merchant.auth,
        )  # fmt: skip
        assert response.status_code == 201, response.get_json()

    def sell(self, item: str) -> None:
        self.record("listing", item, self.merchant, platform=self.platform.party_id,
                    listing_ref="L-1", price={"amount": "88.00", "currency": "CNY"})  # fmt: skip
        self.record("sale", item, self.merchant, platform=self.platform.party_id,
                    order_ref="O-1", price={"amount": "88.00", "currency": "CNY"},
                    buyer_key=self.buyer.public_b64)  # fmt: skip

    def dispatch(self, parcel: str, items: list[str], weight: int = 800) -> dict[str, Any]:
        personal, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
        return self.record(
            "dispatch", parcel, self.merchant, self.pickup, personal=personal, items=items,
            courier=self.courier.party_id, declared_weight_g=weight,
            promised_by=now() + timedelta(days=3), origin_city="杭州", destination_city="上海",
            recipient_commitment=commitment,
        )  # fmt: skip

    def handoff(self, parcel: str, giver: Any, receiver: Any, **fields: Any) -> dict[str, Any]:
        values = {"location": {"name": "上海转运中心", "city": "上海"}, "condition": "intact",
                  "weight_g": 800} | fields  # fmt: skip
        return self.record("handoff", parcel, receiver, from_=giver.party_id, **values)

    def deliver(self, parcel: str, **fields: Any) -> dict[str, Any]:
        values = {"method": "in_person", "consent": True, "condition": "intact", "weight_g": 800,
                  "location": {"name": "世纪大道100号", "city": "上海"}} | fields  # fmt: skip
        return self.record("delivery", parcel, self.last_mile, **values)


def build_world(client: FlaskClient, make_party: Callable[..., Any]) -> World:
    courier = make_party("courier_company", "顺达快递")
    world = World(
        client=client,
        platform=make_party("platform", "优选商城"),
        merchant=make_party("merchant", "杭州茶叶旗舰店"),
        courier=courier,
        pickup=make_party("staff", "揽收员 李四", company=courier),
        hub=make_party("staff", "分拣员 王五", company=courier),
        last_mile=make_party("staff", "派送员 赵六", company=courier),
        regulator=make_party("regulator", "上海市邮政管理局"),
    )
    world.product()
    return world


def full_journey(
    world: World, serial: str = "SN0001", parcel: str = "00/106141412345678908"
) -> str:
    """List, sell, dispatch, hand off twice, deliver, receive and review one item."""
    item = f"01/{GTIN}/21/{serial}"
    world.sell(item)
    world.dispatch(parcel, [item])
    world.handoff(parcel, world.pickup, world.hub)
    world.handoff(parcel, world.hub, world.last_mile)
    world.deliver(parcel)
    world.record("receipt", parcel, world.buyer, condition="intact")
    world.record("review", item, world.buyer, score=5, text="茶叶新鲜，包装完好")
    return item


PROBLEM_JSON = "application/problem+json"


def log_size(client: FlaskClient) -> int:
    """The latest signed checkpoint's tree size, as an outside auditor reads it (0 if none)."""
    response = client.get("/checkpoint")
    if response.status_code == 404:
        return 0
    assert response.status_code == 200, response.data
    return int(response.get_data(as_text=True).splitlines()[1])


def row_count(client: FlaskClient, model: Any) -> int:
    """How many rows the table of `model` holds (read straight from the database)."""
    from sqlalchemy import func, select

    from trace_service.db import new_session

    app = client.application
    with app.app_context():
        session = new_session(app)
        try:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            session.close()


def entry_count(client: FlaskClient) -> int:
    """How many rows the log table holds."""
    from trace_service.ledger.models import LogEntry

    return row_count(client, LogEntry)


def ledger_state(client: FlaskClient) -> tuple[int, int]:
    """(checkpoint size, stored entries): what must not move when an event is refused."""
    return log_size(client), entry_count(client)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with this status and stable code; returns its body."""
    assert response.status_code == status, (response.status_code, response.data[:500])
    assert response.mimetype == PROBLEM_JSON, response.mimetype
    body: dict[str, Any] = response.get_json(force=True)
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["type"].endswith(code)
    return body


# --- refusals: what a client sees when /events refuses, and that nothing was written -------

ITEM = f"01/{GTIN}/21/SN0001"
PARCEL = "00/106141412345678908"
PRICE = {"amount": "88.00", "currency": "CNY"}


@contextmanager
def nothing_written(world: World) -> Iterator[None]:
    before = ledger_state(world.client)
    yield
    assert ledger_state(world.client) == before, "a refused submission changed the log"


def listing_body(world: World, subject: str = ITEM, **fields: Any) -> dict[str, Any]:
    values = {"platform": world.platform.party_id, "listing_ref": "L-1", "price": PRICE} | fields
    return payload("listing", subject, world.heads.get(subject), now(), **values)


def signed_listing(world: World, **fields: Any) -> dict[str, Any]:
    return submission(sign(listing_body(world, **fields), world.merchant.key))


def post_raw(world: World, data: str | bytes, content_type: str = "application/json") -> Any:
    return world.client.post("/events", data=data, content_type=content_type)


def list_item(world: World) -> dict[str, Any]:
    """Record the standard listing of ITEM (the start of most stories here); its receipt."""
    return world.record(
        "listing",
        ITEM,
        world.merchant,
        platform=world.platform.party_id,
        listing_ref="L-1",
        price=PRICE,
    )


def refused(world: World, body: Any, status: int, code: str, path: str = "/events") -> dict:
    with nothing_written(world):
        response = world.client.post(path, data=json.dumps(body), content_type="application/json")
        return assert_problem(response, status, code)


def raw_refused(world: World, data: str | bytes, status: int, code: str, **kw: Any) -> dict:
    with nothing_written(world):
        return assert_problem(post_raw(world, data, **kw), status, code)


def sale_fields(world: World, order: str = "O-1") -> dict[str, Any]:
    return {
        "platform": world.platform.party_id,
        "order_ref": order,
        "price": PRICE,
        "buyer_key": world.buyer.public_b64,
    }
