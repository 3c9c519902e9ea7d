"""What the rules refuse of a listing or a sale, each with its own stable code: products not
registered or not the merchant's, items already sold or never listed, buyer keys, signers and
platforms.

Pure rules, no database: the signers, payloads and `Chain` are tests/lifecycle/rule_chain.py's.
"""

from __future__ import annotations

import base64

import pytest

from tests.lifecycle.rule_chain import (
    BUYER,
    MERCHANT,
    MERCHANT2,
    PICKUP,
    UNREGISTERED_GTIN,
    Chain,
    listing,
    refused,
    sale,
)


def test_unknown_product():
    refused(
        Chain(),
        listing(f"01/{UNREGISTERED_GTIN}/21/A"),
        MERCHANT,
        code="unknown_product",
        status=409,
    )


def test_not_product_owner_lists():
    refused(Chain(), listing(), MERCHANT2, code="not_product_owner", status=403)


def test_not_product_owner_sells():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    refused(chain, sale(), MERCHANT2, code="not_product_owner", status=403)


def test_already_sold_cannot_be_relisted_or_sold_again():
    chain = Chain().sold()
    refused(chain, listing(t=2), MERCHANT, code="already_sold", status=409)
    refused(chain, sale(t=2), MERCHANT, code="already_sold", status=409)


def test_not_listed():
    refused(Chain(), sale(), MERCHANT, code="not_listed", status=409)


def test_invalid_buyer_key():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    short = base64.b64encode(b"x" * 31).decode()
    refused(chain, sale(buyer_key=short), MERCHANT, code="invalid_buyer_key", status=409)


@pytest.mark.parametrize(
    "signers",
    [(PICKUP,), (MERCHANT, MERCHANT2), (BUYER,), ()],
    ids=["staff", "two merchants", "buyer key", "nobody"],
)
def test_wrong_signer_of_listing(signers):
    refused(Chain(), listing(), *signers, code="wrong_signer", status=403)


def test_wrong_signer_of_sale():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    refused(chain, sale(), MERCHANT, PICKUP, code="wrong_signer", status=403)


@pytest.mark.parametrize(
    ("platform", "code"),
    [("plt-zz", "unknown_party"), ("mer-b", "unknown_party"), ("plt-off", "party_inactive")],
    ids=["unregistered", "not a platform", "inactive"],
)
def test_listing_platform_must_be_an_active_platform(platform, code):
    refused(Chain(), listing(platform=platform), MERCHANT, code=code, status=409)
