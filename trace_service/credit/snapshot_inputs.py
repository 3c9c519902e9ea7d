"""What a rating snapshot reads from the log's derived tables, aggregated in SQL (DESIGN §6).

Everything is cut at a log size and a time: rows of entries at index >= `tree_size`, and records
dated after `as_of`, are not seen, so a snapshot recomputed later from the same log is the same.
Exposure is three GROUP BY queries over the custody records; faults are one query over the
cases' effective attribution (the latest attribution or regulator decision) and its shares.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from trace_service.credit.faults import Fault, months_before, repair_in_effect
from trace_service.credit.lists import GradeRecord
from trace_service.credit.method import UnitExposure
from trace_service.credit.models import CreditRecord, Snapshot, SnapshotRating
from trace_service.credit.parameters import Grade, MethodParameters, Role
from trace_service.tracing.models import Case, CaseRecord, CaseShare, CustodyRecord

RESOLVED_WITHIN = timedelta(days=7)  # the unresolved surcharge's grace (DESIGN §6)
_COURIER_KINDS = ("staff", "outlet", "courier_company")


@dataclass(frozen=True)
class Cut:
    """Where a snapshot looks: the log's first `tree_size` entries, as of `as_of`."""

    as_of: datetime
    tree_size: int

    def window_start(self, params: MethodParameters) -> datetime:
        return months_before(self.as_of, params.window_months)


def unit_exposures(session: Session, cut: Cut, params: MethodParameters) -> list[UnitExposure]:
    """Pickups, parcels held and deliveries of every staff member, outlet and company."""
    c = CustodyRecord
    seen = and_(c.idx < cut.tree_size, c.at > cut.window_start(params), c.at <= cut.as_of)
    pickups = func.sum(case((c.kind == "pickup", 1), else_=0))
    deliveries = func.sum(case((c.kind == "delivery", 1), else_=0))
    held = func.count(func.distinct(c.parcel))
    # A record held by an outlet itself (party = outlet) counts for the outlet, not for staff.
    staff_rows = or_(c.outlet_id.is_(None), c.party_id != c.outlet_id)
    levels: list[tuple[Role, Any, Any]] = [
        (Role.STAFF, c.party_id, staff_rows),
        (Role.OUTLET, c.outlet_id, c.outlet_id.is_not(None)),
        (Role.COMPANY, c.company_id, c.company_id.is_not(None)),
    ]
    units = []
    for role, column, condition in levels:
        query = select(column, pickups, held, deliveries).where(seen, condition).group_by(column)
        units += [
            UnitExposure(str(unit), role, int(p or 0), int(h or 0), int(d or 0))
            for unit, p, h, d in session.execute(query)
        ]
    return units


@dataclass(frozen=True)
class FaultRow:
    """One share of one effective attribution, before it is split into rated units."""

    complaint: str
    category: str
    occurred_at: datetime
    party_id: str
    party_kind: str
    outlet_id: str | None
    company_id: str | None
    share_micro: int
    resolved_at: datetime | None
    fabrication: str | None  # the decision hash when a regulator found fabrication


