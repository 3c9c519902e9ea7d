"""Reads of the credit system: published ratings and their explanations (公示), the red and black
lists, the platform admission check (准入核验), and a party's own credit records.

Public reads show rated units, grades, list standing and the complaints (by hash) that weigh in a
rating: never a complainant, never personal data. Snapshots are read as logged; a party's list
standing is its subject state ``party/<id>`` as `list_rules` left it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from trace_service.credit.list_rules import COURIER_KINDS
from trace_service.credit.models import CreditRecord, Snapshot, SnapshotRating
from trace_service.credit.parameters import DEFAULT_PARAMETERS, MethodParameters
from trace_service.credit.snapshots import get_snapshot, latest_snapshot
from trace_service.errors import DomainError, Forbidden, NotFound
from trace_service.identity.models import Party, PartyStatus
from trace_service.lifecycle.models import Subject
from trace_service.lifecycle.payloads import format_time, parse_time
from trace_service.tracing.models import Case, CaseShare
from trace_service.tracing.rulebook import DEFAULT_RULES, RuleSet

REGULATOR = "regulator"
KIND_ZH = {"courier_company": "快递企业", "outlet": "网点", "staff": "快递员"}


class NoSnapshot(NotFound):
    code = "no_snapshot"
    title = "No rating snapshot has been taken yet"


class UnknownUnit(NotFound):
    code = "unknown_unit"
    title = "No rating of this unit"


class UnknownParty(NotFound):
    code = "unknown_party"
    title = "No such party"


class NotACourier(DomainError):
    code = "not_a_courier"
    status = 422
    title = "Not a registered courier"


# Snapshots and their ratings


def snapshot_header(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "index": snapshot.idx,
        "hash": snapshot.hash,
        "as_of": format_time(snapshot.as_of),
        "tree_size": snapshot.tree_size,
        "content_hash": snapshot.content_hash,
        "method_version": snapshot.method_version,
        "rules_version": snapshot.rules_version,
        "units": snapshot.units,
        "taken_at": format_time(snapshot.taken_at),
    }


def _latest(session: Session) -> Snapshot:
    snapshot = latest_snapshot(session)
    if snapshot is None:
        raise NoSnapshot("no rating snapshot has been taken yet")
    return snapshot


@dataclass(frozen=True, slots=True)
class RatingFilter:
    role: str | None = None
    company: str | None = None
    grade: str | None = None


def _company_of(role: str, unit_id: str, company_id: str | None) -> str | None:
    return unit_id if role == "company" else company_id


def _time(iso: str) -> str:
    """A rating line's ISO time in the log's RFC 3339 form."""
    return format_time(datetime.fromisoformat(iso))


def latest_ratings(session: Session, filters: RatingFilter) -> dict[str, Any]:
    """The latest snapshot's header and its units' grades and published numbers (公示).

    Raises NoSnapshot before the first snapshot.
    """
    snapshot = _latest(session)
    query = (
        select(SnapshotRating, Party.name, Party.company_id)
        .outerjoin(Party, Party.id == SnapshotRating.unit_id)
        .where(SnapshotRating.content_hash == snapshot.content_hash)
        .order_by(SnapshotRating.role, SnapshotRating.unit_id)
    )
    if filters.role:
        query = query.where(SnapshotRating.role == filters.role)
    if filters.grade:
        query = query.where(SnapshotRating.grade == filters.grade)
    if filters.company:
        query = query.where(
            or_(Party.company_id == filters.company, SnapshotRating.unit_id == filters.company)
        )
    rows = list(session.execute(query))
    black = black_listed_states(session)
    units = []
    for rating, name, company_id in rows:
        body = json.loads(rating.body)
        units.append(
            {
                "unit_id": rating.unit_id,
                "name": name,
                "role": rating.role,
                "company": _company_of(rating.role, rating.unit_id, company_id),
                "grade": rating.grade,
                "posterior_mean_per_million": body["posterior_mean_per_million"],
                "interval_per_million": body["interval_per_million"],
                "exposure": body["exposure"],
                "weighted_faults": body["weighted_faults"],
                "red_list": bool(body.get("lists", {}).get("red_list")),
                "black_listed": rating.unit_id in black,
            }
        )
    return {"snapshot": snapshot_header(snapshot), "units": units}


def method_disclosure(
    params: MethodParameters = DEFAULT_PARAMETERS, rules: RuleSet = DEFAULT_RULES
) -> dict[str, Any]:
    """The rating method's parameters and the attribution rules' version and periods."""
    rule_values = {item.name: _plain(getattr(rules, item.name)) for item in fields(rules)}
    return {
        "method_version": params.version,
        "parameters": params.as_dict(),
        "rules_version": rules.version,
        "rules": {
            "version": rules.version,
            "objection_period_days": rules.objection_period.days,
            "review_period_days": rules.review_period.days,
            "parameters": rule_values,
        },
    }


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return _duration(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def _duration(delta: timedelta) -> str:
    """ISO 8601 duration: P15D, PT7200S."""
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        return f"P{seconds // 86400}D"
    return f"PT{seconds}S"


def list_snapshots(session: Session, page: int, page_size: int) -> dict[str, Any]:
    """Snapshot headers, newest first."""
    total = session.scalar(select(func.count()).select_from(Snapshot)) or 0
    rows = session.scalars(
        select(Snapshot)
        .order_by(Snapshot.idx.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return {
        "items": [snapshot_header(s) for s in rows],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


def snapshot_grades(session: Session, index: int) -> dict[str, Any]:
    """A snapshot's header and every unit's grade. Raises UnknownSnapshot."""
    snapshot = get_snapshot(session, index)
    rows = session.execute(
        select(SnapshotRating.unit_id, SnapshotRating.role, SnapshotRating.grade)
        .where(SnapshotRating.content_hash == snapshot.content_hash)
        .order_by(SnapshotRating.role, SnapshotRating.unit_id)
    )
    return {
        "snapshot": snapshot_header(snapshot),
        "units": [{"unit_id": u, "role": r, "grade": g} for u, r, g in rows],
    }


def _party(session: Session, party_id: str) -> Party:
    party = session.get(Party, party_id)
    if party is None:
        raise UnknownParty(f"no party {party_id!r}")
    return party


def _published(body: dict[str, Any]) -> dict[str, Any]:
    lists = body.get("lists", {})
    return {
        "grade": body["grade"],
        "posterior_mean_per_million": body["posterior_mean_per_million"],
        "interval_per_million": body["interval_per_million"],
        "raw_rate_per_million": body.get("raw_rate_per_million"),
        "probability_better": body.get("probability_better"),
        "probability_worse": body.get("probability_worse"),
        "exposure": body["exposure"],
        "pickups": body.get("pickups"),
        "custody_segments": body.get("custody_segments"),
        "deliveries": body.get("deliveries"),
        "weighted_faults": body["weighted_faults"],
        "peer_group": body.get("peer_group"),
        "red_list": bool(lists.get("red_list")),
        "red_list_blockers": lists.get("red_list_blockers", []),
        "black_list_reasons": lists.get("black_list_reasons", []),
    }


def _unit_ratings(session: Session, unit_id: str) -> list[tuple[Snapshot, dict[str, Any]]]:
    """Every snapshot rating of the unit, in rating-time order (oldest first)."""
    rows = session.execute(
        select(Snapshot, SnapshotRating.body)
        .join(SnapshotRating, SnapshotRating.content_hash == Snapshot.content_hash)
        .where(SnapshotRating.unit_id == unit_id)
        .order_by(Snapshot.as_of, Snapshot.idx)
    )
    return [(snapshot, json.loads(body)) for snapshot, body in rows]


def unit_rating(session: Session, unit_id: str) -> dict[str, Any]:
    """The unit's latest rating (of the latest snapshot rating it) and its grade history.

    Raises NoSnapshot before the first snapshot, UnknownUnit when no snapshot rates the unit.
    """
    _latest(session)
    ratings = _unit_ratings(session, unit_id)
    if not ratings:
        raise UnknownUnit(f"no snapshot rates {unit_id!r}")
    snapshot, body = max(ratings, key=lambda pair: pair[0].idx)
    party = session.get(Party, unit_id)
    role = body["role"]
    return {
        "unit_id": unit_id,
        "name": party.name if party else None,
        "role": role,
        "company": _company_of(role, unit_id, party.company_id if party else None),
        "black_listed": unit_id in black_listed_states(session, [unit_id]),
        "snapshot": snapshot_header(snapshot),
        "method_version": body["method_version"],
        "latest": _published(body),
        "history": [
            {
                "snapshot": s.idx,
                "as_of": format_time(s.as_of),
                "grade": b["grade"],
                "posterior_mean_per_million": b["posterior_mean_per_million"],
                "interval_per_million": b["interval_per_million"],
            }
            for s, b in ratings
        ],
    }


def explanation(session: Session, unit_id: str, index: int | None) -> dict[str, Any]:
    """Complaint by complaint, how the unit's published weighted faults come about in a snapshot
    (the latest by default), with the sum of contributions recomputed in decimal arithmetic.

    Raises NoSnapshot, UnknownSnapshot, UnknownUnit.
    """
    snapshot = _latest(session) if index is None else get_snapshot(session, index)
    body_text = session.scalar(
        select(SnapshotRating.body).where(
            SnapshotRating.content_hash == snapshot.content_hash,
            SnapshotRating.unit_id == unit_id,
        )
    )
    if body_text is None:
        raise UnknownUnit(f"snapshot {snapshot.idx} does not rate {unit_id!r}")
    body = json.loads(body_text)
    rows = body.get("explanation", [])
    complaints = [row["complaint_id"] for row in rows]
    indices: dict[str, int] = {}
    if complaints:
        found = session.execute(
            select(Case.complaint, Case.complaint_idx).where(Case.complaint.in_(complaints))
        )
        indices = {complaint: idx for complaint, idx in found}
    published = Decimal(body["weighted_faults"])
    total = published * 0  # zero with the published number of places
    for row in rows:
        total += Decimal(row["contribution"])
    return {
        "unit_id": unit_id,
        "role": body["role"],
        "snapshot": snapshot_header(snapshot),
        "method_version": body["method_version"],
        "exposure": body["exposure"],
        "weighted_faults": body["weighted_faults"],
        "sum_of_contributions": format(total, "f"),
        "balanced": total == published,
        "raw_rate_per_million": body.get("raw_rate_per_million"),
        "posterior_mean_per_million": body["posterior_mean_per_million"],
        "interval_per_million": body["interval_per_million"],
        "grade": body["grade"],
        "peer_group": body.get("peer_group"),
        "complaints": [
            {
                "complaint": row["complaint_id"],
                "index": indices.get(row["complaint_id"]),
                "category": row["category"],
                "occurred_at": _time(row["occurred_at"]),
                "severity": row["severity"],
                "time_weight": row["time_weight"],
                "share": row["share"],
                "surcharge": row["surcharge"],
                "repaired": row["repaired"],
                "exact": row.get("exact"),
                "contribution": row["contribution"],
                "reason": row.get("reason"),
            }
            for row in rows
        ],
    }


# Lists


def _states(session: Session, party_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = [f"party/{p}" for p in set(party_ids)]
    if not ids:
        return {}
    rows = session.execute(select(Subject.id, Subject.state).where(Subject.id.in_(ids)))
    return {sid.removeprefix("party/"): state or {} for sid, state in rows}


def _parties_with(session: Session, kind: str, outcome: str | None = None) -> set[str]:
    query = select(CreditRecord.party_id).where(CreditRecord.kind == kind).distinct()
    if outcome is not None:
        query = query.where(CreditRecord.outcome == outcome)
    return set(session.scalars(query))


def black_listed_states(
    session: Session, among: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The black-listed parties (of `among`, or all), each with its {record, since, objected}."""
    candidates = _parties_with(session, "decision", "confirmed")
    if among is not None:
        candidates &= set(among)
    return {
        party: state["black_listed"]
        for party, state in _states(session, candidates).items()
        if state.get("black_listed")
    }


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
