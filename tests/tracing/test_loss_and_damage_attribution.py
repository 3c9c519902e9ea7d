"""Responsibility back-tracing (责任倒查) of a parcel lost, short or damaged: the custodian on whose
watch it happened, weight lost shared by grams, damage the giver's unless the receiver accepted
it intact, and gaps in the chain answered by the party that took custody without recording it.
"""

from __future__ import annotations

from tests.tracing.story import HUB, LAST_MILE, PARTNER, PICKUP, STRANGER, Story, at, expect, trace

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
