"""The measured world: registered parties (a platform, a merchant, a courier company with a pickup
and a last-mile courier, 1,000 buyers' keys) and the events they sign, listing and sale pairs
and whole item journeys. Event hashes are deterministic, so whole chains are pre-signed, in worker
processes, before any clock starts."""

from __future__ import annotations

import multiprocessing as mp
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import nacl.signing

from trace_service.db import new_session
from trace_service.identity import service as identity
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign
from trace_service.lifecycle.compose import submission as as_submission
from trace_service.lifecycle.products import register_product

GTIN = "09506000134352"  # a valid GTIN-14 (check digit 2)
BATCH = 500
BUYERS = 1000
USCC = ["91310000MA1FL0001", "91330100MA2H00002", "91310000MA1FL0004", "11310000MB0123456"]


@dataclass(frozen=True)
class World:
    """Registered parties (ids and key seeds): picklable, so signer processes can rebuild keys."""

    platform: str
    merchant: str
    merchant_seed: bytes
    courier: str
    pickup: str
    pickup_seed: bytes
    last_mile: str
    last_mile_seed: bytes
    buyer_seeds: tuple[bytes, ...]


def setup_world(app: Any) -> World:
    from stdnum.cn import uscc

    at = datetime(2020, 1, 1, tzinfo=UTC)
    codes = iter(base + uscc.calc_check_digit(base) for base in USCC)
    session = new_session(app)
    try:
        registrar = identity.bootstrap_registrar(
            session, identity.PartySpec("regulator", "基准测试 监管", next(codes)), at
        )

        def party(kind: str, name: str, company: str | None = None) -> tuple[str, bytes]:
            code = next(codes) if kind in ("platform", "merchant", "courier_company") else None
            spec = identity.PartySpec(kind, name, uscc=code, company_id=company)
            registered = identity.register_party(session, registrar, spec, at)
            holder = KeyHolder(party_id=registered.id)
            identity.enrol_key(session, registrar, registered.id, holder.public_key, at)
            return registered.id, bytes(holder.signing_key)

        platform_id, _ = party("platform", "基准商城")
        merchant, merchant_seed = party("merchant", "基准茶叶店")
        courier, _ = party("courier_company", "基准快递")
        pickup, pickup_seed = party("staff", "揽收员", courier)
        last_mile, last_mile_seed = party("staff", "派送员", courier)
        register_product(
            session,
            identity.get_party(session, merchant),
            {"gtin": GTIN, "name": "基准 绿茶 250g", "origin": "浙江杭州", "producer": "基准茶厂"},
            at,
        )
        session.commit()
    finally:
        session.close()
    seeds = tuple(bytes(nacl.signing.SigningKey.generate()) for _ in range(BUYERS))
    return World(
        platform_id,
        merchant,
        merchant_seed,
        courier,
        pickup,
        pickup_seed,
        last_mile,
        last_mile_seed,
        seeds,
    )


_keys: dict[bytes, KeyHolder] = {}


def _holder(seed: bytes) -> KeyHolder:
    if seed not in _keys:
        _keys[seed] = KeyHolder(nacl.signing.SigningKey(seed))
    return _keys[seed]


def item_id(prefix: str, n: int) -> str:
    return f"01/{GTIN}/21/{prefix}{n:08d}"


def parcel_id(n: int) -> str:
    body = f"06901234{n:09d}"
    odd = sum(int(d) for d in body[::-2])
    even = sum(int(d) for d in body[-2::-2])
    return f"00/{body}{(10 - (3 * odd + even) % 10) % 10}"


PRICE = {"amount": "88.00", "currency": "CNY"}


def listing_and_sale(world: World, prefix: str, n: int, at: datetime) -> list[Any]:
    """Two chained envelopes of one item: listing, then its sale (prev = the listing's hash)."""
    merchant = _holder(world.merchant_seed)
    buyer = _holder(world.buyer_seeds[n % BUYERS])
    item = item_id(prefix, n)
    listed = sign(
        payload(
            "listing", item, None, at, platform=world.platform, listing_ref=f"L{n}", price=PRICE
        ),
        merchant,
    )
    sold = sign(
        payload(
            "sale",
            item,
            listed.hash,
            at,
            platform=world.platform,
            order_ref=f"O{n}",
            price=PRICE,
            buyer_key=buyer.public_b64,
        ),
        merchant,
    )
    return [listed, sold]


def journey(world: World, n: int, at: datetime) -> list[dict[str, Any]]:
    """Seven events over an item and its parcel: listing, sale, dispatch (countersigned, with
    encrypted recipient data), handoff, delivery, receipt and review."""
    merchant = _holder(world.merchant_seed)
    pickup = _holder(world.pickup_seed)
    last_mile = _holder(world.last_mile_seed)
    buyer = _holder(world.buyer_seeds[n % BUYERS])
    listed, sold = listing_and_sale(world, "J", n, at)
    item, parcel = item_id("J", n), parcel_id(n)
    personal, commitment = recipient("张三", "13800138000", "上海市浦东新区世纪大道100号")
    place = {"name": "上海转运中心", "city": "上海"}
    dispatched = sign(
        payload(
            "dispatch",
            parcel,
            None,
            at,
            items=[item],
            courier=world.courier,
            declared_weight_g=800,
            promised_by=at + timedelta(days=3),
            origin_city="杭州",
            destination_city="上海",
            recipient_commitment=commitment,
        ),
        merchant,
        pickup,
    )
    handed = sign(
        payload(
            "handoff",
            parcel,
            dispatched.hash,
            at,
            from_=world.pickup,
            location=place,
            condition="intact",
            weight_g=800,
        ),
        last_mile,
    )
    delivered = sign(
        payload(
            "delivery",
            parcel,
            handed.hash,
            at,
            method="in_person",
            consent=True,
            location=place,
            condition="intact",
            weight_g=800,
        ),
        last_mile,
    )
    received = sign(payload("receipt", parcel, delivered.hash, at, condition="intact"), buyer)
    reviewed = sign(
        payload("review", item, sold.hash, at, score=5, text="茶叶新鲜，包装完好"), buyer
    )
    return [
        as_submission(listed),
        as_submission(sold),
        as_submission(dispatched, personal),
        as_submission(handed),
        as_submission(delivered),
        as_submission(received),
        as_submission(reviewed),
    ]


# Signing runs in worker processes (fork start): these build whole batches.


def _sign_pairs(args: tuple[World, str, int, int, datetime]) -> list[dict[str, Any]]:
    world, prefix, start, count, at = args
    return [
        as_submission(e)
        for n in range(start, start + count)
        for e in listing_and_sale(world, prefix, n, at)
    ]


def sign_journeys(args: tuple[World, int, int, datetime]) -> list[dict[str, Any]]:
    """Journeys `start` to `start + count`, signed: one job of a signer process."""
    world, start, count, at = args
    return [e for n in range(start, start + count) for e in journey(world, n, at)]


def presign_pairs(
    world: World, prefix: str, items: int, at: datetime
) -> list[list[dict[str, Any]]]:
    """Self-contained batches of BATCH events (BATCH/2 items, each listed then sold)."""
    per = BATCH // 2
    jobs = [(world, prefix, start, min(per, items - start), at) for start in range(0, items, per)]
    with mp.get_context("fork").Pool(os.cpu_count()) as pool:
        return pool.map(_sign_pairs, jobs)
