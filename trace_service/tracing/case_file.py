"""One complaint case in full (案卷): every record in log order with its evidence and the log
indices of that evidence, and, for regulators, who read the complained parcel's personal data.
The parties a case names read it too, without the buyer's identity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.errors import Forbidden, NotFound
from trace_service.identity.models import Party
from trace_service.ledger.models import LogEntry
from trace_service.ledger.records import subject_kind
from trace_service.lifecycle.models import ParcelItem, Subject
from trace_service.lifecycle.personal_data import reads_of
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.models import Case, CaseRecord
from trace_service.tracing.queries import (
    case_deadlines,
    case_summary,
    reader_is_regulator,
    shares_by_record,
)
from trace_service.tracing.rulebook import DEFAULT_RULES, RuleSet


class UnknownCase(NotFound):
    code = "unknown_case"
    title = "No such complaint case"


def case_detail(
    session: Session,
    viewer: Party,
    complaint: str,
    now: datetime,
    rules: RuleSet = DEFAULT_RULES,
) -> dict[str, Any]:
    """One case: the complaint, every record in log order with its evidence, the deadlines and,
    for regulators, who read the parcel's personal data. Raises UnknownCase, Forbidden."""
    regulator = reader_is_regulator(viewer)
    case = session.get(Case, complaint)
    if case is None:
        raise UnknownCase(f"no complaint case {complaint}")
    records = list(
        session.scalars(
            select(CaseRecord).where(CaseRecord.complaint == complaint).order_by(CaseRecord.idx)
        )
    )
    shares = shares_by_record(session, [r.idx for r in records])
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
        **case_summary(case, state, current, objections, now, rules),
        "description": complaint_payload.get("description"),
        "complainant": {
            "kind": case.complainant_kind,
            "id": None if buyer_hidden else case.complainant,
        },
        "records": [
            _record(r, payloads.get(r.idx, {}), shares.get(r.idx, []), indices, kinds, buyer_hidden)
            for r in records
        ],
        "deadlines": case_deadlines(state, objection, now, rules),
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
