"""The attribution rules' versioned parameters and the shapes every rule works with (责任倒查).

Every parameter a rule consults lives in `RuleSet`; changing any of them is a new rules version,
and every attribution carries the version it was computed under, so anyone can recompute it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, NamedTuple

from trace_service.tracing.custody import CustodyChain, CustodySegment, LoggedEvent

# 2026.2: a "lost" complaint about an in-person delivery the buyer never signed for is the
# delivering staff's (lost.delivery_unconfirmed), no longer undecided.
RULES_VERSION = "2026.2"

Outcome = Literal["attributed", "not_attributable", "undecided"]
Leg = Literal["first_mile", "line_haul", "last_mile"]

# Roles a share names: why this party answers for the complaint.
MERCHANT = "merchant"
CUSTODIAN = "custodian"  # held the parcel when the fault happened
UNRECORDED_CUSTODIAN = "unrecorded_custodian"  # took custody without a recorded, confirmed handoff
DELIVERING_STAFF = "delivering_staff"
PICKUP_STAFF = "pickup_staff"
DATA_READER = "data_reader"


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The parameters of the attribution rules, under one version.

    Delay budget (延误时限分配): the promised duration (dispatch → promised_by) is split among the
    legs a parcel actually travelled — first mile (the pickup staff's holding), line haul (holdings
    that start outside the destination city) and last mile (holdings that start in the destination
    city, and the one the delivery closes) — in the proportions of `leg_budget`, renormalised over
    the legs present; each leg's share is split equally among its segments.
    """

    version: str = RULES_VERSION
    empty_parcel_below_g: int = 30  # 空包: a declared weight below this is an empty parcel
    weight_tolerance_g: int = 20  # scales differ: a change up to max(20 g, 5 %) is noise
    weight_tolerance_ratio: float = 0.05
    leg_budget: tuple[tuple[Leg, float], ...] = (
        ("first_mile", 0.2),
        ("line_haul", 0.5),
        ("last_mile", 0.3),
    )
    # A buyer's receipt this soon after an in-person delivery corroborates the hand-over.
    in_person_receipt_within: timedelta = timedelta(hours=2)
    # 异议: an attributed or listed party objects within this period of the finding; the
    # regulator's review is due within `review_period` of the objection (10 days, as the State
    # Post Bureau's review of objections to complaint findings).
    objection_period: timedelta = timedelta(days=15)
    review_period: timedelta = timedelta(days=10)

    def weight_tolerance(self, weight_g: int) -> float:
        """The largest change from `weight_g` that counts as scale noise, in grams."""
        return max(float(self.weight_tolerance_g), self.weight_tolerance_ratio * weight_g)


DEFAULT_RULES = RuleSet()


class Share(NamedTuple):
    """One party's part of an attribution."""

    party_id: str
    role: str
    share: float


class DataRead(NamedTuple):
    """A logged read of the buyer's personal data (DESIGN §7): who and when."""

    party_id: str
    time: datetime


@dataclass(frozen=True, slots=True)
class Case:
    """Everything a rule may consult about one complaint, already cut off at `now`."""

    complaint: LoggedEvent
    category: str
    chain: CustodyChain | None  # None when the complained item was never dispatched
    merchant: str | None
    merchant_records: tuple[str, ...]  # the merchant's listing and sale hashes, without a chain
    reads: tuple[DataRead, ...]
    now: datetime
    rules: RuleSet


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule concludes, before the complaint's own facts are added to it."""

    outcome: Outcome
    rule: str
    evidence: tuple[str, ...]
    zh: str
    en: str
    shares: tuple[Share, ...] = ()


def attributed(
    rule: str, blamed: Iterable[tuple[str, str, float]], evidence: Iterable[str], zh: str, en: str
) -> Finding:
    """An attributed finding: weights per (party, role) are summed, then scaled to sum to 1.

    Raises ValueError when no party carries a positive weight.
    """
    weights: dict[tuple[str, str], float] = {}
    for party, role, weight in blamed:
        if weight > 0:
            weights[(party, role)] = weights.get((party, role), 0.0) + weight
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(f"rule {rule} attributed nobody")
    shares = tuple(Share(party, role, w / total) for (party, role), w in weights.items())
    return Finding("attributed", rule, _unique(evidence), zh, en, shares)


def undecided(rule: str, evidence: Iterable[str], zh: str, en: str) -> Finding:
    """The evidence does not settle who is at fault; kept for audit with weight 0."""
    return Finding("undecided", rule, _unique(evidence), zh, en)


def not_attributable(rule: str, evidence: Iterable[str], zh: str, en: str) -> Finding:
    """The records show no fault of any party in the chain."""
    return Finding("not_attributable", rule, _unique(evidence), zh, en)


def not_dispatched(case: Case) -> Finding:
    """For rules about custody, when the complained item never entered a parcel."""
    return undecided(
        "chain.not_dispatched",
        case.merchant_records,
        "该商品没有寄递记录，无法倒查保管责任",
        "The item was never dispatched; there is no custody to trace",
    )


def bounds(segment: CustodySegment) -> tuple[str, ...]:
    """The hashes of the records that open and close a segment."""
    closing = () if segment.closed_by is None else (segment.closed_by,)
    return _unique((segment.opened_by, *closing))


def answerable(chain: CustodyChain, segment: CustodySegment) -> tuple[str, str]:
    """Who answers for what happened within `segment`, and in what role.

    Its custodian — unless custody passed through a gap there: a gap answers for itself, and a
    segment closed by an unconfirmed transfer is answered for by the party that took custody
    without the giver's confirmation (gap.unrecorded_custody).
    """
    if segment.kind == "gap":
        return segment.custodian, UNRECORDED_CUSTODIAN
    for gap in chain.gaps:
        if segment.closed_by is not None and gap.closed_by == segment.closed_by:
            return gap.custodian, UNRECORDED_CUSTODIAN
    return segment.custodian, CUSTODIAN


def blame_rule(rule: str, roles: Iterable[str]) -> str:
    """`rule`, or the gap rule when every party blamed answers for a gap in the chain."""
    roles = set(roles)
    return "gap.unrecorded_custody" if roles == {UNRECORDED_CUSTODIAN} else rule


def who(shares: Iterable[tuple[str, float]]) -> str:
    """'A 60%, B 40%' for an explanation."""
    return ", ".join(f"{party} {share:.0%}" for party, share in shares)


def _unique(hashes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(hashes))
