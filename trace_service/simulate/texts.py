"""What simulated buyers, merchants and platforms write: complaint descriptions and reviews.
Raises nothing."""

from __future__ import annotations

import random

COMPLAINTS: dict[str, tuple[str, ...]] = {
    "lost": ("超过承诺时间很久了还没收到包裹，物流也不更新。", "显示已投递，但我从没收到包裹。"),
    "short": ("收到的包裹少了东西，和订单数量对不上。", "外箱有拆开重封的痕迹，少了一件。"),
    "empty_parcel": ("收到的是空包裹，里面什么都没有。", "包裹里只有填充物，没有商品。"),
    "damaged": ("外包装严重破损，商品被压坏。", "箱子湿了且变形，里面的东西摔坏了。"),
    "delayed": ("比承诺的送达时间晚了好几天。", "包裹在中转站停留太久，严重延误。"),
    "station_drop": ("没有征得我同意就放进了驿站。", "未经同意放快递柜，我根本不在家附近。"),
    "unauthorised_signoff": ("快递员未经我同意让门卫代签。", "没见到快递员，包裹被别人代收了。"),
    "service_attitude": ("快递员态度恶劣，出言不逊。", "派送员不耐烦，把包裹扔在地上就走。"),
    "illegal_fee": ("快递员要求额外支付上楼费。", "送货时被要求加收派送费。"),
    "wrong_item": ("收到的商品和下单的不是同一款。",),
    "not_as_described": ("实物和商品详情页描述差别很大。",),
    "counterfeit": ("怀疑是假货，防伪码查询无效。",),
}
PLATFORM_AUDIT = "平台抽检：该订单疑似刷单空包，申报重量异常偏低。"
MERCHANT_BLAME = "买家反映收到空包，怀疑快递途中丢失商品，请快递公司核查。"
MALICIOUS_PREFIX = "（平台转交用户投诉）"

REVIEWS: dict[int, tuple[str, ...]] = {
    5: ("非常满意，物流很快，包装完好。", "质量很好，会回购。", "和描述一致，好评！"),
    4: ("整体不错，物流稍慢。", "东西挺好，包装一般。"),
    3: ("一般般，凑合用。", "物流有点慢，商品还行。"),
    2: ("不太满意，包装有破损。", "送货太慢了。"),
    1: ("很差，商品有问题，快递也慢。", "非常失望。"),
}
FAKE_REVIEWS = ("宝贝超级好，物超所值，五星好评！", "卖家服务态度好，发货快，推荐购买！")


def complaint(rng: random.Random, category: str) -> str:
    return rng.choice(COMPLAINTS[category])


def review(rng: random.Random, happy: bool) -> tuple[int, str]:
    """A score and a text: mostly good after a smooth delivery, poor after a fault."""
    score = rng.choices(
        (5, 4, 3, 2, 1), weights=(60, 25, 10, 3, 2) if happy else (2, 5, 18, 35, 40)
    )
    return score[0], rng.choice(REVIEWS[score[0]])
