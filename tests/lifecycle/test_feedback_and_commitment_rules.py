"""What the rules refuse of the records that follow a delivery (the buyer's receipt and review,
a complaint by a party to the subject) and of a party's credit commitment (信用承诺).

Pure rules, no database: the signers, payloads and `Chain` are tests/lifecycle/rule_chain.py's.
"""

from __future__ import annotations

import pytest

from tests.lifecycle.rule_chain import (
    BUYER,
    ITEM2,
    LAST_MILE,
    MERCHANT,
    MERCHANT2,
    REGULATOR,
    STRANGER,
    Chain,
    commitment,
    complaint,
    receipt,
    refused,
    review,
)


def test_receipt_before_delivery():
    chain = Chain().handed_off()
    refused(chain, receipt(), BUYER, code="receipt_before_delivery", status=409)


def test_already_received():
    chain = Chain().received()
    refused(chain, receipt(t=7), BUYER, code="already_received", status=409)


@pytest.mark.parametrize(
    "signers",
    [(STRANGER,), (MERCHANT,), (LAST_MILE,), (BUYER, STRANGER)],
    ids=["another buyer key", "merchant", "courier", "two keys"],
)
def test_receipt_not_buyer(signers):
    chain = Chain().delivered()
    refused(chain, receipt(), *signers, code="not_buyer", status=403)


def test_review_without_receipt():
    chain = Chain().delivered()
    refused(chain, review(), BUYER, code="review_without_receipt", status=409)


def test_review_not_buyer():
    chain = Chain().received()
    refused(chain, review(), STRANGER, code="not_buyer", status=403)
    refused(chain, review(), MERCHANT, code="not_buyer", status=403)


def test_already_reviewed():
    chain = Chain().received()
    chain.apply(review(), BUYER)
    refused(chain, review(t=8), BUYER, code="already_reviewed", status=409)


@pytest.mark.parametrize(
    "signer", [STRANGER, MERCHANT2, LAST_MILE], ids=["other buyer", "other merchant", "courier"]
)
def test_complaint_not_party_to_subject(signer):
    chain = Chain().delivered()
    refused(chain, complaint(), signer, code="not_party_to_subject", status=403)


def test_complaint_has_one_signer():
    chain = Chain().delivered()
    refused(chain, complaint(), BUYER, MERCHANT, code="wrong_signer", status=403)


def test_complaint_about_unknown_subject():
    refused(Chain(), complaint(ITEM2), REGULATOR, code="unknown_subject", status=409)


def test_complaint_about_a_party_is_wrong_subject_kind():
    chain = Chain()
    chain.apply(commitment(), MERCHANT)
    refused(chain, complaint("party/mer-a", t=1), REGULATOR, code="wrong_subject_kind", status=409)


def test_commitment_by_another_party():
    refused(Chain(), commitment("mer-b"), MERCHANT, code="wrong_signer", status=403)
    refused(Chain(), commitment(), BUYER, code="wrong_signer", status=403)
