"""Responsibility back-tracing (责任倒查): a complaint traced along its parcel's custody chain.

`attribute_complaint` picks the rule family of the complaint's category and returns an
`Attribution`: attributed (shares summing to 1), not attributable, or undecided (weight 0, kept for
audit); with the rule applied, the rules version and the event hashes it rests on, so anyone
holding the log can recompute it. Rules are pure functions of the events, the logged personal-data
reads and "now"; their parameters are `RuleSet` (version `RULES_VERSION`).

Rule families, by complaint category (who answers):

- lost, short — `lost_or_short` (丢失短少): undelivered past the promise, the last custodian;
  delivered, those on whose watch weight was lost (by grams); lost after a drop without consent,
  or after an in-person delivery the buyer never signed for, the delivering staff.
- damaged — `damaged` (损毁): the custodian between the last intact and the first damaged record;
  damage first noted in the buyer's receipt, the delivering staff.
- delayed — `delayed` (延误): the segments over their time budget, by overrun.
- unauthorised_signoff, station_drop — `unauthorised_signoff` (未经同意代签/投放): the delivering
  staff, unless consent is recorded or a prompt receipt confirms an in-person delivery.
- empty_parcel — `empty_parcel` (空包): a declared weight under the threshold, the merchant (刷单);
  else those on whose watch weight was lost.
- wrong_item, counterfeit, not_as_described — `goods` (图物不符、假冒伪劣): the merchant, unless
  weight or seal changed in custody.
- privacy_leak — `privacy_leak` (个人信息泄露): the parties logged reading the recipient's data.
- illegal_fee, service_attitude — `delivery_conduct` (违规收费、服务态度): the delivering staff (the
  pickup staff when the merchant complains).
- other: undecided.

Wherever the blamed segment passed through a gap in the chain, the party that took custody
without a recorded, confirmed handoff answers instead (`gap.unrecorded_custody`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from trace_service.errors import DomainError
from trace_service.ledger.envelope import decode_b64, key_id
from trace_service.ledger.records import subject_kind
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.custody import LoggedEvent, custody_segments
from trace_service.tracing.custody_rules import damaged, empty_parcel, goods, lost_or_short
from trace_service.tracing.delay_budget import delayed
from trace_service.tracing.rulebook import (
    DEFAULT_RULES,
    RULES_VERSION,
    Case,
    DataRead,
    Finding,
    Outcome,
    RuleSet,
    Share,
)
from trace_service.tracing.service_rules import (
    delivery_conduct,
    other,
    privacy_leak,
    unauthorised_signoff,
)

__all__ = [
    "DEFAULT_RULES",
    "RULES_BY_CATEGORY",
    "RULES_VERSION",
    "Attribution",
    "CannotAttribute",
    "DataRead",
    "RuleSet",
    "Share",
    "attribute_complaint",
]

Rule = Callable[[Case], Finding]

RULES_BY_CATEGORY: Mapping[str, Rule] = MappingProxyType(
    {
        "lost": lost_or_short,  # 丢失
        "short": lost_or_short,  # 短少
        "damaged": damaged,  # 损毁
        "delayed": delayed,  # 延误
        "unauthorised_signoff": unauthorised_signoff,  # 未经同意代签
        "station_drop": unauthorised_signoff,  # 未经同意投放驿站/快递柜
        "empty_parcel": empty_parcel,  # 空包
        "wrong_item": goods,  # 图物不符
        "counterfeit": goods,  # 假冒伪劣
        "not_as_described": goods,  # 与描述不符
        "privacy_leak": privacy_leak,  # 个人信息泄露
        "illegal_fee": delivery_conduct,  # 违规收费
        "service_attitude": delivery_conduct,  # 服务态度
        "other": other,
    }
)


class CannotAttribute(DomainError):
    code = "cannot_attribute"
    status = 422
    title = "The complaint cannot be traced with the events given"


@dataclass(frozen=True, slots=True)
class Attribution:
    """The outcome of tracing one complaint back (责任倒查), re-checkable from its evidence.

    `verified_purchase` is true when the complaint is signed by the buyer key a sale named for the
    complained item (for a parcel: for one of its items). Other complaints (merchants, platforms,
    regulators, anyone else) are attributed just the same; the rating method decides their weight.
    """

    complaint: str
    category: str
    outcome: Outcome
    shares: tuple[Share, ...]
    rule: str
    rules_version: str
    evidence: tuple[str, ...]
    explanation_zh: str
    explanation_en: str
    verified_purchase: bool

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, e.g. for the service to sign and log."""
        return {
            "complaint": self.complaint,
            "category": self.category,
            "outcome": self.outcome,
            "shares": [
                {"party": s.party_id, "role": s.role, "share": s.share} for s in self.shares
            ],
            "rule": self.rule,
            "rules_version": self.rules_version,
            "evidence": list(self.evidence),
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "verified_purchase": self.verified_purchase,
        }


