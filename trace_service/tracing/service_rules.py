"""Attribution rules about how the parcel was delivered and who handled the buyer's data.

Unauthorised sign-off or station drop (未经同意代签/投放), illegal fees (违规收费), service attitude
(服务态度), privacy leak (个人信息泄露) and the catch-all "other" (DESIGN §5, 责任倒查).
"""

from __future__ import annotations

from trace_service.tracing.rulebook import (
    DATA_READER,
    DELIVERING_STAFF,
    PICKUP_STAFF,
    Case,
    Finding,
    attributed,
    not_attributable,
    not_dispatched,
    undecided,
)


def unauthorised_signoff(case: Case) -> Finding:
    """未经同意代签、未经同意投放: the delivering staff, unless the delivery records the buyer's
    consent, or it was in person and the buyer's signed receipt soon after corroborates it."""
    chain = case.chain
    if chain is None:
        return not_dispatched(case)
    delivery = chain.delivery
    if delivery is None:
        return undecided(
            "signoff.not_delivered",
            (chain.dispatch.hash,),
            "包裹尚无投递记录",
            "The parcel has no delivery record",
        )
    deliverer = str(chain.deliverer)
    method = delivery.payload["method"]
    if delivery.payload["consent"] is True:
        return not_attributable(
            "signoff.consent_recorded",
            (delivery.hash,),
            f"投递记录载明收件人同意（{method}）",
            f"The delivery records the recipient's consent ({method})",
        )
    if method == "in_person":
        receipt = chain.receipt
        if (
            receipt is not None
            and receipt.time - delivery.time <= case.rules.in_person_receipt_within
        ):
            return not_attributable(
                "signoff.in_person_receipt",
                (delivery.hash, receipt.hash),
                "当面投递，且买家随即签名确认收货",
                "Delivered in person, and the buyer's signed receipt soon after confirms it",
            )
        return undecided(
            "signoff.in_person_disputed",
            (delivery.hash,),
            f"投递员 {deliverer} 记录为当面投递，买家未及时签收确认，双方各执一词",
            f"{deliverer} recorded an in-person delivery the buyer's receipt does not confirm",
        )
    return attributed(
        "signoff.delivering_staff",
        [(deliverer, DELIVERING_STAFF, 1.0)],
        (delivery.hash,),
        f"投递员 {deliverer} 未经同意以 {method} 方式投递",
        f"{deliverer} delivered by {method} without recorded consent",
    )


def delivery_conduct(case: Case) -> Finding:
    """违规收费、服务态度: the delivering staff; the pickup staff when the sending merchant
    complains (the merchant meets the pickup staff, not the delivering one)."""
    chain = case.chain
    if chain is None:
        return not_dispatched(case)
    signer = case.complaint.signers[0]
    if signer.kind == "merchant" and signer.party_id == chain.merchant:
        pickup = chain[0].custodian
        return attributed(
            "conduct.pickup_staff",
            [(pickup, PICKUP_STAFF, 1.0)],
            (chain.dispatch.hash,),
            f"寄件商家投诉揽收员 {pickup}",
            f"The sending merchant complains about pickup staff {pickup}",
        )
    delivery = chain.delivery
    if delivery is None:
        return undecided(
            "conduct.not_delivered",
            (chain.dispatch.hash,),
            "包裹尚无投递记录，无法确定投递员",
            "No delivery recorded; there is no delivering staff to answer",
        )
    deliverer = str(chain.deliverer)
    return attributed(
        "conduct.delivering_staff",
        [(deliverer, DELIVERING_STAFF, 1.0)],
        (delivery.hash,),
        f"由投递员 {deliverer} 负责",
        f"Delivering staff {deliverer} answers for it",
    )


def privacy_leak(case: Case) -> Finding:
    """个人信息泄露: shared equally among the parties whose reads of the buyer's personal data are
    logged before the complaint."""
    chain = case.chain
    evidence = () if chain is None else (chain.dispatch.hash,)
    readers = list(dict.fromkeys(r.party_id for r in case.reads if r.time <= case.complaint.time))
    if not readers:
        return undecided(
            "privacy.no_logged_reads",
            evidence,
            "没有记录到任何人读取收件人信息",
            "No read of the recipient's data is logged",
        )
    return attributed(
        "privacy.logged_readers",
        [(party, DATA_READER, 1.0) for party in readers],
        evidence,
        f"读取过收件人信息的各方平均分担：{', '.join(readers)}",
        f"Shared equally by the parties logged reading the recipient's data: {', '.join(readers)}",
    )


def other(case: Case) -> Finding:
    """其他: no rule applies; kept for a regulator to decide."""
    return undecided(
        "other.undecided", (), "无适用规则，待监管部门认定", "No rule applies; left to a regulator"
    )
