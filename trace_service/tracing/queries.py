"""Reads of complaint cases (投诉案件) for regulators and for the parties a case concerns.

A case's current standing comes from its subject state (``case/<complaint>``, written by
`case_rules`); its records, shares and deadlines from the rows `indexing` derives from the log.
Regulators read every case with the personal-data access log of its parcel; an attributed party,
its outlet and its courier company read the cases that name them; nobody else reads cases.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from trace_service.errors import Forbidden, NotFound
from trace_service.identity.models import Party
from trace_service.ledger.models import LogEntry
from trace_service.ledger.records import subject_kind
from trace_service.lifecycle.models import ParcelItem, Subject
from trace_service.lifecycle.personal_data import reads_of
from trace_service.plumbing.timestamps import format_time, parse_time
from trace_service.tracing.models import Case, CaseRecord, CaseShare
from trace_service.tracing.rulebook import DEFAULT_RULES, RuleSet

# Where a case stands: not traced yet, an objection awaiting the regulator, or its outcome.
CASE_STATUSES = ("untraced", "pending_objection", "attributed", "not_attributable", "undecided")
OUTCOMES = ("attributed", "not_attributable", "undecided")
REGULATOR = "regulator"
# Parties a case can name (the attribution rules blame couriers and merchants): they read their own.
ATTRIBUTABLE_KINDS = ("staff", "outlet", "courier_company", "merchant")


class UnknownCase(NotFound):
    code = "unknown_case"
    title = "No such complaint case"


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


def _reader_is_regulator(viewer: Party) -> bool:
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
    regulator = _reader_is_regulator(viewer)
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
    shares = _shares(session, [c.current_idx for c, _ in cases if c.current_idx is not None])
    objections = _records(session, [c.objection_idx for c, _ in cases if c.objection_idx])
    items = [
        _summary(case, state, shares.get(case.current_idx or -1, []), objections, now, rules)
        for case, state in cases
    ]
    return {"items": items, "total": total, "page": filters.page, "page_size": filters.page_size}


def _shares(session: Session, record_idxs: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
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


def _deadlines(
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


def _summary(
    case: Case,
    state: dict[str, Any],
    shares: list[dict[str, Any]],
    objections: dict[int, CaseRecord],
    now: datetime,
    rules: RuleSet,
) -> dict[str, Any]:
    objection = objections.get(case.objection_idx) if case.objection_idx else None
    deadlines = _deadlines(state, objection, now, rules)
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


def case_detail(
    session: Session,
    viewer: Party,
    complaint: str,
    now: datetime,
    rules: RuleSet = DEFAULT_RULES,
) -> dict[str, Any]:
    """One case: the complaint, every record in log order with its evidence, the deadlines and,
    for regulators, who read the parcel's personal data. Raises UnknownCase, Forbidden."""
    regulator = _reader_is_regulator(viewer)
    case = session.get(Case, complaint)
    if case is None:
        raise UnknownCase(f"no complaint case {complaint}")
    records = list(
        session.scalars(
            select(CaseRecord).where(CaseRecord.complaint == complaint).order_by(CaseRecord.idx)
        )
    )
    shares = _shares(session, [r.idx for r in records])
    if not regulator and not _names_viewer(viewer.id, shares):
        raise Forbidden(
            "a case is read by regulators and by the parties it names", code="not_your_case"
        )
    subject = session.get(Subject, f"case/{complaint}")
    state: dict[str, Any] = subject.state if subject is not None else {}
    payloads = _payloads(session, [case.complaint_idx, *(r.idx for r in records)])
    complaint_payload = payloads.get(case.complaint_idx, {})
    evidence = [
        digest
        for r in records
        for digest in payloads.get(r.idx, {}).get("evidence", [])
    ]  # fmt: skip
    indices = _indices(session, evidence)
    kinds = _party_kinds(session, {r.by for r in records})
    buyer_hidden = not regulator and case.complainant_kind == "buyer"
    objection = next((r for r in records if r.idx == case.objection_idx), None)
    objections = {objection.idx: objection} if objection is not None else {}
    current = shares.get(case.current_idx or -1, [])
    return {
        **_summary(case, state, current, objections, now, rules),
        "description": complaint_payload.get("description"),
        "complainant": {
            "kind": case.complainant_kind,
            "id": None if buyer_hidden else case.complainant,
        },
        "records": [
            _record(r, payloads.get(r.idx, {}), shares.get(r.idx, []), indices, kinds, buyer_hidden)
            for r in records
        ],
        "deadlines": _deadlines(state, objection, now, rules),
        "data_access": _data_access(session, case.subject) if regulator else None,
    }


