"""Reads of complaint cases (投诉案件) for regulators and for the parties a case concerns: who may
read which cases, the filtered case list, and how a case sums up (one case in full: `case_file`).

A case's current standing comes from its subject state (``case/<complaint>``, written by
`case_rules`); its records, shares and deadlines from the rows `indexing` derives from the log.
Regulators read every case with the personal-data access log of its parcel; an attributed party,
its outlet and its courier company read the cases that name them; nobody else reads cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from trace_service.errors import Forbidden
from trace_service.identity.models import Party
from trace_service.lifecycle.models import Subject
from trace_service.plumbing.timestamps import format_time, parse_time
from trace_service.tracing.models import Case, CaseRecord, CaseShare
from trace_service.tracing.rulebook import DEFAULT_RULES, RuleSet

# Where a case stands: not traced yet, an objection awaiting the regulator, or its outcome.
CASE_STATUSES = ("untraced", "pending_objection", "attributed", "not_attributable", "undecided")
OUTCOMES = ("attributed", "not_attributable", "undecided")
REGULATOR = "regulator"
# Parties a case can name (the attribution rules blame couriers and merchants): they read their own.
ATTRIBUTABLE_KINDS = ("staff", "outlet", "courier_company", "merchant")


@dataclass(frozen=True, slots=True)
class CaseFilter:
    """What a case list is narrowed to; `party` is the current attribution's party (or its
    outlet or company), `overdue` whether the objection's review is past due."""

    status: str | None = None
    overdue: bool | None = None
    party: str | None = None
    page: int = 1
    page_size: int = 50


def share_text(micro: int) -> str:
    """Millionths as the decimal string the log uses ("1", "0.25")."""
    return format(Decimal(micro).scaleb(-6).normalize(), "f")


def _names(party_id: str) -> ColumnElement[bool]:
    return or_(
        CaseShare.party_id == party_id,
        CaseShare.outlet_id == party_id,
        CaseShare.company_id == party_id,
    )


def _state_join() -> ColumnElement[bool]:
    return Subject.id == literal("case/") + Case.complaint


def _outcome() -> ColumnElement[str]:
    outcome: ColumnElement[str] = type_coerce(Subject.state, JSON)["outcome"].as_string()
    return outcome


def reader_is_regulator(viewer: Party) -> bool:
    """True for a regulator; raises Forbidden for a party no case can concern."""
    if viewer.kind == REGULATOR:
        return True
    if viewer.kind not in ATTRIBUTABLE_KINDS:
        raise Forbidden(
            "complaint cases are read by regulators and by the parties they concern",
            code="cases_forbidden",
        )
    return False


def _involving(party_id: str) -> ColumnElement[bool]:
    """Cases any record of which names the party (directly, as outlet or as company)."""
    named = (
        select(CaseRecord.complaint)
        .join(CaseShare, CaseShare.record_idx == CaseRecord.idx)
        .where(_names(party_id))
    )
    return Case.complaint.in_(named)


def _objections_due_before(moment: datetime) -> Select[Any]:
    return select(CaseRecord.idx).where(CaseRecord.kind == "objection", CaseRecord.at < moment)


