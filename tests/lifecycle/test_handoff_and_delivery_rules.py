"""What the rules refuse of a handoff or a delivery: only the parcel's holder gives or delivers
it, the receiver signs a handoff, and nothing moves once the parcel is delivered.

Pure rules, no database: the signers, payloads and `Chain` are tests/lifecycle/rule_chain.py's.
"""

from __future__ import annotations

import pytest

from tests.lifecycle.rule_chain import (
    BUYER,
    HUB,
    LAST_MILE,
    MERCHANT,
    PICKUP,
    Chain,
    delivery,
    handoff,
    refused,
)


def test_handoff_of_unknown_parcel():
    refused(Chain(), handoff("stf-1"), HUB, code="unknown_subject", status=409)


def test_handoff_from_a_non_holder():
    chain = Chain().dispatched()
    error = refused(chain, handoff("stf-2"), LAST_MILE, code="not_holder", status=403)
    assert error.extensions["holder"] == "stf-1"


def test_handoff_from_a_former_holder():
    chain = Chain().handed_off()  # stf-1 -> stf-2 -> stf-3
    refused(chain, handoff("stf-1", t=6), HUB, code="not_holder", status=403)


def test_handoff_signed_only_by_the_giver_is_wrong_signer():
    chain = Chain().dispatched()
    refused(chain, handoff("stf-1"), PICKUP, code="wrong_signer", status=403)


@pytest.mark.parametrize(
    "signers",
    [(HUB, LAST_MILE), (MERCHANT,), (BUYER,)],
    ids=["two receivers", "merchant", "buyer key"],
)
def test_handoff_wrong_receiver(signers):
    chain = Chain().dispatched()
    refused(chain, handoff("stf-1"), *signers, code="wrong_signer", status=403)


def test_delivery_by_a_non_holder():
    chain = Chain().dispatched()  # stf-1 holds it
    error = refused(chain, delivery(), LAST_MILE, code="not_holder", status=403)
    assert error.extensions["holder"] == "stf-1"


def test_delivery_by_a_merchant_is_wrong_signer():
    chain = Chain().dispatched()
    refused(chain, delivery(), MERCHANT, code="wrong_signer", status=403)
    refused(chain, delivery(), PICKUP, HUB, code="wrong_signer", status=403)


def test_not_in_transit_after_delivery():
    chain = Chain().delivered()
    refused(chain, handoff("stf-3", t=6), HUB, code="not_in_transit", status=409)
    refused(chain, delivery(t=6), LAST_MILE, code="not_in_transit", status=409)
