"""A party's own credit records (DESIGN §6): nominations with their reasons, decisions,
objections, rectifications and repairs, and what it may do next with the deadlines — how a party
is notified of the reasons and of its right to object."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trace_service.credit.models import CreditRecord
from trace_service.credit.parameters import DEFAULT_PARAMETERS, MethodParameters
from trace_service.credit.queries import REGULATOR, _party
from trace_service.errors import Forbidden
from trace_service.identity.models import Party
from trace_service.lifecycle.models import Subject
from trace_service.plumbing.timestamps import format_time, parse_time
from trace_service.tracing.models import Case, CaseShare
from trace_service.tracing.rulebook import DEFAULT_RULES, RuleSet


def _may_read_credit(viewer: Party, party: Party) -> bool:
    return (
        viewer.kind == REGULATOR
        or viewer.id == party.id
        or (viewer.kind == "courier_company" and party.company_id == viewer.id)
    )


def _credit_record(record: CreditRecord) -> dict[str, Any]:
    return {
        "index": record.idx,
        "hash": record.hash,
        "kind": record.kind,
        "at": format_time(record.at),
        "by": record.by,
        "on": record.on,
        "outcome": record.outcome,
        "details": record.details,
    }


def _step(action: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"action": action, "zh": zh, "en": en, **extra}


def _list_steps(
    state: dict[str, Any], now: datetime, params: MethodParameters, rules: RuleSet
) -> list[dict[str, Any]]:
    steps = []
    nomination = state.get("nomination")
    if nomination:
        steps.append(
            _step(
                "await_nomination_decision",
                "已被提名列入黑名单（理由见提名记录），由监管部门决定；如被列入，可自列入之日起"
                f"{rules.objection_period.days}日内提出异议。",
                "Nominated for the black list (reasons in the nomination record); a regulator "
                f"decides. If listed, you may object within {rules.objection_period.days} days.",
                on=nomination["record"],
            )
        )
    listed = state.get("black_listed")
    pending_objection = state.get("listing_objection")
    if listed and not listed.get("objected") and not pending_objection:
        until = parse_time(listed["since"]) + rules.objection_period
        if now <= until:
            steps.append(
                _step(
                    "object",
                    f"可在 {format_time(until)} 前对列入黑名单的决定提出异议（附证据）。",
                    f"You may object to the listing decision, with evidence, until "
                    f"{format_time(until)}.",
                    on=listed["record"],
                    until=format_time(until),
                )
            )
    if pending_objection:
        due = parse_time(pending_objection["at"]) + rules.review_period
        steps.append(
            _step(
                "await_objection_review",
                f"异议已提交，监管部门应于 {format_time(due)} 前复核。",
                f"Your objection awaits the regulator's review, due by {format_time(due)}.",
                on=pending_objection["record"],
                due=format_time(due),
            )
        )
    rectification = state.get("rectification")
    if rectification:
        steps.append(
            _step(
                "await_repair_decision",
                "整改记录已提交，等待监管部门作出信用修复决定。",
                "Your rectification awaits the regulator's credit-repair decision.",
                on=rectification["record"],
            )
        )
    elif listed:
        earliest = parse_time(listed["since"]) + timedelta(days=params.repair_min_days_serious)
        steps.append(
            _step(
                "rectify",
                "可记录整改并申请信用修复；自列入之日起满"
                f"{params.repair_min_days_serious}日（{format_time(earliest)}）后准予修复的，移出黑名单。",
                "You may record a rectification and apply for credit repair; a repair granted "
                f"from {format_time(earliest)} on ({params.repair_min_days_serious} days after "
                "the listing) removes you from the black list.",
                earliest_delisting=format_time(earliest),
            )
        )
    return steps


def _case_steps(
    session: Session, party: Party, now: datetime, rules: RuleSet
) -> list[dict[str, Any]]:
    """Cases the party (or, for a company, its own name among the companies) may still object to."""
    named = or_(CaseShare.party_id == party.id, CaseShare.company_id == party.id)
    if party.kind != "courier_company":
        named = CaseShare.party_id == party.id
    complaints = list(
        session.scalars(
            select(Case.complaint)
            .join(CaseShare, CaseShare.record_idx == Case.current_idx)
            .where(named, Case.objection_idx.is_(None))
            .distinct()
        )
    )
    if not complaints:
        return []
    rows = session.execute(
        select(Subject.id, Subject.state).where(Subject.id.in_([f"case/{c}" for c in complaints]))
    )
    steps = []
    for sid, state in sorted(rows, key=lambda row: row[0]):
        if state.get("outcome") != "attributed" or state.get("objection"):
            continue
        until = parse_time(state["attributed_at"]) + rules.objection_period
        if now > until:
            continue
        steps.append(
            _step(
                "object_case",
                f"可在 {format_time(until)} 前对投诉 {sid.removeprefix('case/')[:12]}… 的责任认定"
                "提出异议（附证据）。",
                f"You may object to the finding on complaint {sid.removeprefix('case/')[:12]}… "
                f"with evidence until {format_time(until)}.",
                case=sid.removeprefix("case/"),
                on=state["record"],
                until=format_time(until),
            )
        )
    return steps


def party_credit(
    session: Session,
    viewer: Party,
    party_id: str,
    now: datetime,
    params: MethodParameters = DEFAULT_PARAMETERS,
    rules: RuleSet = DEFAULT_RULES,
) -> dict[str, Any]:
    """A party's credit records and standing, and what it may do next with the deadlines
    (the party itself, its courier company, or a regulator). Raises UnknownParty, Forbidden."""
    party = _party(session, party_id)
    if not _may_read_credit(viewer, party):
        raise Forbidden(
            "a party's credit records are read by the party, its courier company and regulators",
            code="not_your_records",
        )
    subject = session.get(Subject, f"party/{party_id}")
    state: dict[str, Any] = subject.state if subject is not None else {}
    records = session.scalars(
        select(CreditRecord).where(CreditRecord.party_id == party_id).order_by(CreditRecord.idx)
    )
    return {
        "party": {
            "id": party.id,
            "name": party.name,
            "kind": party.kind,
            "company": party.company_id,
            "status": party.status,
        },
        "standing": {
            "nomination": state.get("nomination"),
            "black_listed": state.get("black_listed"),
            "listing_objection": state.get("listing_objection"),
            "rectification": state.get("rectification"),
            "repairs": state.get("repairs", 0),
        },
        "records": [_credit_record(r) for r in records],
        "next_steps": [
            *_list_steps(state, now, params, rules),
            *_case_steps(session, party, now, rules),
        ],
    }
