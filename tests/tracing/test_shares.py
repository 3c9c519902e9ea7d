"""Shares as logged: decimal strings that always add up to exactly one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trace_service.tracing.operations import decimal_shares


@pytest.mark.parametrize(
    "shares",
    [
        [1.0],
        [1 / 3, 1 / 3, 1 / 3],
        [0.1, 0.2, 0.7],
        [2 / 7, 5 / 7],
        [1 / 6] * 6,
    ],
)
def test_shares_add_up_to_exactly_one(shares: list[float]) -> None:
    logged = decimal_shares([(f"p{i}", "custodian", s) for i, s in enumerate(shares)])
    assert sum(Decimal(s["share"]) for s in logged) == 1
    for share, original in zip(logged, shares, strict=True):
        assert abs(Decimal(share["share"]) - Decimal(original)) <= Decimal("0.000001")


def test_an_outcome_without_parties_logs_no_shares() -> None:
    assert decimal_shares([]) == []


def test_shares_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValueError, match="not 1"):
        decimal_shares([("a", "custodian", 0.5)])
