"""Rows back-tracing derives from accepted events, written with the log entry by the indexers
registered in `tracing.record_types`.

Custody records (揽收、交接、投递) feed exposure; complaints open cases; attributions, objections,
decisions and resolutions are the case's records. Everything here is a function of the logged
events alone, so the verifier rebuilds it with the same indexers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from trace_service.ledger.indexing import IndexBatch, IndexedEvent
from trace_service.ledger.records import Payload
from trace_service.ledger.transitions import Signer, World
from trace_service.lifecycle.subject_heads import core_table
from trace_service.plumbing.timestamps import format_time, parse_time
from trace_service.tracing.case_rules import ComplaintFacts
from trace_service.tracing.models import Case, CaseRecord, CaseShare, CustodyRecord


def custody_holder(payload: dict[str, Any], signers: Sequence[Signer]) -> Signer | None:
    """The party that holds the parcel from this event on, or None for a non-custody event."""
    kind = payload["type"]
    if kind == "dispatch":
        return next((s for s in signers if s.kind == "staff"), None)
    if kind == "handoff":
        return next((s for s in signers if s.party_id != payload["from"]), None)
    if kind == "delivery":
        return signers[0] if signers else None
    return None


CUSTODY_KIND = {"dispatch": "pickup", "handoff": "handoff", "delivery": "delivery"}


def micro_shares(shares: Sequence[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(party, role, millionths) of logged decimal-string shares."""
    return [(s["party"], s["role"], round(float(s["share"]) * 1_000_000)) for s in shares]


def custody_record(batch: IndexBatch, event: IndexedEvent) -> None:
    """揽收、交接、投递: who holds the parcel from this event on (exposure of ratings)."""
    p = event.payload
    holder = custody_holder(p, event.signers)
    if holder is None or holder.party_id is None:
        return
    outlet = holder.party_id if holder.kind == "outlet" else holder.outlet_id
    batch.bulk(
        CustodyRecord,
        {"idx": event.idx, "parcel": p["subject"], "kind": CUSTODY_KIND[p["type"]],
         "party_id": holder.party_id, "outlet_id": outlet,
         "company_id": holder.company_id, "at": event.signed_at},
    )  # fmt: skip


def complaint_facts(session: Session, complaints: set[str]) -> Mapping[str, ComplaintFacts]:
    """What the case rules need to know about logged complaints (see case_rules.attribution)."""
    if not complaints:
        return {}
    return {
        c.complaint: ComplaintFacts(
            c.complaint, c.subject, c.category, format_time(c.complained_at), c.complainant
        )
        for c in session.scalars(select(Case).where(Case.complaint.in_(set(complaints))))
    }


def complaint_facts_of(
    digest: str, payload: Payload, signers: list[Signer]
) -> tuple[str, ComplaintFacts] | None:
    """A complaint's facts from its own event (as the verifier replays it)."""
    if payload["type"] != "complaint":
        return None
    signer = signers[0]
    return digest, ComplaintFacts(
        digest,
        payload["subject"],
        payload["category"],
        format_time(parse_time(payload["time"])),
        signer.party_id or signer.keyid,
    )


def wanted_complaints(payload: Payload) -> list[str]:
    """The complaint an attribution is about (its case opens with it)."""
    if payload.get("type") == "attribution" and isinstance(payload.get("complaint"), str):
        return [payload["complaint"]]
    return []


def open_case(batch: IndexBatch, event: IndexedEvent) -> None:
    """A complaint opens its case (投诉案件)."""
    signer = event.signers[0]
    batch.session.add(
        Case(
            complaint=event.hash,
            complaint_idx=event.idx,
            subject=event.payload["subject"],
            category=event.payload["category"],
            complainant=signer.party_id or signer.keyid,
            complainant_kind=signer.kind or "buyer",
            complained_at=event.signed_at,
        )
    )


def case_record(batch: IndexBatch, event: IndexedEvent) -> None:
    """An attribution, objection, decision or resolution of a complaint case."""
    session, world = batch.session, batch.world
    p = event.payload
    complaint = p["subject"].removeprefix("case/")
    kind = p["type"]
    signer = event.signers[0]
    text = p.get("reason") or p.get("reasons") or p.get("note")
    if kind == "attribution":
        text = p["explanation"]["zh"]
    record = CaseRecord(
        idx=event.idx,
        hash=event.hash,
        complaint=complaint,
        kind=kind,
        outcome=p.get("outcome"),
        rule=p.get("rule"),
        rules_version=p.get("rules_version"),
        standing=p.get("standing"),
        verified_purchase=p.get("verified_purchase"),
        finding=p.get("finding"),
        by=signer.party_id or signer.keyid,
        at=event.signed_at,
        text=text,
    )
    session.add(record)
    session.flush()
    case_update: dict[str, Any] = {}
    shares: list[dict[str, Any]] = []
    if kind == "attribution":
        shares = _share_rows(event.idx, p["shares"], world)
        case_update = {"current_idx": event.idx}
    elif kind == "objection":
        case_update = {"objection_idx": event.idx}
    elif kind == "decision":
        current = _current(session, complaint)
        if p["outcome"] == "upheld":
            # The finding stands as it was: its shares are copied whole, with the outlet and
            # company that answered for them then.
            shares = [
                {**{c: getattr(s, c) for c in _SHARE_COLUMNS}, "record_idx": event.idx}
                for s in session.scalars(select(CaseShare).where(CaseShare.record_idx == current))
            ]
            record.standing = _standing_of(session, current)
        elif p.get("shares"):
            shares = _share_rows(event.idx, p["shares"], world)
            record.standing = _standing_of(session, current)
        case_update = {"current_idx": event.idx, "objection_idx": None}
    elif kind == "resolution":
        case_update = {"resolved_at": event.signed_at, "resolved_idx": event.idx}
    if shares:
        session.execute(insert(core_table(CaseShare)), shares)
    if case_update:
        session.execute(update(Case).where(Case.complaint == complaint).values(**case_update))


_SHARE_COLUMNS = ("party_id", "role", "share_micro", "party_kind", "outlet_id", "company_id")


def _share_rows(idx: int, logged: list[dict[str, Any]], world: World) -> list[dict[str, Any]]:
    return [
        _share_row(idx, party, role, micro, world) for party, role, micro in micro_shares(logged)
    ]


def _current(session: Session, complaint: str) -> int | None:
    return session.scalar(select(Case.current_idx).where(Case.complaint == complaint))


def _standing_of(session: Session, record_idx: int | None) -> bool | None:
    if record_idx is None:
        return None
    return session.scalar(select(CaseRecord.standing).where(CaseRecord.idx == record_idx))


def _share_row(idx: int, party: str, role: str, micro: int, world: World) -> dict[str, Any]:
    facts = world.parties.get(party)
    kind = facts.kind if facts else "unknown"
    outlet = party if kind == "outlet" else (facts.outlet_id if facts else None)
    company = party if kind == "courier_company" else (facts.company_id if facts else None)
    return {
        "record_idx": idx, "party_id": party, "role": role, "share_micro": micro,
        "party_kind": kind, "outlet_id": outlet, "company_id": company,
    }  # fmt: skip
