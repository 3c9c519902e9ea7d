"""Weighted faults: time weights, severity × share × surcharge, exact sums, credit repair."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace_service.credit.faults import (
    months_before,
    repair_in_effect,
    time_weight,
    weighted_faults,
)
from trace_service.credit.method import DEFAULT_PARAMETERS, Fault
from trace_service.errors import ValidationFailed
from trace_service.lifecycle.payloads import COMPLAINT_CATEGORIES

P = DEFAULT_PARAMETERS
# The last day of a month at noon, so that month arithmetic has to clamp the day.
MONTH_END = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_months_before_clamps_to_the_end_of_shorter_months() -> None:
    # 2026-08-31 − 6 months = February 31st → 2026-02-28; in a leap year → 2024-02-29.
    assert months_before(MONTH_END, 6) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert months_before(datetime(2024, 8, 31, tzinfo=UTC), 6) == datetime(2024, 2, 29, tzinfo=UTC)
    assert months_before(MONTH_END, 24) == datetime(2024, 8, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("occurred_at", "weight"),
    [
        (MONTH_END + SECOND, 0),  # after as_of: not yet known
        (MONTH_END, 3),  # age 0
        (datetime(2026, 2, 28, 12, 0, 1, tzinfo=UTC), 3),  # just under 6 months
        (datetime(2026, 2, 28, 12, 0, tzinfo=UTC), 2),  # exactly 6 months: next band
        (datetime(2025, 8, 31, 12, 0, 1, tzinfo=UTC), 2),  # just under 12 months
        (datetime(2025, 8, 31, 12, 0, tzinfo=UTC), 1),  # exactly 12 months
        (datetime(2024, 8, 31, 12, 0, 1, tzinfo=UTC), 1),  # just under 24 months
        (datetime(2024, 8, 31, 12, 0, tzinfo=UTC), 0),  # exactly 24 months: out of the window
    ],
)
def test_time_weights_at_the_month_boundaries(occurred_at: datetime, weight: int) -> None:
    assert time_weight(occurred_at, MONTH_END, P) == weight


def test_month_boundaries_follow_the_as_of_time_zone() -> None:
    # As of 2026-07-01 00:00 Beijing time, 6 months back is 2026-01-01 00:00 +08:00,
    # which is 2025-12-31 16:00 UTC: one second later is still in the 0–6 month band.
    beijing = timezone(timedelta(hours=8))
    as_of = datetime(2026, 7, 1, tzinfo=beijing)
    assert time_weight(datetime(2025, 12, 31, 16, 0, 1, tzinfo=UTC), as_of, P) == 3
    assert time_weight(datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC), as_of, P) == 2


def test_naive_datetimes_are_refused(make_fault: Callable[..., Fault]) -> None:
    with pytest.raises(ValidationFailed):
        time_weight(datetime(2026, 1, 1), MONTH_END, P)
    with pytest.raises(ValidationFailed):
        weighted_faults([make_fault()], datetime(2026, 6, 1))


def test_severity_follows_the_statutory_order() -> None:
    s = P.severity
    heaviest = max(s.values())
    # Opening/hiding/destroying parcels and privacy leaks share the top tier ...
    for category in ("lost", "short", "empty_parcel", "privacy_leak"):
        assert s[category] == heaviest
    # ... then damage, then unauthorised sign-off / station drop, illegal fees, delays/attitude.
    assert heaviest > s["damaged"] > s["unauthorised_signoff"] == s["station_drop"]
    assert s["station_drop"] > s["illegal_fee"] > s["delayed"] == s["service_attitude"]
    assert set(s) == set(COMPLAINT_CATEGORIES)


def test_contribution_is_severity_times_time_times_share_times_surcharge(
    make_fault: Callable[..., Fault],
) -> None:
    faults = [
        # damaged 6 × (7–8 months old) 2 × share 1/3 × unresolved 3/2 = 6
        make_fault(
            category="damaged",
            occurred_at=datetime(2026, 1, 10, tzinfo=UTC),
            share=Fraction(1, 3),
            resolved_within_7_days=False,
            complaint_id="a",
        ),
        # privacy_leak 10 × (1 month old) 3 × share 1/2 × resolved 1 = 15
        make_fault(
            category="privacy_leak",
            occurred_at=datetime(2026, 7, 31, tzinfo=UTC),
            share=Fraction(1, 2),
            complaint_id="b",
        ),
        # delayed 1 × (20 months old) 1 × share 1 × unresolved 3/2 = 3/2
        make_fault(
            category="delayed",
            occurred_at=datetime(2024, 12, 1, tzinfo=UTC),
            resolved_within_7_days=False,
            complaint_id="c",
        ),
    ]
    tally = weighted_faults(faults, MONTH_END)["u1"]
    rows = {row.complaint_id: row for row in tally.rows}
    assert (rows["a"].severity, rows["a"].time_weight, rows["a"].surcharge) == (
        6,
        2,
        Fraction(3, 2),
    )
    assert rows["a"].exact == 6
    assert rows["b"].exact == 15
    assert rows["c"].exact == Fraction(3, 2)
    # 6 + 15 + 3/2 = 22.5
    assert tally.exact == Fraction(45, 2)
    assert tally.total == Decimal("22.500000")
    # Rows are in time order: c (2024-12), a (2026-01), b (2026-07).
    assert [row.complaint_id for row in tally.rows] == ["c", "a", "b"]


def test_published_contributions_sum_exactly_to_the_published_total(
    make_fault: Callable[..., Fault],
) -> None:
    # Three thirds: exact total 1. Rounded alone each is 0.333333 and they would sum to 0.999999;
    # the largest-remainder rule gives the missing 0.000001 to the first row (ties by order).
    faults = [make_fault(share=Fraction(1, 3), complaint_id=f"c{i}") for i in range(3)]
    tally = weighted_faults(faults, MONTH_END)["u1"]
    assert tally.total == Decimal("1.000000")
    assert [row.contribution for row in tally.rows] == [
        Decimal("0.333334"),
        Decimal("0.333333"),
        Decimal("0.333333"),
    ]
    assert sum(row.contribution for row in tally.rows) == tally.total


@given(
    st.lists(
        st.tuples(
            st.sampled_from(COMPLAINT_CATEGORIES),
            st.integers(min_value=0, max_value=800),  # age in days
            st.fractions(min_value=Fraction(1, 97), max_value=1, max_denominator=97),
            st.booleans(),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_explanations_always_sum_exactly(
    specs: list[tuple[str, int, Fraction, bool, bool]],
) -> None:
    faults = [
        Fault("u1", category, MONTH_END - timedelta(days=age), share, resolved, repaired, f"c{i}")
        for i, (category, age, share, resolved, repaired) in enumerate(specs)
    ]
    for tally in weighted_faults(faults, MONTH_END).values():
        assert sum(row.exact for row in tally.rows) == tally.exact
        assert sum((row.contribution for row in tally.rows), Decimal(0)) == tally.total
        assert abs(tally.total - Decimal(tally.exact.numerator) / tally.exact.denominator) <= (
            Decimal("0.0000005")
        )


def test_repaired_faults_weigh_zero_but_stay_listed(make_fault: Callable[..., Fault]) -> None:
    faults = [
        make_fault(category="lost", complaint_id="repaired", repaired=True),
        make_fault(category="lost", complaint_id="standing"),
    ]
    tally = weighted_faults(faults, MONTH_END)["u1"]
    repaired, standing = tally.rows
    assert repaired.complaint_id == "repaired"
    assert repaired.exact == 0
    assert repaired.contribution == Decimal("0.000000")
    assert "信用修复" in repaired.reason
    assert (repaired.severity, repaired.time_weight) == (10, 1)  # still shown for the audit
    # lost 10 × weight 1 (12–24 months) = 10
    assert tally.exact == standing.exact == 10


def test_faults_outside_the_window_are_left_out(make_fault: Callable[..., Fault]) -> None:
    faults = [
        make_fault(unit_id="u1", occurred_at=MONTH_END - timedelta(days=800)),
        make_fault(unit_id="u2", occurred_at=MONTH_END + timedelta(days=1)),
        make_fault(unit_id="u2"),
    ]
    tallies = weighted_faults(faults, MONTH_END)
    assert list(tallies) == ["u2"]
    assert len(tallies["u2"].rows) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"category": "teleported"},
        {"share": Fraction(0)},
        {"share": Fraction(3, 2)},
        {"share": 0.5},
        {"unit_id": ""},
    ],
)
def test_invalid_faults_are_refused(
    make_fault: Callable[..., Fault], overrides: dict[str, object]
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        weighted_faults([make_fault(**overrides)], MONTH_END)
    assert raised.value.code == "credit_input_invalid"


def test_one_complaint_cannot_be_attributed_twice_to_one_unit(
    make_fault: Callable[..., Fault],
) -> None:
    faults = [make_fault(complaint_id="same"), make_fault(complaint_id="same")]
    with pytest.raises(ValidationFailed):
        weighted_faults(faults, MONTH_END)
    # Shares of one complaint across two units are fine.
    shared = [
        make_fault(unit_id="u1", complaint_id="same", share=Fraction(1, 2)),
        make_fault(unit_id="u2", complaint_id="same", share=Fraction(1, 2)),
    ]
    assert sorted(weighted_faults(shared, MONTH_END)) == ["u1", "u2"]


def test_credit_repair_waits_for_the_minimum_period() -> None:
    rectified = datetime(2026, 1, 1, tzinfo=UTC)
    # General faults: 90 days after rectification; serious ones (privacy_leak): 365 days.
    assert not repair_in_effect("delayed", rectified, rectified + timedelta(days=89), P)
    assert repair_in_effect("delayed", rectified, rectified + timedelta(days=90), P)
    assert not repair_in_effect("privacy_leak", rectified, rectified + timedelta(days=364), P)
    assert repair_in_effect("privacy_leak", rectified, rectified + timedelta(days=365), P)
