"""What the rules refuse of a dispatch, each with its own stable code: the merchant and the
courier's pickup staff sign it together, for items the merchant sold and has not dispatched
yet, to an active courier company, with a promise in the future.

Pure rules, no database: the signers, payloads and `Chain` are tests/lifecycle/rule_chain.py's.
"""

from __future__ import annotations

import pytest

from tests.lifecycle.rule_chain import (
    FOREIGN_ITEM,
    HUB,
    ITEM,
    ITEM2,
    MERCHANT,
    MERCHANT2,
    PARCEL,
    PARCEL2,
    PICKUP,
    RIVAL_STAFF,
    Chain,
    dispatch,
    listing,
    refused,
    sale,
)


def test_countersignature_required():
    chain = Chain().sold()
    refused(chain, dispatch(), MERCHANT, code="countersignature_required", status=403)
    refused(chain, dispatch(), MERCHANT, PICKUP, HUB, code="countersignature_required", status=403)


def test_dispatch_without_merchant_is_wrong_signer():
    chain = Chain().sold()
    refused(chain, dispatch(), PICKUP, code="wrong_signer", status=403)
    refused(chain, dispatch(), MERCHANT, MERCHANT2, PICKUP, code="wrong_signer", status=403)


def test_staff_not_of_courier():
    chain = Chain().sold()
    refused(chain, dispatch(), MERCHANT, RIVAL_STAFF, code="staff_not_of_courier", status=403)


@pytest.mark.parametrize(
    ("courier", "code"),
    [("cor-zz", "unknown_party"), ("stf-1", "unknown_party"), ("cor-off", "party_inactive")],
    ids=["unregistered", "staff as courier", "inactive"],
)
def test_dispatch_courier_must_be_an_active_courier_company(courier, code):
    chain = Chain().sold()
    refused(chain, dispatch(courier=courier), MERCHANT, PICKUP, code=code, status=409)


@pytest.mark.parametrize("promised", [2, 1], ids=["equal", "before"])
def test_promise_in_past(promised):
    chain = Chain().sold()
    refused(
        chain, dispatch(promised=promised), MERCHANT, PICKUP, code="promise_in_past", status=409
    )


def test_duplicate_item():
    chain = Chain().sold()
    refused(
        chain, dispatch(items=[ITEM, ITEM]), MERCHANT, PICKUP, code="duplicate_item", status=409
    )


def test_item_never_listed_is_not_sold():
    chain = Chain().sold()
    error = refused(
        chain, dispatch(items=[ITEM, ITEM2]), MERCHANT, PICKUP, code="item_not_sold", status=409
    )
    assert error.extensions["item"] == ITEM2


def test_item_listed_but_not_sold():
    chain = Chain()
    chain.apply(listing(), MERCHANT)
    refused(chain, dispatch(), MERCHANT, PICKUP, code="item_not_sold", status=409)


def test_parcel_cannot_be_an_item():
    chain = Chain().sold()
    chain.apply(dispatch(), MERCHANT, PICKUP)
    refused(
        chain,
        dispatch(PARCEL2, items=[PARCEL], t=3),
        MERCHANT,
        PICKUP,
        code="item_not_sold",
        status=409,
    )


def test_not_item_owner():
    chain = Chain()
    chain.apply(listing(FOREIGN_ITEM), MERCHANT2)
    chain.apply(sale(FOREIGN_ITEM), MERCHANT2)
    chain.sold()
    refused(
        chain,
        dispatch(items=[ITEM, FOREIGN_ITEM]),
        MERCHANT,
        PICKUP,
        code="not_item_owner",
        status=403,
    )


def test_item_already_dispatched():
    chain = Chain().dispatched()
    refused(
        chain, dispatch(PARCEL2, t=3), MERCHANT, PICKUP, code="item_already_dispatched", status=409
    )


def test_parcel_exists():
    chain = Chain().dispatched()
    chain.apply(listing(ITEM2, t=3), MERCHANT)
    chain.apply(sale(ITEM2, t=3), MERCHANT)
    refused(chain, dispatch(items=[ITEM2], t=4), MERCHANT, PICKUP, code="parcel_exists", status=409)
