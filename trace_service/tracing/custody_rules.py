"""Attribution rules that read what changed between custody records (DESIGN §5, 责任倒查).

Lost or short (丢失短少), damaged (损毁), empty parcel (空包) and wrong item / counterfeit / not as
described (图物不符、假冒伪劣): each looks for the custody segment in which the parcel's condition,
weight or seal changed, and blames the party that answers for that segment (`answerable`).
"""

from __future__ import annotations

from trace_service.tracing.custody import CustodyChain, CustodySegment
from trace_service.tracing.rulebook import (
    DELIVERING_STAFF,
    MERCHANT,
    Case,
    Finding,
    RuleSet,
    answerable,
    attributed,
    blame_rule,
    bounds,
    not_dispatched,
    undecided,
)


def lost_or_short(case: Case) -> Finding:
    """丢失短少: the last party that accepted custody and recorded no onward handoff or delivery;
    once delivered, the custodians in whose hands weight was lost."""
    chain = case.chain
    if chain is None:
        return not_dispatched(case)
    if chain.delivery is None:
        if case.now <= chain.promised_by:
            return undecided(
                "lost.not_yet_due",
                (chain.dispatch.hash,),
                "包裹仍在承诺时限内运输，尚不能认定丢失",
                "Still in transit within the promised time; not yet lost",
            )
        last = chain[-1]
        party, role = answerable(chain, last)
        return attributed(
            "lost.last_custodian",
            [(party, role, 1.0)],
            bounds(last),
            f"逾期未投递，最后接收包裹的是 {party}，其后无交接或投递记录",
            f"Overdue, undelivered; {party} accepted it last and recorded no handoff or delivery",
        )
    losses = weight_changes(chain, case.rules, losses_only=True)
    if losses:
        return _weight_lost(chain, losses, "lost.weight_lost_in_custody")
    delivery = chain.delivery
    if (
        case.category == "lost"
        and chain.receipt is None
        and delivery.payload["method"] == "in_person"
        and delivery.time < case.complaint.time
    ):
        # 当面验收: the courier hands the parcel over for the recipient to inspect (快递暂行条例
        # 第二十五条); the buyer's signed receipt is the proof of that hand-over. A recorded
        # in-person delivery the buyer never signed for, who says it never came, rests on the
        # courier's word alone: the delivering staff answers, and may object with its evidence.
        deliverer = str(chain.deliverer)
        return attributed(
            "lost.delivery_unconfirmed",
            [(deliverer, DELIVERING_STAFF, 1.0)],
            (delivery.hash,),
            f"{deliverer} 记录当面投递，买家未签收并投诉未收到",
            f"{deliverer} recorded an in-person delivery the buyer never signed for and says "
            "never came",
        )
    if case.category == "lost" and chain.unattended_without_consent and chain.receipt is None:
        deliverer = str(chain.deliverer)
        method = delivery.payload["method"]
        return attributed(
            "lost.unconsented_drop",
            [(deliverer, DELIVERING_STAFF, 1.0)],
            (delivery.hash,),
            f"{deliverer} 未经同意投放（{method}），买家未签收",
            f"{deliverer} left it ({method}) without consent and the buyer never signed for it",
        )
    return undecided(
        "lost.delivered_full_weight",
        _all_records(chain),
        "包裹已投递，各环节重量无异常，证据不足以认定责任",
        "Delivered with no weight lost between records; the evidence does not settle it",
    )


def damaged(case: Case) -> Finding:
    """损毁: the custodian between the last "intact" record and the first "damaged" one; a party
    that accepted custody without noting damage took responsibility for it."""
    chain = case.chain
    if chain is None:
        return not_dispatched(case)
    for segment in chain:
        if segment.start_condition == "intact" and segment.end_condition == "damaged":
            party, role = answerable(chain, segment)
            return attributed(
                blame_rule("damaged.last_intact_custodian", [role]),
                [(party, role, 1.0)],
                bounds(segment),
                f"包裹在 {party} 保管期间由完好变为损毁",
                f"The parcel went from intact to damaged while {party} answered for it",
            )
    receipt, delivery = chain.receipt, chain.delivery
    if receipt is not None and delivery is not None and receipt.payload["condition"] == "damaged":
        evidence = (delivery.hash, receipt.hash)
        if delivery.payload["method"] != "in_person" and delivery.payload["consent"] is True:
            return undecided(
                "damaged.after_consented_drop",
                evidence,
                "经买家同意投放后才发现损毁，期间保管人不明",
                "Damage found after a drop the buyer agreed to; who held it then is not recorded",
            )
        deliverer = str(chain.deliverer)
        return attributed(
            "damaged.noted_at_receipt",
            [(deliverer, DELIVERING_STAFF, 1.0)],
            evidence,
            f"买家签收时注明损毁；投递员 {deliverer} 的完好记录仅为其自述",
            f"The buyer signed for it damaged; {deliverer}'s 'intact' was its own word",
        )
    return undecided(
        "damaged.not_recorded",
        (*_all_records(chain), *(() if receipt is None else (receipt.hash,))),
        "没有任何记录注明损毁，无法确定发生在哪一环节",
        "No record notes damage; where it happened cannot be told",
    )


