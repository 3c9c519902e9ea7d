"""The demo story: who exists, what they sell, and what happens to each parcel."""

from __future__ import annotations

from trace_service.demo.actors import Demo, gtin13, sscc, uscc
from trace_service.identity import service as identity
from trace_service.lifecycle.products import register_product


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
    for role, name, company, outlet in [
        ("sd_pick", "揽收员 陈明", "sd", "sd_hz"),
        ("sd_hub", "分拣员 刘强", "sd", "sd_hz"),
        ("sd_last", "派送员 王芳", "sd", "sd_sh"),
        ("ty_pick", "揽收员 杨军", "ty", "ty_km"),
        ("ty_hub", "分拣员 黄磊", "ty", "ty_km"),
        ("ty_last", "派送员 周静", "ty", "ty_sh"),
    ]:
        r(role, "staff", name, "regulator", company=company, outlet=outlet)


PRODUCTS = {
    "tea": (
        gtin13("690123450001"),
        "西湖龙井 明前特级 250g",
        "浙江省杭州市西湖区",
        "杭州西湖龙井茶业有限公司",
    ),
    "tea2": (
        gtin13("690123450002"),
        "安吉白茶 礼盒 200g",
        "浙江省湖州市安吉县",
        "杭州西湖龙井茶业有限公司",
    ),
    "coffee": (
        gtin13("690123450003"),
        "云南小粒咖啡豆 中度烘焙 500g",
        "云南省普洱市",
        "云岭咖啡工坊有限公司",
    ),
}


def _story(demo: Demo) -> list[str]:
    for key, (gtin, name, origin, producer) in PRODUCTS.items():
        merchant = demo.parties["coffee" if key == "coffee" else "tea"]
        register_product(
            demo.session,
            identity.get_party(demo.session, merchant.party_id),
            {
                "gtin": gtin,
                "name": name,
                "origin": origin,
                "producer": producer,
                "licences": [{"kind": "食品生产许可证", "number": f"SC1143301{gtin[-6:]}"}],
            },
            demo.clock,
        )
    demo.session.commit()
    tea, tea2, coffee = (f"01/0{PRODUCTS[k][0]}" for k in ("tea", "tea2", "coffee"))
    items = [
        f"{tea}/21/LJ2026-0001",
        f"{coffee}/21/YN-0001",
        f"{tea2}/21/AJ-0001",
        f"{tea}/21/LJ2026-0002",
        f"{tea}/21/LJ2026-0003",
    ]
    p1, p2, p3, p4 = (f"00/{sscc(n)}" for n in (1, 2, 3, 4))

    # 1. A tea parcel delivered in person, received and reviewed.
    demo.sell(items[0], "tea", "buyer_a", "368.00")
    demo.dispatch(
        p1,
        [items[0]],
        "tea",
        "sd_pick",
        "sd",
        420,
        "上海",
        "杭州",
        ("林晓", "13912345678", "上海市浦东新区张杨路500号"),
    )
    demo.handoff(p1, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 418)
    demo.handoff(p1, "sd_hub", "sd_last", "顺达上海浦东营业部", "上海", 418)
    # Signed payloads are public: a delivery names the delivery round, never the address.
    demo.deliver(p1, "sd_last", "in_person", True, "浦东投递段", "上海", 418)
    demo.record("receipt", p1, "buyer_a", hours=0.5, condition="intact")
    demo.record(
        "review", items[0], "buyer_a", hours=20, score=5, text="茶香浓郁，包装完好，物流很快。"
    )

    # 2. Coffee left at a parcel station without consent: the buyer complains.
    demo.sell(items[1], "coffee", "buyer_b", "128.00")
    demo.dispatch(
        p2,
        [items[1]],
        "coffee",
        "ty_pick",
        "ty",
        560,
        "上海",
        "昆明",
        ("赵磊", "13700001111", "上海市徐汇区漕溪北路88号"),
    )
    demo.handoff(p2, "ty_pick", "ty_hub", "通远昆明分拨中心", "昆明", 555)
    demo.handoff(p2, "ty_hub", "ty_last", "通远上海徐汇营业部", "上海", 555, hours=40)
    demo.deliver(p2, "ty_last", "station", False, "徐汇菜鸟驿站", "上海", 555)
    demo.record("receipt", p2, "buyer_b", hours=30, condition="intact")
    demo.record(
        "complaint",
        p2,
        "buyer_b",
        hours=1,
        category="unauthorised_signoff",
        description="未经同意将包裹放在驿站，也没有电话通知。",
    )

    # 3. White tea damaged at the hub: noted at the handoff, received damaged, complained.
    demo.sell(items[2], "tea", "buyer_c", "198.00")
    demo.dispatch(
        p3,
        [items[2]],
        "tea",
        "sd_pick",
        "sd",
        650,
        "上海",
        "杭州",
        ("孙悦", "13600002222", "上海市静安区南京西路1266号"),
    )
    demo.handoff(p3, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 650)
    demo.handoff(p3, "sd_hub", "sd_last", "顺达上海浦东营业部", "上海", 640, condition="damaged")
    demo.deliver(p3, "sd_last", "in_person", True, "静安投递段", "上海", 640, "damaged")
    demo.record("receipt", p3, "buyer_c", hours=0.2, condition="damaged")
    demo.record(
        "complaint",
        p3,
        "buyer_c",
        hours=0.5,
        category="damaged",
        description="礼盒外包装压坏，茶叶罐凹陷。",
    )

    # 4. Two teas in one parcel, still on the way.
    demo.sell(items[3], "tea", "buyer_d", "368.00")
    demo.sell(items[4], "tea", "buyer_d", "368.00")
    demo.dispatch(
        p4,
        [items[3], items[4]],
        "tea",
        "sd_pick",
        "sd",
        840,
        "上海",
        "杭州",
        ("钱程", "13500003333", "上海市黄浦区中山东一路18号"),
    )
    demo.handoff(p4, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 838)

    # Listed, not sold yet.
    platform = demo.parties["platform"].party_id
    demo.record(
        "listing",
        f"{coffee}/21/YN-0002",
        "coffee",
        platform=platform,
        listing_ref="L-YN-0002",
        price={"amount": "128.00", "currency": "CNY"},
    )
    demo.record(
        "commitment",
        f"party/{demo.parties['sd'].party_id}",
        "sd",
        hours=2,
        standard="快递服务信用承诺书 v1",
        text="本企业承诺依法经营、保障寄递安全、保护用户个人信息，自愿接受社会监督。",
    )
    return [*items, f"{coffee}/21/YN-0002"]


def populate(demo: Demo) -> list[str]:
    """Register the demo world and play its story; returns the demo item subjects."""
    _world(demo)
    return _story(demo)
