"""Responsibility back-tracing (责任倒查) of the goods themselves: empty parcels, wrong items,
counterfeits and goods not as described are the merchant's, unless the weight or the seal
changed in someone's custody.
"""

from __future__ import annotations

from tests.tracing.story import HUB, ITEM, ITEM_2, LAST_MILE, NOW, PICKUP, Story, expect, trace
from trace_service.tracing.attribution import RuleSet, attribute_complaint

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