def list_cases(
    session: Session,
    viewer: Party,
    filters: CaseFilter,
    now: datetime,
    rules: RuleSet = DEFAULT_RULES,
) -> dict[str, Any]:
    """A page of cases, newest complaint first, with outcome, shares, objection and deadlines.

    Regulators see every case; an attributable party only those naming it. Raises Forbidden.
    """
    regulator = reader_is_regulator(viewer)
    conditions: list[ColumnElement[bool]] = []
    if not regulator:
        conditions.append(_involving(viewer.id))
    if filters.status == "untraced":
        conditions.append(Case.current_idx.is_(None))
    elif filters.status == "pending_objection":
        conditions.append(Case.objection_idx.is_not(None))
    elif filters.status in OUTCOMES:
        conditions += [
            Case.current_idx.is_not(None),
            Case.objection_idx.is_(None),
            _outcome() == filters.status,
        ]
    overdue_objections = _objections_due_before(now - rules.review_period)
    if filters.overdue is True:
        conditions.append(Case.objection_idx.in_(overdue_objections))
    elif filters.overdue is False:
        conditions.append(
            or_(Case.objection_idx.is_(None), Case.objection_idx.not_in(overdue_objections))
        )
    if filters.party:
        current = select(CaseShare.record_idx).where(_names(filters.party))
        conditions.append(Case.current_idx.in_(current))
    query = select(Case, Subject.state).outerjoin(Subject, _state_join()).where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.execute(
            query.order_by(Case.complaint_idx.desc())
            .offset((filters.page - 1) * filters.page_size)
            .limit(filters.page_size)
        )
    )
    cases = [(case, state or {}) for case, state in rows]
    shares = shares_by_record(
        session, [c.current_idx for c, _ in cases if c.current_idx is not None]
    )
    objections = _records(session, [c.objection_idx for c, _ in cases if c.objection_idx])
    items = [
        case_summary(case, state, shares.get(case.current_idx or -1, []), objections, now, rules)
        for case, state in cases
    ]
    return {"items": items, "total": total, "page": filters.page, "page_size": filters.page_size}


def shares_by_record(
    session: Session, record_idxs: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each record's shares, largest first, with the share as the log writes it."""
    wanted = list(set(record_idxs))
    found: dict[int, list[dict[str, Any]]] = {}
    if not wanted:
        return found
    rows = session.scalars(
        select(CaseShare)
        .where(CaseShare.record_idx.in_(wanted))
        .order_by(CaseShare.record_idx, CaseShare.share_micro.desc(), CaseShare.party_id)
    )
    for share in rows:
        found.setdefault(share.record_idx, []).append(
            {
                "party": share.party_id,
                "party_kind": share.party_kind,
                "role": share.role,
                "share": share_text(share.share_micro),
                "outlet": share.outlet_id,
                "company": share.company_id,
            }
        )
    return found


def _records(session: Session, idxs: Iterable[int]) -> dict[int, CaseRecord]:
    wanted = list(set(idxs))
    if not wanted:
        return {}
    return {r.idx: r for r in session.scalars(select(CaseRecord).where(CaseRecord.idx.in_(wanted)))}


def case_deadlines(
    state: dict[str, Any],
    objection: CaseRecord | None,
    now: datetime,
    rules: RuleSet,
) -> dict[str, Any]:
    """Until when the attributed parties may object (while the case names any and no objection
    is pending), and when the pending objection's review is due."""
    until = None
    if objection is None and state.get("outcome") == "attributed" and state.get("attributed_at"):
        until = parse_time(state["attributed_at"]) + rules.objection_period
    due = objection.at + rules.review_period if objection is not None else None
    return {
        "objection_until": format_time(until) if until else None,
        "objection_open": until is not None and now <= until,
        "review_due": format_time(due) if due else None,
        "overdue": due is not None and now > due,
    }


def _status(case: Case, state: dict[str, Any]) -> str:
    if case.current_idx is None:
        return "untraced"
    if case.objection_idx is not None:
        return "pending_objection"
    return str(state.get("outcome") or "untraced")


def case_summary(
    case: Case,
    state: dict[str, Any],
    shares: list[dict[str, Any]],
    objections: dict[int, CaseRecord],
    now: datetime,
    rules: RuleSet,
) -> dict[str, Any]:
    """A case as a case list shows it: status, outcome, current shares, objection, deadlines."""
    objection = objections.get(case.objection_idx) if case.objection_idx else None
    deadlines = case_deadlines(state, objection, now, rules)
    return {
        "complaint": case.complaint,
        "index": case.complaint_idx,
        "subject": case.subject,
        "category": case.category,
        "complained_at": format_time(case.complained_at),
        "status": _status(case, state),
        "outcome": state.get("outcome"),
        "shares": shares,
        "objection": None
        if objection is None
        else {
            "hash": objection.hash,
            "index": objection.idx,
            "by": objection.by,
            "filed_at": format_time(objection.at),
            "review_due": deadlines["review_due"],
        },
        "objection_until": deadlines["objection_until"],
        "review_due": deadlines["review_due"],
        "overdue": deadlines["overdue"],
        "resolved_at": format_time(case.resolved_at) if case.resolved_at else None,
    }