def empty_parcel(case: Case) -> Finding:
    """空包: a declared weight near zero is the merchant's fake order (刷单); weight lost between
    custody records is the custodian's."""
    chain = case.chain
    if chain is None:
        return not_dispatched(case)
    if chain.declared_weight_g < case.rules.empty_parcel_below_g:
        return attributed(
            "empty.declared_empty",
            [(chain.merchant, MERCHANT, 1.0)],
            (chain.dispatch.hash,),
            f"商家 {chain.merchant} 申报重量仅 {chain.declared_weight_g} g，属空包（刷单）",
            f"Merchant {chain.merchant} declared {chain.declared_weight_g} g: an empty parcel",
        )
    losses = weight_changes(chain, case.rules, losses_only=True)
    if losses:
        return _weight_lost(chain, losses, "empty.weight_lost_in_custody")
    return undecided(
        "empty.no_weight_loss",
        _all_records(chain),
        "各环节重量与申报一致，证据不足以认定责任",
        "Every record weighed what was declared; the evidence does not settle it",
    )


def goods(case: Case) -> Finding:
    """图物不符、假冒伪劣: the merchant, unless the parcel's weight changed beyond tolerance or its
    seal was recorded broken in custody — then the custodians answering for that."""
    chain = case.chain
    if chain is None:
        merchant = str(case.merchant)
        return attributed(
            "goods.merchant",
            [(merchant, MERCHANT, 1.0)],
            case.merchant_records,
            f"商品未经寄递，由商家 {merchant} 负责",
            f"The item was never shipped; merchant {merchant} answers for it",
        )
    tampered = [s for s, _ in weight_changes(chain, case.rules, losses_only=False)]
    broken = _first_broken_seal(chain)
    if broken is not None and broken not in tampered:
        tampered.append(broken)
    if tampered:
        blamed = [(*answerable(chain, s), 1.0) for s in tampered]
        parties = ", ".join(dict.fromkeys(party for party, _, _ in blamed))
        return attributed(
            blame_rule("goods.changed_in_custody", [role for _, role, _ in blamed]),
            blamed,
            [h for s in tampered for h in bounds(s)],
            f"保管期间重量变化超出误差或封签破损：{parties}",
            f"Weight changed beyond tolerance or the seal broke in custody: {parties}",
        )
    return attributed(
        "goods.merchant",
        [(chain.merchant, MERCHANT, 1.0)],
        _all_records(chain),
        f"寄递全程重量与封签无异常，由商家 {chain.merchant} 负责",
        f"Weight and seal held from dispatch on; merchant {chain.merchant} answers for the goods",
    )


def weight_changes(
    chain: CustodyChain, rules: RuleSet, *, losses_only: bool
) -> list[tuple[CustodySegment, int]]:
    """The segments whose closing record weighed beyond tolerance from their opening one, with
    the grams lost (or changed either way, when not `losses_only`)."""
    changes = []
    for segment in chain:
        if segment.end_weight_g is None:
            continue
        change = segment.start_weight_g - segment.end_weight_g
        if not losses_only:
            change = abs(change)
        if change > rules.weight_tolerance(segment.start_weight_g):
            changes.append((segment, change))
    return changes


def _weight_lost(
    chain: CustodyChain, losses: list[tuple[CustodySegment, int]], rule: str
) -> Finding:
    """Shares in proportion to the grams lost on each party's watch."""
    blamed = [(*answerable(chain, s), float(grams)) for s, grams in losses]
    detail = "; ".join(
        f"{party} −{grams} g" for (party, _, _), (_, grams) in zip(blamed, losses, strict=True)
    )
    return attributed(
        blame_rule(rule, [role for _, role, _ in blamed]),
        blamed,
        [h for s, _ in losses for h in bounds(s)],
        f"保管期间重量减少：{detail}",
        f"Weight lost in custody: {detail}",
    )


def _first_broken_seal(chain: CustodyChain) -> CustodySegment | None:
    for segment in chain:
        if segment.end_seal == "broken":
            return segment
    return None


def _all_records(chain: CustodyChain) -> tuple[str, ...]:
    return tuple(r.hash for r in chain.records)
