"""Delay (延误): each custody segment's time budget and the rule that shares a missed promise.

The budget model is `RuleSet.leg_budget` (see its docstring): the promised duration is split by
leg (first mile, line haul, last mile) over the legs the parcel travelled, then equally among the
segments of a leg. When the promise is missed, the segments that held the parcel longer than their
budget share the fault in proportion to their overrun; the overruns always add up to at least the
lateness, since the segments tile the time from dispatch to delivery (or now).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from trace_service.tracing.custody import CustodyChain, CustodySegment
from trace_service.tracing.rulebook import (
    Case,
    Finding,
    Leg,
    RuleSet,
    answerable,
    attributed,
    blame_rule,
    bounds,
    not_attributable,
    not_dispatched,
    undecided,
)


def leg(chain: CustodyChain, segment: CustodySegment) -> Leg:
    """Which leg of the journey a segment is: by its place in the chain, then by its city."""
    if segment.opened_by == chain.dispatch.hash:
        return "first_mile"
    if chain.delivery is not None and segment.closed_by == chain.delivery.hash:
        return "last_mile"
    if segment.start_city == chain.destination_city:
        return "last_mile"
    return "line_haul"


def timed_segments(chain: CustodyChain) -> list[CustodySegment]:
    """The segments that tile the parcel's time in custody, in order.

    Left out: unconfirmed-transfer markers (an instant) and holdings that no record closed (their
    time belongs to the unrecorded-custody gap that follows them).
    """
    return [
        s
        for s in chain
        if s.gap_reason != "unconfirmed_transfer"
        and not (s.closed_by is None and s.end is not None)
    ]


def segment_budgets(
    chain: CustodyChain, rules: RuleSet
) -> list[tuple[CustodySegment, Leg, timedelta]]:
    """Each timed segment with its leg and its share of the promised duration."""
    segments = timed_segments(chain)
    legs = [leg(chain, s) for s in segments]
    proportions = dict(rules.leg_budget)
    per_leg = Counter(legs)
    present = sum(proportions[name] for name in per_leg)
    promised = chain.promised_by - chain.dispatch.time
    return [
        (segment, name, promised * (proportions[name] / present / per_leg[name]))
        for segment, name in zip(segments, legs, strict=True)
    ]


def overruns(
    chain: CustodyChain, rules: RuleSet, now: datetime
) -> list[tuple[CustodySegment, Leg, timedelta]]:
    """The segments that held the parcel longer than their budget, with by how much."""
    late = []
    for segment, name, budget in segment_budgets(chain, rules):
        over = ((segment.end or now) - segment.start) - budget
        if over > timedelta(0):
            late.append((segment, name, over))
    return late


def delayed(case: Case) -> Finding:
    """延误: when the promised time is missed, the segments that overran their time budget,
    shared in proportion to the overrun."""
    chain = case.chain
    if chain is None:
        return not_dispatched(case)
    delivery = chain.delivery
    finished = case.now if delivery is None else delivery.time
    if finished <= chain.promised_by:
        if delivery is None:
            return undecided(
                "delayed.not_yet_due",
                (chain.dispatch.hash,),
                "尚未到承诺送达时间",
                "The promised delivery time has not passed yet",
            )
        return not_attributable(
            "delayed.promise_kept",
            (chain.dispatch.hash, delivery.hash),
            "已在承诺时间内投递",
            "Delivered within the promised time",
        )
    late = overruns(chain, case.rules, case.now)
    blamed = [(*answerable(chain, s), over.total_seconds()) for s, _, over in late]
    detail = "; ".join(
        f"{party} ({name}) +{over.total_seconds() / 3600:.1f} h"
        for (party, _, _), (_, name, over) in zip(blamed, late, strict=True)
    )
    hours_late = (finished - chain.promised_by).total_seconds() / 3600
    closing = () if delivery is None else (delivery.hash,)
    return attributed(
        blame_rule("delayed.segment_overrun", [role for _, role, _ in blamed]),
        blamed,
        [chain.dispatch.hash, *(h for s, _, _ in late for h in bounds(s)), *closing],
        f"超出承诺时间 {hours_late:.1f} 小时；超出时段预算：{detail}",
        f"{hours_late:.1f} h past the promise; segments over budget: {detail}",
    )