def _names_viewer(party_id: str, shares: dict[int, list[dict[str, Any]]]) -> bool:
    return any(
        party_id in (share["party"], share["outlet"], share["company"])
        for rows in shares.values()
        for share in rows
    )


def _payloads(session: Session, idxs: Sequence[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(select(LogEntry.idx, LogEntry.body).where(LogEntry.idx.in_(idxs)))
    return {idx: json.loads(bytes(body))["payload"] for idx, body in rows}


def _indices(session: Session, hashes: Sequence[str]) -> dict[str, int]:
    wanted = list(set(hashes))
    if not wanted:
        return {}
    rows = session.execute(select(LogEntry.hash, LogEntry.idx).where(LogEntry.hash.in_(wanted)))
    return {digest: idx for digest, idx in rows}


def _party_kinds(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(select(Party.id, Party.kind).where(Party.id.in_(ids)))
    return {party_id: kind for party_id, kind in rows}


def _hashes_with_index(hashes: Sequence[str], indices: dict[str, int]) -> list[dict[str, Any]]:
    return [{"hash": digest, "index": indices.get(digest)} for digest in hashes]


def _record(
    record: CaseRecord,
    payload: dict[str, Any],
    shares: list[dict[str, Any]],
    indices: dict[str, int],
    kinds: dict[str, str],
    buyer_hidden: bool,
) -> dict[str, Any]:
    by_kind = kinds.get(record.by, "buyer")
    out: dict[str, Any] = {
        "index": record.idx,
        "hash": record.hash,
        "kind": record.kind,
        "at": format_time(record.at),
        "by": None if by_kind == "buyer" and buyer_hidden else record.by,
        "by_kind": by_kind,
    }
    if record.kind == "attribution":
        out.update(
            outcome=record.outcome,
            rule=record.rule,
            rules_version=record.rules_version,
            shares=shares,
            evidence=_hashes_with_index(payload.get("evidence", []), indices),
            explanation=payload.get("explanation"),
            verified_purchase=record.verified_purchase,
            standing=record.standing,
        )
    elif record.kind == "objection":
        out.update(
            on=payload.get("on"),
            reason=payload.get("reason"),
            evidence=_hashes_with_index(payload.get("evidence", []), indices),
            documents=payload.get("documents", []),
        )
    elif record.kind == "decision":
        out.update(
            on=payload.get("on"),
            outcome=record.outcome,
            reasons=payload.get("reasons"),
            shares=shares,  # the shares in force after the decision (unchanged when upheld)
            finding=record.finding,
            standing=record.standing,
        )
    elif record.kind == "resolution":
        out.update(note=payload.get("note"))
    return out


def _data_access(session: Session, subject: str) -> list[dict[str, Any]]:
    """Who read the recipient's personal data of the complained parcel, when and why."""
    if subject_kind(subject) == "parcel":
        parcels = [subject]
    else:
        parcels = list(session.scalars(select(ParcelItem.parcel).where(ParcelItem.item == subject)))
    return [
        {
            "parcel": read.parcel,
            "party_id": read.party_id,
            "read_at": format_time(read.read_at),
            "purpose": read.purpose,
        }
        for read in reads_of(session, parcels)
    ]
