"""Responsibility back-tracing (责任倒查): what every attribution has in common. Every complaint
category has a rule, whoever files a complaint it is attributed (marked a verified purchase only
from the buyer), the attribution serialises for the log, and what cannot be traced is refused.

The rules of each category are in tests/tracing/test_*_attribution.py; the stories' conventions
are tests/tracing/story.py's.
"""

from __future__ import annotations

import pytest

from tests.tracing.story import (
    BUYER,
    HUB,
    ITEM_2,
    NOW,
    PICKUP,
    PLATFORM,
    SHOP,
    Story,
    at,
    expect,
    trace,
)
from trace_service.ledger.transitions import Signer
from trace_service.lifecycle.payloads import COMPLAINT_CATEGORIES
from trace_service.tracing.attribution import (
    RULES_BY_CATEGORY,
    CannotAttribute,
    attribute_complaint,
)


def test_every_complaint_category_has_a_rule() -> None:
    assert set(RULES_BY_CATEGORY) == set(COMPLAINT_CATEGORIES)


def test_other_complaints_are_left_undecided() -> None:
    story = Story()
    story.dispatch()
    complaint = story.complain("other", 10)

    expect(trace(story, complaint), "undecided", "other.undecided", ())


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
