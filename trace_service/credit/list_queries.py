"""Reads of the credit lists (DESIGN §6): the red and black lists, pending nominations and the
platform admission check (准入核验); a party's own records are in `party_records`.

A party's list standing is its subject state ``party/<id>`` as `list_rules` left it; nothing here
shows a complainant or personal data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.credit.list_rules import COURIER_KINDS
from trace_service.credit.models import CreditRecord, Snapshot, SnapshotRating
from trace_service.credit.queries import (
    KIND_ZH,
    REGULATOR,
    NotACourier,
    _company_of,
    _latest,
    _parties_with,
    _party,
    _states,
    black_listed_states,
    snapshot_header,
)
from trace_service.credit.snapshots import latest_snapshot
from trace_service.errors import Forbidden
from trace_service.identity.models import Party, PartyStatus
from trace_service.plumbing.timestamps import format_time


def red_list(session: Session) -> dict[str, Any]:
    """The units on the red list (红名单) in the latest snapshot. Raises NoSnapshot."""
    snapshot = _latest(session)
    rows = session.execute(
        select(SnapshotRating, Party.name, Party.company_id)
        .outerjoin(Party, Party.id == SnapshotRating.unit_id)
        .where(
            SnapshotRating.content_hash == snapshot.content_hash,
            # Canonical JSON has no spaces: a cheap filter, confirmed on the parsed line below.
            SnapshotRating.body.contains('"red_list":true'),
        )
        .order_by(SnapshotRating.role, SnapshotRating.unit_id)
    )
    units = []
    for rating, name, company_id in rows:
        body = json.loads(rating.body)
        if not body.get("lists", {}).get("red_list"):
            continue
        units.append(
            {
                "unit_id": rating.unit_id,
                "name": name,
                "role": rating.role,
                "company": _company_of(rating.role, rating.unit_id, company_id),
                "grade": rating.grade,
                "posterior_mean_per_million": body["posterior_mean_per_million"],
            }
        )
    return {"snapshot": snapshot_header(snapshot), "units": units}


def _records_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, CreditRecord]:
    wanted = list(set(hashes))
    if not wanted:
        return {}
    return {
        r.hash: r
        for r in session.scalars(select(CreditRecord).where(CreditRecord.hash.in_(wanted)))
    }


def _snapshots_by_hash(session: Session, hashes: Iterable[str]) -> dict[str, Snapshot]:
    wanted = list(set(hashes))
    if not wanted:
        return {}
    return {s.hash: s for s in session.scalars(select(Snapshot).where(Snapshot.hash.in_(wanted)))}


def _nomination_reasons(
    session: Session, nomination: CreditRecord | None, snapshots: dict[str, Snapshot]
) -> list[dict[str, Any]]:
    """A nomination's reasons as logged, with the evidence its snapshot gave for each."""
    if nomination is None:
        return []
    evidence: dict[str, list[str]] = {}
    snapshot = snapshots.get(nomination.details.get("snapshot", ""))
    if snapshot is not None:
        body = session.scalar(
            select(SnapshotRating.body).where(
                SnapshotRating.content_hash == snapshot.content_hash,
                SnapshotRating.unit_id == nomination.party_id,
            )
        )
        for reason in (
            json.loads(body).get("lists", {}).get("black_list_reasons", []) if body else []
        ):
            evidence[reason["code"]] = list(reason.get("evidence", []))
    return [
        {"code": r["code"], "detail": r["detail"], "evidence": evidence.get(r["code"], [])}
        for r in nomination.details.get("reasons", [])
    ]


def _party_facts(session: Session, ids: Iterable[str]) -> dict[str, Party]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(wanted)))}


def black_list(session: Session) -> list[dict[str, Any]]:
    """The confirmed black list (黑名单): who, since when, on which decision, and why."""
    listed = black_listed_states(session)
    decisions = _records_by_hash(session, [entry["record"] for entry in listed.values()])
    nominations = _records_by_hash(session, [d.on for d in decisions.values() if d.on])
    snapshots = _snapshots_by_hash(
        session, [n.details.get("snapshot", "") for n in nominations.values()]
    )
    parties = _party_facts(session, listed)
    out = []
    for party_id, entry in sorted(listed.items(), key=lambda kv: (kv[1]["since"], kv[0])):
        decision = decisions.get(entry["record"])
        nomination = nominations.get(decision.on or "") if decision else None
        party = parties.get(party_id)
        out.append(
            {
                "party": party_id,
                "name": party.name if party else None,
                "kind": party.kind if party else None,
                "company": party.company_id if party else None,
                "since": entry["since"],
                "decision": entry["record"],
                "decision_index": decision.idx if decision else None,
                "nomination": nomination.hash if nomination else None,
                "objected": bool(entry.get("objected")),
                "reasons": _nomination_reasons(session, nomination, snapshots),
            }
        )
    return out


