"""Responsibility back-tracing (责任倒查) of how a parcel was handed over and who handled the
recipient's data: sign-off and station drops without consent, illegal fees and service
attitude, and privacy leaks shared by the parties logged reading the data.
"""

from __future__ import annotations

from tests.tracing.story import LAST_MILE, PICKUP, SHOP, Story, at, expect, trace
from trace_service.tracing.attribution import DataRead

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
