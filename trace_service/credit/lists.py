"""Red list (红名单) eligibility and black list (黑名单) nominations from a unit's snapshots.

Both look at the trailing run of consecutive monthly snapshots; a missing month breaks a run.
The service only nominates for the black list: a regulator decides, and the party is notified
with these reasons and may object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from trace_service.credit.faults import INPUT_ERROR, Fault, require_aware, time_weight
from trace_service.credit.parameters import DEFAULT_PARAMETERS, Grade, MethodParameters, Role
from trace_service.errors import ValidationFailed


@dataclass(frozen=True)
class GradeRecord:
    """One unit's published grade in one monthly snapshot (月度快照)."""

    unit_id: str
    role: Role
    as_of: datetime
    grade: Grade


@dataclass(frozen=True)
class ListReason:
    """Why a unit is (not) on a list, with the complaint or decision ids it rests on."""

    code: str  # stable machine-readable reason
    detail: str
    references: tuple[str, ...] = ()


def _month(record: GradeRecord) -> int:
    return record.as_of.year * 12 + record.as_of.month - 1


def _monthly(history: Sequence[GradeRecord]) -> list[GradeRecord]:
    if not history:
        raise ValidationFailed("a list decision needs at least one snapshot", code=INPUT_ERROR)
    if len({record.unit_id for record in history}) != 1:
        raise ValidationFailed("a history must belong to one unit", code=INPUT_ERROR)
    for record in history:
        require_aware(record.as_of, "as_of")
    records = sorted(history, key=lambda record: record.as_of)
    months = [_month(record) for record in records]
    if len(set(months)) != len(months):
        raise ValidationFailed("one snapshot per month per unit", code=INPUT_ERROR)
    return records


def _trailing_run(records: list[GradeRecord], grade: Grade) -> list[GradeRecord]:
    """The latest snapshots, all of ``grade``, in consecutive months (a gap ends the run)."""
    run: list[GradeRecord] = []
    for record in reversed(records):
        if record.grade != grade or (run and _month(run[-1]) - _month(record) != 1):
            break
        run.append(record)
    return run[::-1]


def _serious_faults(
    unit_id: str,
    faults: Sequence[Fault],
    as_of: datetime,
    params: MethodParameters,
    include_repaired: bool,
) -> list[Fault]:
    return sorted(
        (
            fault
            for fault in faults
            if fault.unit_id == unit_id
            and fault.category in params.serious_categories
            and (include_repaired or not fault.repaired)
            and time_weight(fault.occurred_at, as_of, params) > 0
        ),
        key=lambda fault: (fault.occurred_at, fault.complaint_id),
    )


def _span(run: list[GradeRecord]) -> str:
    return f"{run[0].as_of:%Y-%m}..{run[-1].as_of:%Y-%m}"


def red_list_blockers(
    history: Sequence[GradeRecord],
    faults: Sequence[Fault],
    params: MethodParameters = DEFAULT_PARAMETERS,
) -> list[ListReason]:
    """Why a unit is not eligible for the red list (红名单); empty when it is.

    Eligible: grade A (so sufficient data) in each of the latest ``red_list_snapshots``
    consecutive monthly snapshots, and no serious fault in the rating window before the latest.
    Raises ValidationFailed on an empty or mixed-unit history or two snapshots in one month.
    """
    records = _monthly(history)
    latest = records[-1]
    reasons: list[ListReason] = []
    run = _trailing_run(records, Grade.A)
    if len(run) < params.red_list_snapshots:
        reasons.append(
            ListReason(
                "not_enough_grade_a",
                f"grade A in {len(run)} consecutive monthly snapshot(s) up to "
                f"{latest.as_of:%Y-%m}; {params.red_list_snapshots} needed",
            )
        )
    serious = _serious_faults(
        latest.unit_id, faults, latest.as_of, params, params.repaired_faults_block_red_list
    )
    if serious:
        reasons.append(
            ListReason(
                "serious_fault_in_window",
                f"{len(serious)} serious fault(s) in the {params.window_months}-month window",
                tuple(fault.complaint_id for fault in serious),
            )
        )
    return reasons


def red_list_eligible(
    history: Sequence[GradeRecord],
    faults: Sequence[Fault],
    params: MethodParameters = DEFAULT_PARAMETERS,
) -> bool:
    """Whether the unit qualifies for the red list (红名单); see ``red_list_blockers``.

    Raises ValidationFailed on an empty or mixed-unit history or two snapshots in one month.
    """
    return not red_list_blockers(history, faults, params)


def blacklist_nomination_reasons(
    history: Sequence[GradeRecord],
    faults: Sequence[Fault],
    params: MethodParameters = DEFAULT_PARAMETERS,
    confirmed_fabrications: Sequence[str] = (),
) -> list[ListReason]:
    """Reasons to nominate the unit for the black list (黑名单); empty when there are none.

    Reasons, in this order: at least ``black_list_serious_faults[role]`` unrepaired serious
    faults attributed to the unit in the window; each regulator decision (by id) confirming that
    it fabricated records (伪造); grade D in the latest ``black_list_snapshots`` consecutive
    monthly snapshots. Raises ValidationFailed on an empty or mixed-unit history or two
    snapshots in one month.
    """
    records = _monthly(history)
    latest = records[-1]
    reasons: list[ListReason] = []
    serious = _serious_faults(latest.unit_id, faults, latest.as_of, params, False)
    needed = params.black_list_serious_faults[latest.role]
    if serious and len(serious) >= needed:
        reasons.append(
            ListReason(
                "serious_faults",
                f"{len(serious)} unrepaired serious fault(s) attributed in the "
                f"{params.window_months}-month window (threshold {needed} for {latest.role})",
                tuple(fault.complaint_id for fault in serious),
            )
        )
    for decision in sorted(set(confirmed_fabrications)):
        reasons.append(
            ListReason("confirmed_fabrication", "a regulator confirmed fabrication", (decision,))
        )
    run = _trailing_run(records, Grade.D)
    if len(run) >= params.black_list_snapshots:
        reasons.append(
            ListReason(
                "persistent_grade_d",
                f"grade D in {len(run)} consecutive monthly snapshots ({_span(run)})",
            )
        )
    return reasons