def pending_nominations(session: Session, viewer: Party) -> list[dict[str, Any]]:
    """Black-list nominations awaiting a regulator's decision (regulators). Raises Forbidden."""
    if viewer.kind != REGULATOR:
        raise Forbidden("pending nominations are for regulators")
    states = _states(session, _parties_with(session, "nomination"))
    pending = {p: s["nomination"] for p, s in states.items() if s.get("nomination")}
    nominations = _records_by_hash(session, [n["record"] for n in pending.values()])
    snapshots = _snapshots_by_hash(
        session, [n.details.get("snapshot", "") for n in nominations.values()]
    )
    parties = _party_facts(session, pending)
    out = []
    for party_id, entry in sorted(pending.items(), key=lambda kv: (kv[1]["at"], kv[0])):
        record = nominations.get(entry["record"])
        party = parties.get(party_id)
        snapshot_hash = record.details.get("snapshot") if record else None
        snapshot = snapshots.get(snapshot_hash or "")
        out.append(
            {
                "party": party_id,
                "name": party.name if party else None,
                "kind": party.kind if party else None,
                "company": party.company_id if party else None,
                "nomination": entry["record"],
                "index": record.idx if record else None,
                "nominated_at": entry["at"],
                "snapshot": {
                    "hash": snapshot_hash,
                    "index": snapshot.idx if snapshot else None,
                    "as_of": format_time(snapshot.as_of) if snapshot else None,
                },
                "reasons": _nomination_reasons(session, record, snapshots),
            }
        )
    return out


# Admission (准入核验)


def _reason(code: str, zh: str, en: str, evidence: list[str] | None = None) -> dict[str, Any]:
    return {"code": code, "detail": {"zh": zh, "en": en}, "evidence": evidence or []}


def _unit_label(party: Party) -> tuple[str, str]:
    kind_en = party.kind.replace("_", " ")
    return f"{KIND_ZH.get(party.kind, party.kind)}「{party.name}」({party.id})", (
        f"{kind_en} '{party.name}' ({party.id})"
    )


def admission(session: Session, party_id: str) -> dict[str, Any]:
    """Whether a platform may admit the courier: refused while it, its outlet or its courier
    company is black-listed, suspended or not a registered courier; with the reasons in words.

    Raises UnknownParty, NotACourier.
    """
    party = _party(session, party_id)
    if party.kind not in COURIER_KINDS:
        raise NotACourier(
            f"{party.id} is a registered {party.kind}, not a courier (courier company, outlet or "
            f"staff); {party.id} 不是快递企业、网点或快递员",
            kind=party.kind,
        )
    chain = [party]
    for related in (party.outlet_id, party.company_id):
        if related and related != party.id:
            found = session.get(Party, related)
            if found is not None:
                chain.append(found)
    reasons: list[dict[str, Any]] = []
    if party.kind != "courier_company":
        company = session.get(Party, party.company_id) if party.company_id else None
        if company is None or company.kind != "courier_company":
            reasons.append(
                _reason(
                    "no_courier_company",
                    f"{_unit_label(party)[0]} 不隶属于已登记的快递企业",
                    f"{_unit_label(party)[1]} belongs to no registered courier company",
                )
            )
    listed = black_listed_states(session, [p.id for p in chain])
    decisions = _records_by_hash(session, [e["record"] for e in listed.values()])
    for unit in chain:
        zh, en = _unit_label(unit)
        if unit.status == PartyStatus.SUSPENDED.value:
            reasons.append(_reason("suspended", f"{zh} 已被暂停", f"{en} is suspended"))
        elif unit.status != PartyStatus.ACTIVE.value:
            reasons.append(
                _reason("not_active", f"{zh} 未处于有效状态", f"{en} is {unit.status}, not active")
            )
        entry = listed.get(unit.id)
        if entry is not None:
            decision = decisions.get(entry["record"])
            evidence = [entry["record"], *([decision.on] if decision and decision.on else [])]
            reasons.append(
                _reason(
                    "black_listed",
                    f"{zh} 自 {entry['since']} 起被列入黑名单",
                    f"{en} is on the black list since {entry['since']}",
                    evidence,
                )
            )
    latest = latest_snapshot(session)
    grade = None
    if latest is not None:
        grade = session.scalar(
            select(SnapshotRating.grade).where(
                SnapshotRating.content_hash == latest.content_hash,
                SnapshotRating.unit_id == party.id,
            )
        )
    return {
        "courier": {
            "id": party.id,
            "name": party.name,
            "kind": party.kind,
            "company": party.company_id,
            "status": party.status,
        },
        "admitted": not reasons,
        "reasons": reasons,
        "latest_grade": grade,
        "snapshot": latest.idx if latest is not None else None,
    }


# A party's own credit records (notification of reasons and of the right to object)
