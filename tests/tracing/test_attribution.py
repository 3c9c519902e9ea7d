"""Responsibility back-tracing (责任倒查): each attribution rule as a worked, hand-checked case.

Every parcel leaves 杭州 for 上海 at hour 0, declared at 800 g and promised within 72 h unless the
story says otherwise; pickup, hub and lastmile work for one courier company (sto), partner for
another (yto). Weight tolerance is max(20 g, 5 %): 40 g at 800 g.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.tracing.test_custody import (
    BUYER,
    HUB,
    ITEM,
    ITEM_2,
    LAST_MILE,
    PARTNER,
    PICKUP,
    PLATFORM,
    SHOP,
    STRANGER,
    Story,
    at,
)
from trace_service.ledger.transitions import Signer
from trace_service.lifecycle.payloads import COMPLAINT_CATEGORIES
from trace_service.tracing.attribution import (
    RULES_BY_CATEGORY,
    RULES_VERSION,
    Attribution,
    CannotAttribute,
    DataRead,
    RuleSet,
    attribute_complaint,
)
from trace_service.tracing.custody import LoggedEvent, custody_segments
from trace_service.tracing.delay_budget import segment_budgets

NOW = at(200)


def trace(
    story: Story, complaint: LoggedEvent, now: datetime = NOW, reads: tuple[DataRead, ...] = ()
) -> Attribution:
    return attribute_complaint(complaint, story.parcel_events, story.item_events, now, reads=reads)


def expect(
    attribution: Attribution,
    outcome: str,
    rule: str,
    evidence: tuple[LoggedEvent, ...],
    shares: tuple[tuple[str, str, float], ...] = (),
) -> None:
    """The attribution has this outcome, rule, evidence and shares (party, role, share)."""
    assert (attribution.outcome, attribution.rule) == (outcome, rule)
    assert attribution.evidence == tuple(e.hash for e in evidence)
    assert [(s.party_id, s.role) for s in attribution.shares] == [(p, r) for p, r, _ in shares]
    assert [s.share for s in attribution.shares] == pytest.approx([s for _, _, s in shares])
    if outcome == "attributed":
        assert sum(s.share for s in attribution.shares) == pytest.approx(1.0)
    assert attribution.rules_version == RULES_VERSION == "2026.2"
    assert attribution.explanation_zh and attribution.explanation_en


def test_every_complaint_category_has_a_rule() -> None:
    assert set(RULES_BY_CATEGORY) == set(COMPLAINT_CATEGORIES)


# 丢失短少 lost / short


def test_lost_overdue_parcel_is_the_last_custodian_with_no_onward_record() -> None:
    story = Story()
    story.dispatch(promised=72)
    story.handoff(PICKUP, HUB, 10)
    to_last = story.handoff(HUB, LAST_MILE, 40)
    complaint = story.complain("lost", 80)

    expect(trace(story, complaint), "attributed", "lost.last_custodian", (to_last,),
           (("lastmile", "custodian", 1.0),))  # fmt: skip


def test_lost_parcel_never_handed_off_is_the_pickup_staff() -> None:
    story = Story()
    dispatch = story.dispatch(promised=72)
    complaint = story.complain("lost", 80)

    expect(trace(story, complaint), "attributed", "lost.last_custodian", (dispatch,),
           (("pickup", "custodian", 1.0),))  # fmt: skip


def test_lost_is_not_decided_while_the_parcel_is_still_within_its_promise() -> None:
    story = Story()
    dispatch = story.dispatch(promised=72)
    complaint = story.complain("lost", 5)

    expect(trace(story, complaint, now=at(6)), "undecided", "lost.not_yet_due", (dispatch,))


def test_short_weight_lost_across_two_handoffs_is_shared_by_grams() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    to_hub = story.handoff(PICKUP, HUB, 10, weight=700)  # pickup's watch: −100 g
    to_last = story.handoff(HUB, LAST_MILE, 40, weight=700)  # hub's watch: nothing lost
    delivery = story.deliver(LAST_MILE, 50, weight=400)  # lastmile's watch: −300 g
    complaint = story.complain("short", 60)

    expect(trace(story, complaint), "attributed", "lost.weight_lost_in_custody",
           (dispatch, to_hub, to_last, delivery),
           (("pickup", "custodian", 0.25), ("lastmile", "custodian", 0.75)))  # fmt: skip


def test_short_delivered_at_full_weight_within_tolerance_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    to_hub = story.handoff(PICKUP, HUB, 10, weight=770)  # −30 g: inside the 40 g tolerance
    delivery = story.deliver(HUB, 50, weight=770)
    complaint = story.complain("short", 60)

    expect(trace(story, complaint), "undecided", "lost.delivered_full_weight",
           (dispatch, to_hub, delivery))  # fmt: skip


def test_lost_after_a_locker_drop_without_consent_and_no_receipt_is_the_delivering_staff() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, LAST_MILE, 10)
    delivery = story.deliver(LAST_MILE, 50, method="locker", consent=False)
    complaint = story.complain("lost", 60)

    expect(trace(story, complaint), "attributed", "lost.unconsented_drop", (delivery,),
           (("lastmile", "delivering_staff", 1.0),))  # fmt: skip


def test_lost_after_an_in_person_delivery_never_signed_for_is_the_delivering_staff() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, LAST_MILE, 10)
    delivery = story.deliver(LAST_MILE, 50, method="in_person")
    complaint = story.complain("lost", 60)

    expect(trace(story, complaint), "attributed", "lost.delivery_unconfirmed", (delivery,),
           (("lastmile", "delivering_staff", 1.0),))  # fmt: skip


def test_lost_after_an_in_person_delivery_the_buyer_signed_for_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch()
    delivery = story.deliver(PICKUP, 50, method="in_person")
    story.receive(51)
    complaint = story.complain("lost", 60)

    expect(trace(story, complaint), "undecided", "lost.delivered_full_weight",
           (dispatch, delivery))  # fmt: skip


def test_lost_after_a_consented_locker_drop_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch()
    delivery = story.deliver(PICKUP, 50, method="locker", consent=True)
    complaint = story.complain("lost", 60)

    expect(trace(story, complaint), "undecided", "lost.delivered_full_weight",
           (dispatch, delivery))  # fmt: skip


def test_an_attribution_is_recomputed_as_of_a_given_time() -> None:
    story = Story()
    story.dispatch(promised=72)
    to_hub = story.handoff(PICKUP, HUB, 10)
    complaint = story.complain("lost", 80)
    story.deliver(HUB, 90)  # found and delivered after the complaint

    assert trace(story, complaint, now=at(85)).rule == "lost.last_custodian"
    assert trace(story, complaint, now=at(85)).evidence == (to_hub.hash,)
    assert trace(story, complaint, now=at(95)).rule == "lost.delivered_full_weight"


# 损毁 damaged


def test_damage_noted_at_acceptance_is_the_givers() -> None:
    story = Story()
    dispatch = story.dispatch()
    to_hub = story.handoff(PICKUP, HUB, 10, condition="damaged")
    story.handoff(HUB, LAST_MILE, 40, condition="damaged")
    complaint = story.complain("damaged", 60)

    expect(trace(story, complaint), "attributed", "damaged.last_intact_custodian",
           (dispatch, to_hub), (("pickup", "custodian", 1.0),))  # fmt: skip


def test_accepting_custody_without_noting_damage_takes_responsibility_for_it() -> None:
    story = Story()
    story.dispatch()
    to_hub = story.handoff(PICKUP, HUB, 10)  # the hub accepted it intact
    to_last = story.handoff(HUB, LAST_MILE, 40, condition="damaged")
    story.deliver(LAST_MILE, 50, condition="damaged")
    complaint = story.complain("damaged", 60)

    expect(trace(story, complaint), "attributed", "damaged.last_intact_custodian",
           (to_hub, to_last), (("hub", "custodian", 1.0),))  # fmt: skip


def test_damage_first_recorded_by_the_delivering_staff_is_theirs() -> None:
    story = Story()
    story.dispatch()
    to_last = story.handoff(PICKUP, LAST_MILE, 10)
    delivery = story.deliver(LAST_MILE, 50, condition="damaged")
    complaint = story.complain("damaged", 60)

    expect(trace(story, complaint), "attributed", "damaged.last_intact_custodian",
           (to_last, delivery), (("lastmile", "custodian", 1.0),))  # fmt: skip


def test_damage_only_in_the_buyers_receipt_is_the_delivering_staffs() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, LAST_MILE, 10)
    delivery = story.deliver(LAST_MILE, 50)  # "intact": the deliverer's own word
    receipt = story.receive(51, condition="damaged")
    complaint = story.complain("damaged", 52)

    expect(trace(story, complaint), "attributed", "damaged.noted_at_receipt",
           (delivery, receipt), (("lastmile", "delivering_staff", 1.0),))  # fmt: skip


def test_damage_found_after_a_consented_station_drop_is_undecided() -> None:
    story = Story()
    story.dispatch()
    delivery = story.deliver(PICKUP, 50, method="station", consent=True)
    receipt = story.receive(70, condition="damaged")
    complaint = story.complain("damaged", 71)

    expect(trace(story, complaint), "undecided", "damaged.after_consented_drop",
           (delivery, receipt))  # fmt: skip


def test_damage_no_record_notes_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch()
    delivery = story.deliver(PICKUP, 50)
    receipt = story.receive(51)
    complaint = story.complain("damaged", 52)

    expect(trace(story, complaint), "undecided", "damaged.not_recorded",
           (dispatch, delivery, receipt))  # fmt: skip


def test_damage_noted_at_an_unconfirmed_transfer_is_the_receivers_gap() -> None:
    story = Story()
    dispatch = story.dispatch()
    to_partner = story.handoff(PICKUP, PARTNER, 10, condition="damaged")  # pickup never signed
    complaint = story.complain("damaged", 60)

    expect(trace(story, complaint), "attributed", "gap.unrecorded_custody",
           (dispatch, to_partner), (("partner", "unrecorded_custodian", 1.0),))  # fmt: skip


def test_damage_noted_at_a_countersigned_transfer_is_the_givers() -> None:
    story = Story()
    dispatch = story.dispatch()
    to_partner = story.handoff(PICKUP, PARTNER, 10, condition="damaged", countersigned=True)
    complaint = story.complain("damaged", 60)

    expect(trace(story, complaint), "attributed", "damaged.last_intact_custodian",
           (dispatch, to_partner), (("pickup", "custodian", 1.0),))  # fmt: skip


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


# 未经同意代签 / 投放 unauthorised sign-off, station drop


def test_station_drop_without_consent_is_the_delivering_staffs() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, LAST_MILE, 10)
    delivery = story.deliver(LAST_MILE, 50, method="station", consent=False)
    complaint = story.complain("station_drop", 52)

    expect(trace(story, complaint), "attributed", "signoff.delivering_staff", (delivery,),
           (("lastmile", "delivering_staff", 1.0),))  # fmt: skip


def test_signoff_by_a_proxy_with_recorded_consent_is_not_attributable() -> None:
    story = Story()
    story.dispatch()
    delivery = story.deliver(PICKUP, 50, method="proxy", consent=True)
    complaint = story.complain("unauthorised_signoff", 52)

    expect(trace(story, complaint), "not_attributable", "signoff.consent_recorded", (delivery,))


def test_in_person_delivery_the_buyer_signed_for_promptly_is_not_attributable() -> None:
    story = Story()
    story.dispatch()
    delivery = story.deliver(PICKUP, 50, method="in_person")
    receipt = story.receive(51)
    complaint = story.complain("unauthorised_signoff", 60)

    expect(trace(story, complaint), "not_attributable", "signoff.in_person_receipt",
           (delivery, receipt))  # fmt: skip


def test_in_person_delivery_without_a_prompt_receipt_is_word_against_word() -> None:
    story = Story()
    story.dispatch()
    delivery = story.deliver(PICKUP, 50, method="in_person")
    story.receive(60)  # ten hours later: does not corroborate a hand-over
    complaint = story.complain("unauthorised_signoff", 61)

    expect(trace(story, complaint), "undecided", "signoff.in_person_disputed", (delivery,))


def test_signoff_complaint_before_any_delivery_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch()
    complaint = story.complain("station_drop", 10)

    expect(trace(story, complaint), "undecided", "signoff.not_delivered", (dispatch,))


# 空包 empty parcel


def test_empty_parcel_declared_near_zero_is_the_merchants_fake_order() -> None:
    story = Story()
    dispatch = story.dispatch(weight=12)
    story.deliver(PICKUP, 50, weight=12)
    complaint = story.complain("empty_parcel", 52)

    expect(trace(story, complaint), "attributed", "empty.declared_empty", (dispatch,),
           (("shop", "merchant", 1.0),))  # fmt: skip


def test_empty_parcel_whose_weight_vanished_in_custody_is_that_custodians() -> None:
    story = Story()
    story.dispatch(weight=800)
    to_hub = story.handoff(PICKUP, HUB, 10, weight=800)
    to_last = story.handoff(HUB, LAST_MILE, 40, weight=60)
    story.deliver(LAST_MILE, 50, weight=60)
    complaint = story.complain("empty_parcel", 52)

    expect(trace(story, complaint), "attributed", "empty.weight_lost_in_custody",
           (to_hub, to_last), (("hub", "custodian", 1.0),))  # fmt: skip


def test_empty_parcel_that_weighed_its_declared_weight_throughout_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    delivery = story.deliver(PICKUP, 50, weight=800)
    complaint = story.complain("empty_parcel", 52)

    expect(trace(story, complaint), "undecided", "empty.no_weight_loss", (dispatch, delivery))


def test_the_empty_parcel_threshold_is_a_versioned_parameter() -> None:
    story = Story()
    story.dispatch(weight=40)
    complaint = story.complain("empty_parcel", 52)
    stricter = RuleSet(version="2026.1-test", empty_parcel_below_g=50)

    attribution = attribute_complaint(complaint, story.parcel_events, [], NOW, rules=stricter)

    assert (attribution.rule, attribution.rules_version) == ("empty.declared_empty", "2026.1-test")
    assert trace(story, complaint).rule == "empty.no_weight_loss"


# 图物不符、假冒伪劣 wrong item, counterfeit, not as described


def test_counterfeit_with_weight_and_seal_unchanged_is_the_merchants() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    to_hub = story.handoff(PICKUP, HUB, 10, weight=790, seal="intact")
    delivery = story.deliver(HUB, 50, weight=795)
    complaint = story.complain("counterfeit", 52)

    expect(trace(story, complaint), "attributed", "goods.merchant", (dispatch, to_hub, delivery),
           (("shop", "merchant", 1.0),))  # fmt: skip


def test_wrong_item_whose_weight_changed_in_custody_is_that_custodians() -> None:
    story = Story()
    story.dispatch(weight=800)
    to_hub = story.handoff(PICKUP, HUB, 10, weight=800)
    to_last = story.handoff(HUB, LAST_MILE, 40, weight=1200)  # swapped for something heavier
    story.deliver(LAST_MILE, 50, weight=1200)
    complaint = story.complain("wrong_item", 52)

    expect(trace(story, complaint), "attributed", "goods.changed_in_custody", (to_hub, to_last),
           (("hub", "custodian", 1.0),))  # fmt: skip


def test_not_as_described_after_a_seal_recorded_broken_is_that_custodians() -> None:
    story = Story()
    story.dispatch()
    to_hub = story.handoff(PICKUP, HUB, 10, seal="intact")
    to_last = story.handoff(HUB, LAST_MILE, 40, seal="broken")
    story.deliver(LAST_MILE, 50)
    complaint = story.complain("not_as_described", 52)

    expect(trace(story, complaint), "attributed", "goods.changed_in_custody", (to_hub, to_last),
           (("hub", "custodian", 1.0),))  # fmt: skip


def test_one_of_several_items_is_traced_through_the_parcel_it_travelled_in() -> None:
    story = Story(items=(ITEM, ITEM_2))
    story.sell(ITEM, buyer_key=bytes(32))  # someone else bought the first item
    story.sell(ITEM_2)
    dispatch = story.dispatch(weight=1600)
    delivery = story.deliver(PICKUP, 50, weight=1600)
    complaint = story.complain("wrong_item", 52, subject=ITEM_2)

    attribution = trace(story, complaint)

    expect(attribution, "attributed", "goods.merchant", (dispatch, delivery),
           (("shop", "merchant", 1.0),))  # fmt: skip
    assert attribution.verified_purchase is True
    not_theirs = story.complain("wrong_item", 53, subject=ITEM)
    assert trace(story, not_theirs).verified_purchase is False


def test_an_item_never_dispatched_is_the_merchants_on_its_listing_and_sale() -> None:
    story = Story()
    listing, sale = story.sell()
    complaint = story.complain("counterfeit", 0, subject=ITEM)

    attribution = attribute_complaint(complaint, [], story.item_events, NOW)

    expect(attribution, "attributed", "goods.merchant", (listing, sale),
           (("shop", "merchant", 1.0),))  # fmt: skip


def test_a_custody_complaint_on_an_item_never_dispatched_is_undecided() -> None:
    story = Story()
    listing, sale = story.sell()
    complaint = story.complain("lost", 0, subject=ITEM)

    attribution = attribute_complaint(complaint, [], story.item_events, NOW)

    expect(attribution, "undecided", "chain.not_dispatched", (listing, sale))


# 个人信息泄露 privacy leak


def test_privacy_leak_is_shared_by_the_parties_logged_reading_the_data_before_it() -> None:
    story = Story()
    dispatch = story.dispatch()
    complaint = story.complain("privacy_leak", 60)
    reads = (
        DataRead("pickup", at(1)),
        DataRead("lastmile", at(45)),
        DataRead("lastmile", at(46)),  # reading twice does not double the share
        DataRead("regulator", at(70)),  # after the complaint: not a suspect
    )

    expect(
        trace(story, complaint, reads=reads),
        "attributed",
        "privacy.logged_readers",
        (dispatch,),
        (("pickup", "data_reader", 0.5), ("lastmile", "data_reader", 0.5)),
    )


def test_privacy_leak_with_no_logged_read_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch()
    complaint = story.complain("privacy_leak", 60)

    expect(trace(story, complaint), "undecided", "privacy.no_logged_reads", (dispatch,))


# 违规收费、服务态度 illegal fee, service attitude


def test_illegal_fee_is_the_delivering_staffs() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, LAST_MILE, 10)
    delivery = story.deliver(LAST_MILE, 50)
    complaint = story.complain("illegal_fee", 52)

    expect(trace(story, complaint), "attributed", "conduct.delivering_staff", (delivery,),
           (("lastmile", "delivering_staff", 1.0),))  # fmt: skip


def test_service_attitude_before_any_delivery_is_undecided() -> None:
    story = Story()
    dispatch = story.dispatch()
    complaint = story.complain("service_attitude", 10)

    expect(trace(story, complaint), "undecided", "conduct.not_delivered", (dispatch,))


def test_the_sending_merchants_fee_complaint_is_about_the_pickup_staff() -> None:
    story = Story()
    dispatch = story.dispatch()
    story.handoff(PICKUP, LAST_MILE, 10)
    story.deliver(LAST_MILE, 50)
    complaint = story.complain("illegal_fee", 52, by=SHOP)

    expect(trace(story, complaint), "attributed", "conduct.pickup_staff", (dispatch,),
           (("pickup", "pickup_staff", 1.0),))  # fmt: skip


def test_other_complaints_are_left_undecided() -> None:
    story = Story()
    story.dispatch()
    complaint = story.complain("other", 10)

    expect(trace(story, complaint), "undecided", "other.undecided", ())


# Gaps in the chain: the party that took custody without recording it answers


def test_weight_lost_in_unrecorded_custody_is_the_fault_of_the_party_that_took_it() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    revealed = story.handoff(STRANGER, LAST_MILE, 30, weight=500)  # stranger never accepted it
    story.deliver(LAST_MILE, 50, weight=500)
    complaint = story.complain("short", 52)

    expect(trace(story, complaint), "attributed", "gap.unrecorded_custody", (dispatch, revealed),
           (("stranger", "unrecorded_custodian", 1.0),))  # fmt: skip


def test_weight_lost_at_an_unconfirmed_transfer_is_the_receivers() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    to_partner = story.handoff(PICKUP, PARTNER, 10, weight=600)
    story.deliver(PARTNER, 50, weight=600)
    complaint = story.complain("short", 52)

    expect(trace(story, complaint), "attributed", "gap.unrecorded_custody", (dispatch, to_partner),
           (("partner", "unrecorded_custodian", 1.0),))  # fmt: skip


# Who complains: attributed all the same, marked verified purchase or not


@pytest.mark.parametrize(
    ("complainant", "verified"),
    [(BUYER, True), (PLATFORM, False), (SHOP, False), (Signer("k-unknown-buyer"), False)],
    ids=["buyer", "platform", "merchant", "key_no_sale_names"],
)
def test_a_complaint_is_attributed_whoever_files_it_and_marked_verified_only_from_the_buyer(
    complainant: Signer, verified: bool
) -> None:
    story = Story()
    story.sell()
    story.dispatch()
    story.handoff(PICKUP, HUB, 10)
    complaint = story.complain("lost", 80, by=complainant)

    attribution = trace(story, complaint)

    assert (attribution.outcome, attribution.rule) == ("attributed", "lost.last_custodian")
    assert attribution.verified_purchase is verified


def test_the_attribution_serialises_for_the_log() -> None:
    story = Story()
    story.dispatch()
    to_hub = story.handoff(PICKUP, HUB, 10)
    complaint = story.complain("lost", 80)

    assert trace(story, complaint).as_dict() == {
        "complaint": complaint.hash,
        "category": "lost",
        "outcome": "attributed",
        "shares": [{"party": "hub", "role": "custodian", "share": 1.0}],
        "rule": "lost.last_custodian",
        "rules_version": "2026.2",
        "evidence": [to_hub.hash],
        "explanation": {
            "zh": "逾期未投递，最后接收包裹的是 hub，其后无交接或投递记录",
            "en": "Overdue, undelivered; hub accepted it last and recorded no handoff or delivery",
        },
        "verified_purchase": False,
    }


# What cannot be traced


def test_what_cannot_be_traced_is_refused() -> None:
    story = Story()
    dispatch = story.dispatch()
    complaint = story.complain("lost", 80)
    stray = Story(parcel="wb/SF1").complain("lost", 80, subject=ITEM_2)
    unknown = Story().complain("lost", 80)
    unknown_category = Story().record(
        "complaint", story.parcel, 80, BUYER, category="weather", description="…"
    )

    cases = [
        (dispatch, story.parcel_events, "not a complaint"),
        (complaint, story.parcel_events, "dated after"),
        (stray, story.parcel_events, "did not travel in"),
        (unknown, [], "no dispatch of parcel"),
        (unknown_category, story.parcel_events, "no attribution rule"),
    ]
    for event, parcel_events, why in cases:
        now = at(50) if why == "dated after" else NOW
        with pytest.raises(CannotAttribute, match=why):
            attribute_complaint(event, parcel_events, [], now)