def attribute_complaint(
    complaint: LoggedEvent,
    parcel_events: Sequence[LoggedEvent],
    item_events: Sequence[LoggedEvent],
    now: datetime,
    *,
    reads: Sequence[DataRead] = (),
    rules: RuleSet = DEFAULT_RULES,
) -> Attribution:
    """Trace `complaint` back along its parcel's custody chain as of `now` (责任倒查).

    `parcel_events` are the events of the parcel the complained parcel or item travelled in
    (empty if it was never dispatched), `item_events` those of its items (their sales identify a
    verified purchase), `reads` the logged reads of the recipient's personal data. Events dated
    after `now` are not considered, so a past attribution can be recomputed.

    Raises CannotAttribute when the complaint is not a complaint event, is dated after `now`, has
    an unknown category, or is about a subject the events do not cover; BrokenCustodyChain when
    `parcel_events` are not one parcel's custody chain; MalformedEnvelope for a sale whose
    buyer_key is not a key (which a verified log never holds).
    """
    if complaint.type != "complaint":
        raise CannotAttribute(f"{complaint.hash} is a {complaint.type}, not a complaint")
    if complaint.time > now:
        raise CannotAttribute(f"complaint {complaint.hash} is dated after {format_time(now)}")
    category = str(complaint.payload.get("category"))
    rule = RULES_BY_CATEGORY.get(category)
    if rule is None:
        raise CannotAttribute(f"no attribution rule for complaint category {category!r}")
    known = [e for e in parcel_events if e.time <= now]
    chain = custody_segments(known) if known else None
    subject = complaint.subject
    if chain is not None and subject not in (chain.subject, *chain.items):
        raise CannotAttribute(f"{subject} did not travel in parcel {chain.subject}")
    if chain is None and subject_kind(subject) != "item":
        raise CannotAttribute(f"no dispatch of parcel {subject} is given")
    items = chain.items if chain is not None else (subject,)
    own = [e for e in item_events if e.time <= now and e.subject in items]
    merchant, merchant_records = _merchant(own, subject)
    bought = [e for e in own if subject_kind(subject) != "item" or e.subject == subject]
    if chain is None and merchant is None:
        raise CannotAttribute(f"{subject} has no listing or sale among the events given")
    case = Case(
        complaint=complaint,
        category=category,
        chain=chain,
        merchant=chain.merchant if chain is not None else merchant,
        merchant_records=merchant_records,
        reads=tuple(r for r in reads if r.time <= now),
        now=now,
        rules=rules,
    )
    finding = rule(case)
    return Attribution(
        complaint=complaint.hash,
        category=category,
        outcome=finding.outcome,
        shares=finding.shares,
        rule=finding.rule,
        rules_version=rules.version,
        evidence=finding.evidence,
        explanation_zh=finding.zh,
        explanation_en=finding.en,
        verified_purchase=_verified_purchase(complaint, bought),
    )


def _merchant(item_events: list[LoggedEvent], subject: str) -> tuple[str | None, tuple[str, ...]]:
    """The merchant who listed and sold `subject`, and the hashes of those records."""
    records = [e for e in item_events if e.subject == subject and e.type in ("listing", "sale")]
    merchants = [s.party_id for e in records for s in e.signers if s.kind == "merchant"]
    return (merchants[-1] if merchants else None), tuple(e.hash for e in records)


def _verified_purchase(complaint: LoggedEvent, item_events: list[LoggedEvent]) -> bool:
    """Signed by the buyer key that a sale among `item_events`, before the complaint, named."""
    if len(complaint.signers) != 1 or not complaint.signers[0].is_buyer_key:
        return False
    buyers = {
        key_id(decode_b64(e.payload["buyer_key"], length=32, what="buyer_key"))
        for e in item_events
        if e.type == "sale" and e.time <= complaint.time
    }
    return complaint.signers[0].keyid in buyers
