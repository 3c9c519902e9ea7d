"""Red list (红名单) eligibility and black list (黑名单) nomination over snapshot histories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from trace_service.credit.lists import (
    GradeRecord,
    blacklist_nomination_reasons,
    red_list_blockers,
    red_list_eligible,
)
from trace_service.credit.method import DEFAULT_PARAMETERS, Fault, Grade, Role
from trace_service.errors import ValidationFailed

MakeFault = Callable[..., Fault]


def _history(
    grades: str, *, unit: str = "u1", role: Role = Role.OUTLET, start_month: int = 1
) -> list[GradeRecord]:
    """Monthly snapshots of 2026 from ``start_month``: '-' is a missing month, '?' insufficient."""
    return [
        GradeRecord(
            unit,
            role,
            datetime(2026, start_month + i, 1, tzinfo=UTC),
            Grade.INSUFFICIENT_DATA if letter == "?" else Grade(letter),
        )
        for i, letter in enumerate(grades)
        if letter != "-"
    ]


# Within 24 months of every latest snapshot these histories have (all in 2026).
IN_WINDOW = datetime(2025, 3, 1, tzinfo=UTC)


def test_red_list_after_exactly_four_consecutive_a() -> None:
    assert red_list_eligible(_history("AAAA"), [])
    assert red_list_eligible(_history("BCAAAA"), [])  # earlier grades do not matter


def test_no_red_list_after_three_a() -> None:
    assert not red_list_eligible(_history("AAA"), [])
    assert not red_list_eligible(_history("BAAA"), [])
    [reason] = red_list_blockers(_history("CAAA"), [])
    assert reason.code == "not_enough_grade_a"
    assert "3 consecutive" in reason.detail


def test_a_missing_month_breaks_the_run() -> None:
    # January, February, April, May: four A snapshots, but March is missing.
    assert not red_list_eligible(_history("AA-AA"), [])
    assert red_list_eligible(_history("AA-AAAA"), [])


def test_a_later_grade_or_insufficient_data_breaks_the_run() -> None:
    assert not red_list_eligible(_history("AAAAB"), [])
    assert not red_list_eligible(_history("AAAA?"), [])
    assert not red_list_eligible(_history("AA?AA"), [])


def test_a_serious_fault_in_the_window_blocks_the_red_list(make_fault: MakeFault) -> None:
    history = _history("AAAA")  # latest snapshot 2026-04-01; the window starts 2024-04-01
    leak = make_fault("u1", category="privacy_leak", occurred_at=IN_WINDOW, complaint_id="leak")
    [reason] = red_list_blockers(history, [leak])
    assert reason.code == "serious_fault_in_window"
    assert reason.references == ("leak",)
    # Outside the 24-month window, of another unit, or not serious ("lost"): no block.
    too_old = replace(leak, occurred_at=datetime(2024, 4, 1, tzinfo=UTC))
    others = replace(leak, unit_id="u2")
    lost = replace(leak, category="lost")
    assert red_list_eligible(history, [too_old, others, lost])


def test_repaired_serious_faults_block_the_red_list_unless_configured(
    make_fault: MakeFault,
) -> None:
    history = _history("AAAA")
    repaired = make_fault("u1", category="short", occurred_at=IN_WINDOW, repaired=True)
    assert not red_list_eligible(history, [repaired])
    lenient = replace(DEFAULT_PARAMETERS, repaired_faults_block_red_list=False)
    assert red_list_eligible(history, [repaired], lenient)


def test_histories_are_checked() -> None:
    with pytest.raises(ValidationFailed):
        red_list_eligible([], [])
    with pytest.raises(ValidationFailed):
        red_list_eligible(_history("AA") + _history("AA", unit="u2"), [])
    twice = _history("AA")
    twice.append(replace(twice[-1], as_of=twice[-1].as_of.replace(day=15)))
    with pytest.raises(ValidationFailed):
        blacklist_nomination_reasons(twice, [])


def test_four_consecutive_d_nominate_for_the_black_list() -> None:
    [reason] = blacklist_nomination_reasons(_history("CDDDD"), [])
    assert reason.code == "persistent_grade_d"
    assert "2026-02..2026-05" in reason.detail
    assert blacklist_nomination_reasons(_history("CCDDD"), []) == []
    assert blacklist_nomination_reasons(_history("DD-DD"), []) == []


def test_serious_faults_nominate_by_role_threshold(make_fault: MakeFault) -> None:
    # One unrepaired serious fault nominates a staff member; an outlet needs three.
    leak = make_fault("u1", category="privacy_leak", occurred_at=IN_WINDOW, complaint_id="k1")
    staff = _history("BB", role=Role.STAFF)
    [reason] = blacklist_nomination_reasons(staff, [leak])
    assert (reason.code, reason.references) == ("serious_faults", ("k1",))
    outlet = _history("BB", role=Role.OUTLET)
    two = [leak, replace(leak, complaint_id="k2")]
    assert blacklist_nomination_reasons(outlet, two) == []
    three = [*two, replace(leak, complaint_id="k3", category="empty_parcel")]
    assert blacklist_nomination_reasons(outlet, three)[0].references == ("k1", "k2", "k3")


def test_repaired_or_minor_faults_do_not_nominate(make_fault: MakeFault) -> None:
    staff = _history("BB", role=Role.STAFF)
    faults = [
        make_fault("u1", category="privacy_leak", occurred_at=IN_WINDOW, repaired=True),
        make_fault("u1", category="damaged", occurred_at=IN_WINDOW),
        make_fault("u1", category="lost", occurred_at=IN_WINDOW),
    ]
    assert blacklist_nomination_reasons(staff, faults) == []


def test_all_nomination_reasons_together_in_a_stable_order(make_fault: MakeFault) -> None:
    leak = make_fault("u1", category="privacy_leak", occurred_at=IN_WINDOW)
    reasons = blacklist_nomination_reasons(
        _history("DDDD", role=Role.STAFF),
        [leak],
        confirmed_fabrications=["decision-9", "decision-2", "decision-9"],
    )
    assert [(r.code, r.references) for r in reasons] == [
        ("serious_faults", (leak.complaint_id,)),
        ("confirmed_fabrication", ("decision-2",)),
        ("confirmed_fabrication", ("decision-9",)),
        ("persistent_grade_d", ()),
    ]
