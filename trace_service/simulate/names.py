"""Made-up names, addresses and goods for the simulated network, and valid codes to carry them.

The cities and districts are real; every person, company, shop and product is invented, and
phone numbers are masked as on a privacy waybill (隐私面单), so no real person can be named.
Raises nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum.cn import uscc as uscc_code

from trace_service.demo.actors import gtin13


@dataclass(frozen=True)
class City:
    name: str
    division: str  # 行政区划代码, the region part of a unified social credit code
    region: str
    demand: float  # relative share of deliveries
    sellers: float  # relative share of merchants
    districts: tuple[str, ...]


# Ordered by size: a small run uses the first few.
CITIES = (
    City("上海", "310000", "east", 1.45, 1.4, ("浦东新区", "徐汇区", "静安区", "闵行区")),
    City("北京", "110000", "north", 1.35, 0.9, ("朝阳区", "海淀区", "丰台区", "西城区")),
    City("广州", "440100", "south", 1.3, 1.5, ("天河区", "越秀区", "白云区", "番禺区")),
    City("深圳", "440300", "south", 1.25, 1.4, ("南山区", "福田区", "宝安区", "龙岗区")),
    City("杭州", "330100", "east", 1.0, 1.6, ("西湖区", "余杭区", "拱墅区", "滨江区")),
    City("成都", "510100", "west", 1.05, 0.7, ("武侯区", "锦江区", "青羊区", "金牛区")),
    City("武汉", "420100", "central", 0.9, 0.5, ("江汉区", "武昌区", "洪山区", "江岸区")),
    City("南京", "320100", "east", 0.85, 0.6, ("鼓楼区", "玄武区", "江宁区", "秦淮区")),
    City("重庆", "500000", "west", 0.95, 0.4, ("渝中区", "江北区", "南岸区", "沙坪坝区")),
    City("西安", "610100", "west", 0.8, 0.4, ("雁塔区", "碑林区", "未央区", "莲湖区")),
    City("苏州", "320500", "east", 0.85, 0.9, ("姑苏区", "吴中区", "相城区", "虎丘区")),
    City("天津", "120000", "north", 0.75, 0.4, ("和平区", "南开区", "河西区", "滨海新区")),
)

# (name, waybill prefix): invented brands, none of them a real carrier's.
COMPANIES = (
    ("顺达快递", "SD"),
    ("通远速运", "TY"),
    ("捷程快递", "JC"),
    ("安迅速递", "AX"),
    ("华驰快运", "HC"),
    ("鸿雁速递", "HY"),
    ("迅邦快递", "XB"),
    ("众联速运", "ZL"),
)

PLATFORMS = ("优选商城", "邻里购")

_SHOP_STEMS = (
    "云岭",
    "西湖",
    "青竹",
    "悦享",
    "知味",
    "锦瑟",
    "拾光",
    "山野",
    "木子",
    "橙心",
    "南风",
    "北辰",
    "星河",
    "初见",
    "半夏",
    "清源",
    "归田",
    "小满",
    "禾下",
    "远山",
    "白露",
    "松间",
)
_SHOP_SUFFIXES = ("旗舰店", "专营店", "官方店", "生活馆")

# category -> (shop word, [(product, weight in grams, price in yuan)])
CATALOG: dict[str, tuple[str, tuple[tuple[str, int, int], ...]]] = {
    "tea": (
        "茶业",
        (("明前绿茶 250g", 320, 268), ("高山乌龙 礼盒", 650, 398), ("白茶饼", 420, 228)),
    ),
    "coffee": ("咖啡", (("咖啡豆 500g", 560, 128), ("挂耳咖啡", 380, 99), ("冷萃咖啡液", 900, 79))),
    "apparel": ("服饰", (("纯棉T恤", 230, 89), ("轻薄羽绒服", 700, 499), ("牛仔裤", 650, 199))),
    "digital": ("数码", (("无线耳机", 180, 299), ("快充充电器", 150, 129), ("移动电源", 330, 159))),
    "home": ("家居", (("四件套", 2100, 359), ("记忆棉枕", 1300, 199), ("收纳箱", 1600, 69))),
    "beauty": ("美妆", (("保湿面霜", 260, 239), ("洁面乳", 180, 89), ("防晒霜", 120, 149))),
    "snacks": ("食品", (("坚果礼盒", 1250, 168), ("手工牛轧糖", 520, 59), ("牛肉干", 300, 79))),
    "baby": ("母婴", (("婴儿湿巾", 1900, 99), ("儿童水杯", 350, 129), ("纱布浴巾", 450, 89))),
}


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐韩冯邓曹彭"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞宇浩然欣怡子轩雨泽思远晨"
_ROADS = (
    "人民路",
    "建设路",
    "解放路",
    "中山路",
    "和平路",
    "幸福路",
    "文化路",
    "光明路",
    "新华路",
    "长江路",
    "东风路",
    "青年路",
    "学府路",
    "滨河路",
    "胜利路",
    "迎宾路",
)
_ESTATES = (
    "阳光花园",
    "锦绣家园",
    "翠湖苑",
    "金色港湾",
    "绿地新城",
    "和谐家园",
    "枫林小区",
    "书香苑",
    "春江花月",
    "丽景湾",
    "紫薇苑",
    "康乐新村",
)
_MOBILE_PREFIXES = ("130", "133", "135", "138", "139", "150", "152", "158", "177", "186", "189")


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))


def masked_phone(rng: random.Random) -> str:
    """A mobile number masked as on a privacy waybill: it reaches nobody."""
    return f"{rng.choice(_MOBILE_PREFIXES)}****{rng.randrange(10000):04d}"


def address(rng: random.Random, city: City) -> str:
    district = rng.choice(city.districts)
    road = rng.choice(_ROADS)
    building, floor, door = rng.randrange(1, 30), rng.randrange(1, 30), rng.randrange(1, 6)
    return (
        f"{city.name}市{district}{road}{rng.randrange(1, 999)}号"
        f"{rng.choice(_ESTATES)}{building}栋{floor}0{door}室"
    )


def drop_point(rng: random.Random, city: City, method: str) -> str:
    """Where a parcel is left (public, so never the recipient's address)."""
    district = rng.choice(city.districts)
    if method == "station":
        return f"{district}{rng.choice(_ESTATES)}驿站"
    if method == "locker":
        return f"{district}{rng.choice(_ESTATES)}快递柜"
    if method == "proxy":
        return f"{district}{rng.choice(_ESTATES)}门卫室"
    return f"{district}{rng.choice(_ROADS)}投递段"


def shop_name(rng: random.Random, category: str) -> str:
    return rng.choice(_SHOP_STEMS) + CATALOG[category][0] + rng.choice(_SHOP_SUFFIXES)


def organisation_code(body8: str) -> str:
    """A GB 11714 organisation code: eight characters and their check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: random.Random, city: City, authority: str = "91") -> str:
    """A well-formed unified social credit code (统一社会信用代码) registered in `city`.

    `authority` is the registering authority and entity type: 91 a company, 11 a state organ.
    """
    body = authority + city.division + organisation_code(f"{rng.randrange(10**8):08d}")
    return body + str(uscc_code.calc_check_digit(body))


def product_gtin(merchant_index: int, product_index: int) -> str:
    """A GTIN-13 under a made-up GS1 China (69x) company prefix, with its real check digit."""
    return gtin13(f"69{merchant_index:05d}{product_index:05d}")
