"""Responsibility back-tracing (责任倒查) of a delay: the promise split into a budget by leg and by
segment, and the delay shared by the segments that overran their budget.
"""

from __future__ import annotations

from datetime import timedelta

from tests.tracing.story import HUB, LAST_MILE, PICKUP, STRANGER, Story, at, expect, trace
from trace_service.tracing.attribution import RuleSet
from trace_service.tracing.custody import custody_segments
from trace_service.tracing.delay_budget import segment_budgets

# 延误 delayed — budget of a 100 h promise: first mile 20 h, line haul 50 h, last mile 30 h


def test_the_delay_budget_splits_the_promise_by_leg_then_by_segment() -> None:
    story = Story()
    story.dispatch(promised=100)
    story.handoff(PICKUP, HUB, 10, city="杭州")
    story.handoff(HUB, STRANGER, 30, city="南京")  # a second line-haul segment
    story.handoff(STRANGER, LAST_MILE, 60, city="上海")
    story.deliver(LAST_MILE, 90)

    budgets = segment_budgets(custody_segments(story.parcel_events), RuleSet())

    assert [(s.custodian, leg, hours) for s, leg, hours in budgets] == [
        ("pickup", "first_mile", timedelta(hours=20)),
        ("hub", "line_haul", timedelta(hours=25)),
        ("stranger", "line_haul", timedelta(hours=25)),
        ("lastmile", "last_mile", timedelta(hours=30)),
    ]


def test_a_leg_the_parcel_did_not_travel_hands_its_budget_to_the_others() -> None:
    story = Story()
    story.dispatch(promised=100)
    story.deliver(PICKUP, 120)  # same staff picks up and delivers: one first-mile segment

    budgets = segment_budgets(custody_segments(story.parcel_events), RuleSet())

    assert [(leg, hours) for _, leg, hours in budgets] == [("first_mile", timedelta(hours=100))]


def test_delay_is_shared_by_the_segments_that_overran_their_budget() -> None:
    story = Story()
    dispatch = story.dispatch(promised=100)
    to_hub = story.handoff(PICKUP, HUB, 10, city="杭州")  # pickup 10 h of 20: on time
    to_last = story.handoff(HUB, LAST_MILE, 75, city="上海")  # hub 65 h of 50: +15 h
    delivery = story.deliver(LAST_MILE, 130)  # lastmile 55 h of 30: +25 h
    complaint = story.complain("delayed", 131)

    expect(trace(story, complaint), "attributed", "delayed.segment_overrun",
           (dispatch, to_hub, to_last, delivery),
           (("hub", "custodian", 15 / 40), ("lastmile", "custodian", 25 / 40)))  # fmt: skip


def test_delay_of_an_undelivered_parcel_runs_to_now() -> None:
    story = Story()
    dispatch = story.dispatch(promised=100)
    complaint = story.complain("delayed", 105)

    expect(trace(story, complaint, now=at(110)), "attributed", "delayed.segment_overrun",
           (dispatch,), (("pickup", "custodian", 1.0),))  # fmt: skip


def test_delay_complaint_on_a_parcel_delivered_in_time_is_not_attributable() -> None:
    story = Story()
    dispatch = story.dispatch(promised=72)
    delivery = story.deliver(PICKUP, 70)
    complaint = story.complain("delayed", 71)

    expect(trace(story, complaint), "not_attributable", "delayed.promise_kept",
           (dispatch, delivery))  # fmt: skip


def test_delay_before_the_promised_time_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch(promised=72)
    complaint = story.complain("delayed", 30)

    expect(trace(story, complaint, now=at(31)), "undecided", "delayed.not_yet_due", (dispatch,))
