"""Reads of the published ratings (公示): the latest snapshot's table, the method, snapshots and a
unit's rating, history and explanation. The lists, admission and a party's own records are in
`list_queries`.

Public reads show rated units, grades and the complaints (by hash) that weigh in a rating: never
a complainant, never personal data. Snapshots are read as logged.
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

from trace_service.credit.models import CreditRecord, Snapshot, SnapshotRating
from trace_service.credit.parameters import DEFAULT_PARAMETERS, MethodParameters
from trace_service.credit.snapshots import get_snapshot, latest_snapshot
from trace_service.errors import DomainError, NotFound
from trace_service.identity.models import Party
from trace_service.lifecycle.models import Subject
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.models import Case
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