def fault_rows(
    session: Session, cut: Cut, params: MethodParameters, *, standing_only: bool = True
) -> list[FaultRow]:
    """The courier shares of every effective attribution with standing in the window (with
    `standing_only` false, of those without standing too: the evaluation's counterfactual)."""
    r = CaseRecord
    effective = (
        select(r.complaint, func.max(r.idx).label("idx"))
        .where(r.kind.in_(("attribution", "decision")), r.idx < cut.tree_size, r.at <= cut.as_of)
        .group_by(r.complaint)
        .subquery()
    )
    resolved = case(
        (and_(Case.resolved_idx < cut.tree_size, Case.resolved_at <= cut.as_of), Case.resolved_at),
        else_=None,
    )
    query = (
        select(
            Case.complaint, Case.category, Case.complained_at, CaseShare.party_id,
            CaseShare.party_kind, CaseShare.outlet_id, CaseShare.company_id,
            CaseShare.share_micro, resolved, r.finding, r.hash,
        )
        .join(effective, effective.c.complaint == Case.complaint)
        .join(r, r.idx == effective.c.idx)
        .join(CaseShare, CaseShare.record_idx == r.idx)
        .where(
            r.standing.is_(True) if standing_only else r.standing.is_not(None),
            Case.complained_at > cut.window_start(params),
            Case.complained_at <= cut.as_of,
            CaseShare.party_kind.in_(_COURIER_KINDS),
        )
    )  # fmt: skip
    return [
        FaultRow(
            complaint, category, _aware(at), party, kind, outlet, company, micro,
            _aware(resolved_at) if resolved_at else None,
            digest if finding == "fabrication" else None,
        )
        for (complaint, category, at, party, kind, outlet, company, micro, resolved_at,
             finding, digest) in session.execute(query)
    ]  # fmt: skip


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def repaired_complaints(session: Session, cut: Cut) -> dict[str, dict[str, datetime]]:
    """Per party: the complaints its granted rectifications cover, with the rectification time."""
    rectifications = {
        record.hash: record
        for record in session.scalars(
            select(CreditRecord).where(
                CreditRecord.kind == "rectification",
                CreditRecord.idx < cut.tree_size,
                CreditRecord.at <= cut.as_of,
            )
        )
    }
    granted = session.scalars(
        select(CreditRecord.on).where(
            CreditRecord.kind == "decision",
            CreditRecord.outcome == "granted",
            CreditRecord.idx < cut.tree_size,
            CreditRecord.at <= cut.as_of,
        )
    )
    repaired: dict[str, dict[str, datetime]] = defaultdict(dict)
    for on in granted:
        record = rectifications.get(on or "")
        if record is not None:
            for complaint in record.details.get("complaints", []):
                repaired[record.party_id][complaint] = _aware(record.at)
    return repaired


def unit_faults(
    rows: list[FaultRow],
    repaired: dict[str, dict[str, datetime]],
    cut: Cut,
    params: MethodParameters,
) -> list[Fault]:
    """Each share as a fault of the staff member, the outlet and the company answering for it."""
    faults = []
    for row in rows:
        units = {row.party_id: None}
        if row.outlet_id:
            units[row.outlet_id] = None
        if row.company_id:
            units[row.company_id] = None
        due = row.occurred_at + RESOLVED_WITHIN
        on_time = cut.as_of < due or (row.resolved_at is not None and row.resolved_at <= due)
        for unit in units:
            rectified = repaired.get(unit, {}).get(row.complaint)
            faults.append(
                Fault(
                    unit_id=unit,
                    category=row.category,
                    occurred_at=row.occurred_at,
                    share=Fraction(row.share_micro, 1_000_000),
                    resolved_within_7_days=on_time,
                    repaired=rectified is not None
                    and repair_in_effect(row.category, rectified, cut.as_of, params),
                    complaint_id=row.complaint,
                )
            )
    return faults


def grade_history(session: Session, cut: Cut) -> dict[str, list[GradeRecord]]:
    """Every unit's grades in the monthly snapshots logged before the cut (one per month: the
    latest of the month), oldest first."""
    rows = session.execute(
        select(Snapshot.as_of, Snapshot.idx, SnapshotRating.unit_id, SnapshotRating.role,
               SnapshotRating.grade)
        .join(SnapshotRating, SnapshotRating.content_hash == Snapshot.content_hash)
        .where(Snapshot.idx < cut.tree_size, Snapshot.as_of < cut.as_of)
        .order_by(Snapshot.as_of, Snapshot.idx)
    )  # fmt: skip
    latest: dict[tuple[str, int, int], GradeRecord] = {}
    this_month = (cut.as_of.year, cut.as_of.month)
    for as_of, _, unit, role, grade in rows:
        moment = _aware(as_of)
        if (moment.year, moment.month) == this_month:
            continue  # the snapshot being computed stands for its month
        latest[(unit, moment.year, moment.month)] = GradeRecord(
            unit, Role(role), moment, Grade(grade)
        )
    history: dict[str, list[GradeRecord]] = defaultdict(list)
    for (unit, _, _), record in sorted(latest.items(), key=lambda kv: kv[1].as_of):
        history[unit].append(record)
    return history
