"""A demo world: regulator, platform, merchants, couriers with outlets and staff, and parcels
through their whole life (one reviewed, one complained about, one damaged, one in transit).

Everything goes through the same operations as real clients: parties are registered by a
registrar, events are signed with the parties' keys and ingested with the normal rules. The
private keys and credentials are written to `<instance>/demo/` so the CLI and the pages can act
as any demo party.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from biip.checksums import gs1_standard_check_digit
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trace_service.codes.digital_link import digital_link_uri
from trace_service.db import new_session
from trace_service.errors import DomainError
from trace_service.identity import service as identity
from trace_service.identity.models import Party
from trace_service.ledger.log_key import LogKey
from trace_service.lifecycle.compose import KeyHolder, payload, recipient, sign, submission
from trace_service.lifecycle.ingest import IngestContext, Receipt, ingest
from trace_service.lifecycle.products import register_product


def gtin13(body12: str) -> str:
    return body12 + str(gs1_standard_check_digit(body12))


def sscc(serial_reference: int) -> str:
    # Extension digit 0, GS1 China company prefix 6901234, 9-digit serial reference.
    body = f"06901234{serial_reference:09d}"
    return body + str(gs1_standard_check_digit(body))


def uscc(base17: str) -> str:
    from stdnum.cn import uscc as code

    return base17 + code.calc_check_digit(base17)


@dataclass
class DemoParty:
    party_id: str
    kind: str
    name: str
    key: KeyHolder
    credential: str

    def as_json(self) -> dict[str, Any]:
        return {
            "party_id": self.party_id,
            "kind": self.kind,
            "name": self.name,
            "keyid": self.key.keyid,
            "private_key": base64.b64encode(bytes(self.key.signing_key)).decode(),
            "public_key": self.key.public_b64,
            "credential": self.credential,
        }


@dataclass
class Demo:
    """Drives the demo story with a simulated clock that only moves forward."""

    session: Session
    ctx: IngestContext
    clock: datetime
    parties: dict[str, DemoParty] = field(default_factory=dict)
    buyers: dict[str, KeyHolder] = field(default_factory=dict)
    heads: dict[str, str | None] = field(default_factory=dict)

    def tick(self, **delta: float) -> datetime:
        self.clock += timedelta(**delta)
        return self.clock

    def register(self, role: str, kind: str, name: str, registrar: str | None = None,
                 company: str | None = None, code: str | None = None,
                 city: str | None = None) -> DemoParty:  # fmt: skip
        spec = identity.PartySpec(kind, name, uscc=code, city=city,
                                  company_id=self.parties[company].party_id if company else None)  # fmt: skip
        if registrar is None:
            party = identity.bootstrap_registrar(self.session, spec, self.clock)
        else:
            by = identity.get_party(self.session, self.parties[registrar].party_id)
            party = identity.register_party(self.session, by, spec, self.clock)
        holder = KeyHolder(party_id=party.id)
        identity.enrol_key(self.session, party, party.id, holder.public_key, self.clock)
        token = identity.issue_credential(self.session, party.id, self.clock)
        self.session.commit()
        self.parties[role] = DemoParty(party.id, kind, name, holder, token)
        return self.parties[role]

    def record(self, kind: str, subject: str, *signers: str, personal: Any = None,
               hours: float = 1, **fields: Any) -> Receipt:  # fmt: skip
        """Sign an event as the named demo parties (or buyers) and ingest it."""
        at = self.tick(hours=hours)
        keys = [self.buyers[s] if s in self.buyers else self.parties[s].key for s in signers]
        envelope = sign(payload(kind, subject, self.heads.get(subject), at, **fields), *keys)
        [outcome] = ingest(self.session, [submission(envelope, personal)], self.ctx, at)
        if isinstance(outcome, DomainError):
            raise RuntimeError(f"demo event {kind} on {subject} refused: {outcome.problem()}")
        self.heads[subject] = outcome.hash
        return outcome

    def sell(self, item: str, merchant: str, buyer: str, price: str) -> None:
        money = {"amount": price, "currency": "CNY"}
        platform = self.parties["platform"].party_id
        self.record("listing", item, merchant, platform=platform, listing_ref=f"L{len(self.heads)}",
                    price=money, commitment="正品保证 · 七天无理由退货")  # fmt: skip
        self.buyers.setdefault(buyer, KeyHolder())
        self.record("sale", item, merchant, hours=30, platform=platform,
                    order_ref=f"O{len(self.heads)}", price=money,
                    buyer_key=self.buyers[buyer].public_b64)  # fmt: skip

    def dispatch(self, parcel: str, items: list[str], merchant: str, pickup: str, courier: str,
                 weight: int, to_city: str, from_city: str, person: tuple[str, str, str]) -> None:  # fmt: skip
        personal, commitment = recipient(*person)
        self.record("dispatch", parcel, merchant, pickup, personal=personal, hours=2, items=items,
                    courier=self.parties[courier].party_id, declared_weight_g=weight,
                    promised_by=self.clock + timedelta(days=3, hours=2), origin_city=from_city,
                    destination_city=to_city, recipient_commitment=commitment)  # fmt: skip

    def handoff(self, parcel: str, giver: str, receiver: str, place: str, city: str,
                weight: int, condition: str = "intact", hours: float = 8) -> None:  # fmt: skip
        self.record("handoff", parcel, receiver, hours=hours, from_=self.parties[giver].party_id,
                    location={"name": place, "city": city}, condition=condition,
                    weight_g=weight)  # fmt: skip

    def deliver(self, parcel: str, staff: str, method: str, consent: bool, place: str, city: str,
                weight: int, condition: str = "intact") -> None:  # fmt: skip
        self.record("delivery", parcel, staff, hours=6, method=method, consent=consent,
                    location={"name": place, "city": city}, condition=condition,
                    weight_g=weight)  # fmt: skip


def _world(demo: Demo) -> None:
    r = demo.register
    r("regulator", "regulator", "上海市邮政管理局", code=uscc("11310000MB0123456"), city="上海")
    r("platform", "platform", "优选商城", "regulator", code=uscc("91310000MA1FL0001"), city="上海")
    r(
        "tea",
        "merchant",
        "西湖龙井茶业旗舰店",
        "platform",
        code=uscc("91330100MA2H00002"),
        city="杭州",
    )
    r("coffee", "merchant", "云岭咖啡工坊", "platform", code=uscc("91530100MA6K00003"), city="昆明")
    r("sd", "courier_company", "顺达快递", "regulator", code=uscc("91310000MA1FL0004"), city="上海")
    r("ty", "courier_company", "通远速运", "regulator", code=uscc("91440300MA5E00005"), city="深圳")
    for role, name, company, city in [
        ("sd_hz", "顺达快递 杭州西湖营业部", "sd", "杭州"),
        ("sd_sh", "顺达快递 上海浦东营业部", "sd", "上海"),
        ("ty_km", "通远速运 昆明五华营业部", "ty", "昆明"),
        ("ty_sh", "通远速运 上海徐汇营业部", "ty", "上海"),
    ]:
        r(role, "outlet", name, "regulator", company=company, city=city)
    for role, name, company in [
        ("sd_pick", "揽收员 陈明", "sd"), ("sd_hub", "分拣员 刘强", "sd"),
        ("sd_last", "派送员 王芳", "sd"), ("ty_pick", "揽收员 杨军", "ty"),
        ("ty_hub", "分拣员 黄磊", "ty"), ("ty_last", "派送员 周静", "ty"),
    ]:  # fmt: skip
        r(role, "staff", name, "regulator", company=company)


PRODUCTS = {
    "tea": (gtin13("690123450001"), "西湖龙井 明前特级 250g", "浙江省杭州市西湖区", "杭州西湖龙井茶业有限公司"),
    "tea2": (gtin13("690123450002"), "安吉白茶 礼盒 200g", "浙江省湖州市安吉县", "杭州西湖龙井茶业有限公司"),
    "coffee": (gtin13("690123450003"), "云南小粒咖啡豆 中度烘焙 500g", "云南省普洱市", "云岭咖啡工坊有限公司"),
}  # fmt: skip


def _story(demo: Demo) -> list[str]:
    for key, (gtin, name, origin, producer) in PRODUCTS.items():
        merchant = demo.parties["coffee" if key == "coffee" else "tea"]
        register_product(
            demo.session,
            identity.get_party(demo.session, merchant.party_id),
            {"gtin": gtin, "name": name, "origin": origin, "producer": producer,
             "licences": [{"kind": "食品生产许可证", "number": f"SC1143301{gtin[-6:]}"}]},
            demo.clock,
        )  # fmt: skip
    demo.session.commit()
    tea, tea2, coffee = (f"01/0{PRODUCTS[k][0]}" for k in ("tea", "tea2", "coffee"))
    items = [f"{tea}/21/LJ2026-0001", f"{coffee}/21/YN-0001", f"{tea2}/21/AJ-0001",
             f"{tea}/21/LJ2026-0002", f"{tea}/21/LJ2026-0003"]  # fmt: skip
    p1, p2, p3, p4 = (f"00/{sscc(n)}" for n in (1, 2, 3, 4))

    # 1. A tea parcel delivered in person, received and reviewed.
    demo.sell(items[0], "tea", "buyer_a", "368.00")
    demo.dispatch(p1, [items[0]], "tea", "sd_pick", "sd", 420, "上海", "杭州",
                  ("林晓", "13912345678", "上海市浦东新区张杨路500号"))  # fmt: skip
    demo.handoff(p1, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 418)
    demo.handoff(p1, "sd_hub", "sd_last", "顺达上海浦东营业部", "上海", 418)
    demo.deliver(p1, "sd_last", "in_person", True, "张杨路500号", "上海", 418)
    demo.record("receipt", p1, "buyer_a", hours=0.5, condition="intact")
    demo.record(
        "review", items[0], "buyer_a", hours=20, score=5, text="茶香浓郁，包装完好，物流很快。"
    )

    # 2. Coffee left at a parcel station without consent: the buyer complains.
    demo.sell(items[1], "coffee", "buyer_b", "128.00")
    demo.dispatch(p2, [items[1]], "coffee", "ty_pick", "ty", 560, "上海", "昆明",
                  ("赵磊", "13700001111", "上海市徐汇区漕溪北路88号"))  # fmt: skip
    demo.handoff(p2, "ty_pick", "ty_hub", "通远昆明分拨中心", "昆明", 555)
    demo.handoff(p2, "ty_hub", "ty_last", "通远上海徐汇营业部", "上海", 555, hours=40)
    demo.deliver(p2, "ty_last", "station", False, "漕溪北路菜鸟驿站", "上海", 555)
    demo.record("receipt", p2, "buyer_b", hours=30, condition="intact")
    demo.record("complaint", p2, "buyer_b", hours=1, category="unauthorised_signoff",
                description="未经同意将包裹放在驿站，也没有电话通知。")  # fmt: skip

    # 3. White tea damaged at the hub: noted at the handoff, received damaged, complained.
    demo.sell(items[2], "tea", "buyer_c", "198.00")
    demo.dispatch(p3, [items[2]], "tea", "sd_pick", "sd", 650, "上海", "杭州",
                  ("孙悦", "13600002222", "上海市静安区南京西路1266号"))  # fmt: skip
    demo.handoff(p3, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 650)
    demo.handoff(p3, "sd_hub", "sd_last", "顺达上海浦东营业部", "上海", 640, condition="damaged")
    demo.deliver(p3, "sd_last", "in_person", True, "南京西路1266号", "上海", 640, "damaged")
    demo.record("receipt", p3, "buyer_c", hours=0.2, condition="damaged")
    demo.record("complaint", p3, "buyer_c", hours=0.5, category="damaged",
                description="礼盒外包装压坏，茶叶罐凹陷。")  # fmt: skip

    # 4. Two teas in one parcel, still on the way.
    demo.sell(items[3], "tea", "buyer_d", "368.00")
    demo.sell(items[4], "tea", "buyer_d", "368.00")
    demo.dispatch(p4, [items[3], items[4]], "tea", "sd_pick", "sd", 840, "上海", "杭州",
                  ("钱程", "13500003333", "上海市黄浦区中山东一路18号"))  # fmt: skip
    demo.handoff(p4, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 838)

    # Listed, not sold yet.
    platform = demo.parties["platform"].party_id
    demo.record("listing", f"{coffee}/21/YN-0002", "coffee", platform=platform,
                listing_ref="L-YN-0002", price={"amount": "128.00", "currency": "CNY"})  # fmt: skip
    demo.record("commitment", f"party/{demo.parties['sd'].party_id}", "sd", hours=2,
                standard="快递服务信用承诺书 v1",
                text="本企业承诺依法经营、保障寄递安全、保护用户个人信息，自愿接受社会监督。")  # fmt: skip
    return [*items, f"{coffee}/21/YN-0002"]


def seed_demo(app: Flask, start: datetime | None = None) -> list[str]:
    """Load the demo into an empty database; returns the demo items' Digital Link URIs.

    Raises RuntimeError if the database already holds parties (the demo is loaded once).
    """
    session = new_session(app)
    try:
        if session.scalar(select(func.count()).select_from(Party)):
            raise RuntimeError(
                "the database already holds parties; the demo loads into an empty one"
            )
        log_key: LogKey = app.extensions["trace_log_key"]
        ctx = IngestContext(
            log_key, app.extensions["trace_vault"], app.config["CLOCK_SKEW_SECONDS"]
        )
        clock = (start or datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
        demo = Demo(session, ctx, clock)
        _world(demo)
        items = _story(demo)
        _write_keys(Path(app.instance_path) / "demo", demo)
        base = app.config["RESOLVER_BASE_URL"]
        return [digital_link_uri(base, item) for item in items]
    finally:
        session.close()


def _write_keys(folder: Path, demo: Demo) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for role, party in demo.parties.items():
        path = folder / f"{role}.json"
        path.write_text(json.dumps(party.as_json(), ensure_ascii=False, indent=2))
        path.chmod(0o600)
    buyers = {
        name: {"keyid": k.keyid, "private_key": base64.b64encode(bytes(k.signing_key)).decode(),
               "public_key": k.public_b64}
        for name, k in demo.buyers.items()
    }  # fmt: skip
    (folder / "buyers.json").write_text(json.dumps(buyers, indent=2))
    (folder / "buyers.json").chmod(0o600)
