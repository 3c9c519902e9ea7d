"""The rules common to every event: the subject is of the kind its type is about, its time is
not before the previous event's, and its signing time is within the clock-skew bound.

Pure rules, no database: the signers, payloads and `Chain` are tests/lifecycle/rule_chain.py's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.lifecycle.rule_chain import (
    BUYER,
    HUB,
    ITEM,
    ITEM2,
    LAST_MILE,
    MERCHANT,
    PARCEL,
    PARCEL2,
    PICKUP,
    T0,
    Chain,
    at,
    commitment,
    delivery,
    dispatch,
    handoff,
    listing,
    receipt,
    refused,
    review,
    sale,
)
from trace_service.ledger.record_errors import LifecycleViolation
from trace_service.ledger.record_rules import check_signing_time
from trace_service.plumbing.timestamps import format_time


@pytest.mark.parametrize(
    ("payload", "signers"),
    [
        (listing(PARCEL), (MERCHANT,)),
        (sale(PARCEL2), (MERCHANT,)),
        (dispatch(ITEM2), (MERCHANT, PICKUP)),
        (handoff("stf-1", subject=ITEM), (HUB,)),
        (delivery(ITEM), (LAST_MILE,)),
        (receipt(ITEM), (BUYER,)),
        (review(PARCEL), (BUYER,)),
        (commitment() | {"subject": ITEM}, (MERCHANT,)),
        (listing("party/mer-a"), (MERCHANT,)),
    ],
    ids=lambda v: v["type"] + ":" + v["subject"].split("/")[0] if isinstance(v, dict) else "",
)
def test_wrong_subject_kind(payload, signers):
    chain = Chain().sold()
    refused(chain, payload, *signers, code="wrong_subject_kind", status=409)


def test_time_before_previous():
    chain = Chain()
    chain.apply(listing(t=10), MERCHANT)
    error = refused(chain, sale(t=9), MERCHANT, code="time_before_previous", status=409)
    assert at(10) in error.detail


def test_time_before_previous_on_parcel():
    chain = Chain().dispatched()  # dispatch at t=2
    refused(chain, handoff("stf-1", t=1), HUB, code="time_before_previous", status=409)


# --- the clock-skew bound ---------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 299, 300, -300, -1])
def test_signing_time_within_bound(offset):
    check_signing_time(T0 + timedelta(seconds=offset), T0, 300)


@pytest.mark.parametrize("offset", [301, -301, 3600, -86400])
def test_clock_skew(offset):
    with pytest.raises(LifecycleViolation) as info:
        check_signing_time(T0 + timedelta(seconds=offset), T0, 300)
    assert info.value.code == "clock_skew"
    assert info.value.extensions["server_time"] == format_time(T0)
