"""Custody segments (保管区段): who held a parcel, when, and in what state, read off its records.

The parcel histories are written with `Story` (tests/tracing/story.py), as the attribution tests do.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.tracing.story import (
    HUB,
    ITEM,
    LAST_MILE,
    PARCEL,
    PARTNER,
    PICKUP,
    SHOP,
    STRANGER,
    Story,
    at,
)
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.custody import (
    BrokenCustodyChain,
    CustodySegment,
    LoggedEvent,
    custody_segments,
)


def held(s: CustodySegment) -> tuple[Any, ...]:
    """A segment in brief: who, what kind, opened and closed by which records."""
    return (s.custodian, s.kind, s.opened_by, s.closed_by)


def test_a_journey_has_one_segment_per_custodian_with_the_facts_of_its_dispatch() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800, promised=72)
    to_hub = story.handoff(PICKUP, HUB, 10, city="杭州", weight=790)
    to_last = story.handoff(HUB, LAST_MILE, 40, condition="damaged", weight=780, seal="broken",
                            countersigned=True)  # fmt: skip
    delivery = story.deliver(LAST_MILE, 50, condition="damaged", weight=770)
    receipt = story.receive(51)

    chain = custody_segments(story.parcel_events)

    assert [held(s) for s in chain] == [
        ("pickup", "custody", dispatch.hash, to_hub.hash),
        ("hub", "custody", to_hub.hash, to_last.hash),
        ("lastmile", "custody", to_last.hash, delivery.hash),
    ]
    pickup, hub, last = chain
    assert (pickup.start, pickup.end, hub.start, hub.end, last.end) == (
        at(0),
        at(10),
        at(10),
        at(40),
        at(50),
    )
    assert [(s.start_condition, s.end_condition) for s in chain] == [
        ("intact", "intact"), ("intact", "damaged"), ("damaged", "damaged")
    ]  # fmt: skip
    assert [(s.start_weight_g, s.end_weight_g) for s in chain] == [
        (800, 790), (790, 780), (780, 770)
    ]  # fmt: skip
    assert [(s.start_city, s.end_city) for s in chain] == [
        ("杭州", "杭州"), ("杭州", "上海"), ("上海", "上海")
    ]  # fmt: skip
    assert [(s.start_seal, s.end_seal) for s in chain] == [
        (None, None), (None, "broken"), ("broken", None)
    ]  # fmt: skip
    # Confirmed: both sides signed the opening record (a dispatch is countersigned by pickup).
    assert [s.confirmed for s in chain] == [True, False, True]
    assert {s.company for s in chain} == {"sto"}
    assert chain.gaps == ()
    assert (chain.subject, chain.merchant, chain.courier, chain.items) == (
        PARCEL, "shop", "sto", (ITEM,)
    )  # fmt: skip
    assert (chain.declared_weight_g, chain.promised_by) == (800, at(72))
    assert (chain.origin_city, chain.destination_city) == ("杭州", "上海")
    assert chain.dispatch == dispatch
    assert (chain.delivery, chain.receipt, chain.deliverer) == (delivery, receipt, "lastmile")
    assert chain.records == (dispatch, to_hub, to_last, delivery)


def test_an_undelivered_parcel_ends_with_the_segment_its_holder_still_holds() -> None:
    story = Story()
    story.dispatch()
    to_hub = story.handoff(PICKUP, HUB, 10)

    *_, hub = custody_segments(story.parcel_events)

    assert held(hub) == ("hub", "custody", to_hub.hash, None)
    assert (hub.end, hub.end_condition, hub.end_weight_g) == (None, None, None)


def test_a_parcel_never_handed_off_is_one_segment_held_by_the_pickup_staff() -> None:
    story = Story()
    dispatch = story.dispatch(weight=650)

    chain = custody_segments(story.parcel_events)

    assert [held(s) for s in chain] == [("pickup", "custody", dispatch.hash, None)]
    assert (chain[0].start_weight_g, chain[0].start_condition) == (650, "intact")
    assert chain.delivery is None and chain.deliverer is None


def test_a_handoff_to_another_company_the_giver_did_not_sign_is_an_unconfirmed_transfer() -> None:
    story = Story()
    dispatch = story.dispatch()
    to_partner = story.handoff(PICKUP, PARTNER, 10, condition="damaged")

    chain = custody_segments(story.parcel_events)

    assert [held(s) for s in chain] == [
        ("pickup", "custody", dispatch.hash, to_partner.hash),
        ("partner", "gap", to_partner.hash, to_partner.hash),
        ("partner", "custody", to_partner.hash, None),
    ]
    gap = chain.gaps[0]
    assert (gap.gap_reason, gap.company, gap.start, gap.end) == (
        "unconfirmed_transfer", "yto", at(10), at(10)
    )  # fmt: skip
    assert chain[2].confirmed is False


def test_a_countersigned_transfer_and_a_one_sided_scan_within_a_company_are_no_gaps() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, HUB, 10)  # same company, the giver did not sign: routine
    story.handoff(HUB, PARTNER, 20, countersigned=True)  # across companies, both signed

    chain = custody_segments(story.parcel_events)

    assert [s.custodian for s in chain] == ["pickup", "hub", "partner"]
    assert chain.gaps == ()
    assert [s.confirmed for s in chain] == [True, False, True]


def test_a_handoff_from_a_party_that_never_accepted_the_parcel_reveals_unrecorded_custody() -> None:
    story = Story()
    dispatch = story.dispatch(weight=800)
    revealed = story.handoff(STRANGER, LAST_MILE, 30, weight=500, countersigned=True)

    chain = custody_segments(story.parcel_events)

    assert [held(s) for s in chain] == [
        ("pickup", "custody", dispatch.hash, None),  # nothing records how it left the pickup
        ("stranger", "gap", dispatch.hash, revealed.hash),
        ("lastmile", "custody", revealed.hash, None),
    ]
    pickup, gap, _ = chain
    assert (pickup.start, pickup.end, pickup.end_weight_g) == (at(0), at(0), None)
    assert (gap.gap_reason, gap.company, gap.confirmed) == ("unrecorded_custody", "sto", False)
    assert (gap.start, gap.end, gap.start_weight_g, gap.end_weight_g) == (at(0), at(30), 800, 500)


def test_a_delivery_by_a_party_that_never_accepted_the_parcel_reveals_unrecorded_custody() -> None:
    story = Story()
    story.dispatch()
    to_hub = story.handoff(PICKUP, HUB, 10)
    delivery = story.deliver(STRANGER, 30)

    chain = custody_segments(story.parcel_events)

    assert [held(s) for s in chain][1:] == [
        ("hub", "custody", to_hub.hash, None),
        ("stranger", "gap", to_hub.hash, delivery.hash),
    ]
    assert chain.deliverer == "stranger"


def test_events_are_read_in_log_order_and_non_custody_events_are_ignored() -> None:
    story = Story()
    story.dispatch()
    story.handoff(PICKUP, HUB, 10)
    story.complain("delayed", 11)
    story.handoff(HUB, LAST_MILE, 20)

    chain = custody_segments(list(reversed(story.parcel_events)))

    assert [s.custodian for s in chain] == ["pickup", "hub", "lastmile"]


def _mixed_subjects(story: Story) -> list[LoggedEvent]:
    story.dispatch()
    other = Story(parcel="wb/SF1234567890")
    return [*story.parcel_events, other.dispatch()]


def _no_dispatch(story: Story) -> list[LoggedEvent]:
    story.handoff(PICKUP, HUB, 10)
    return story.parcel_events


def _dispatched_twice(story: Story) -> list[LoggedEvent]:
    story.dispatch()
    story.dispatch(hours=1)
    return story.parcel_events


def _handoff_after_delivery(story: Story) -> list[LoggedEvent]:
    story.dispatch()
    story.deliver(PICKUP, 10)
    story.handoff(PICKUP, HUB, 11)
    return story.parcel_events


def _receipt_before_delivery(story: Story) -> list[LoggedEvent]:
    story.dispatch()
    story.receive(5)
    return story.parcel_events


def _unsigned_dispatch(story: Story) -> list[LoggedEvent]:
    story.record("dispatch", PARCEL, 0, SHOP, items=[ITEM], courier="sto", declared_weight_g=1,
                 promised_by=format_time(at(72)), origin_city="杭州", destination_city="上海",
                 recipient_commitment="ab" * 32)  # fmt: skip
    return story.parcel_events


@pytest.mark.parametrize(
    "history",
    [
        lambda story: [],
        _mixed_subjects,
        _no_dispatch,
        _dispatched_twice,
        _handoff_after_delivery,
        _receipt_before_delivery,
        _unsigned_dispatch,
    ],
    ids=["empty", "mixed", "no_dispatch", "twice", "after_delivery", "early_receipt", "unsigned"],
)
def test_events_that_are_not_one_parcels_chain_are_refused(history: Any) -> None:
    with pytest.raises(BrokenCustodyChain) as refused:
        custody_segments(history(Story()))
    assert refused.value.code == "broken_custody_chain"
