"""Rating snapshots (评级快照): computed from the log alone, content-hashed, recorded in the log.

A snapshot is the rating of every courier unit as of a time over the log's first `tree_size`
entries. Its content is a header line and one line per unit (rating, explanation and list
standing), each in RFC 8785 canonical JSON, joined by newlines; the content hash is the SHA-256
of those bytes. The service logs a signed `snapshot` record naming the hash, then nominates for
the black list the units whose reasons call for it. Anyone holding the log recomputes the
content from the same cut and gets the same hash (`recompute`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.credit.lists import (
    ListReason,
    blacklist_nomination_reasons,
    red_list_blockers,
)
from trace_service.credit.method import UnitExposure, UnitRating, rate_units
from trace_service.credit.models import CreditRecord, Snapshot, SnapshotRating
from trace_service.credit.parameters import DEFAULT_PARAMETERS, Grade, MethodParameters, Role
from trace_service.credit.snapshot_inputs import (
    Cut,
    fault_rows,
    grade_history,
    repaired_complaints,
    unit_exposures,
    unit_faults,
)
from trace_service.errors import DomainError
from trace_service.ledger import log
from trace_service.ledger.canonical import canonical_json
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.models import Subject
from trace_service.lifecycle.service_records import record_as_service
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.operations import trace_pending
from trace_service.tracing.rulebook import RULES_VERSION


class SnapshotInFuture(DomainError):
    code = "snapshot_in_future"
    status = 422
    title = "A snapshot is as of a time already passed"


class UnknownSnapshot(DomainError):
    code = "unknown_snapshot"
    status = 404
    title = "No such snapshot"


@dataclass(frozen=True)
class SnapshotContent:
    """A computed snapshot: its canonical lines, hash, ratings and nomination reasons."""

    cut: Cut
    lines: list[bytes]
    content_hash: str
    ratings: list[UnitRating]
    nominations: dict[str, list[ListReason]]

    @property
    def body(self) -> bytes:
        return b"\n".join(self.lines)


@dataclass(frozen=True)
class SnapshotTaken:
    index: int
    hash: str
    content_hash: str
    units: int
    nominations: int


def _reasons(reasons: list[ListReason]) -> list[dict[str, Any]]:
    return [{"code": r.code, "detail": r.detail, "evidence": list(r.references)} for r in reasons]


def compute_snapshot(
    session: Session,
    cut: Cut,
    params: MethodParameters = DEFAULT_PARAMETERS,
    *,
    standing_only: bool = True,
) -> SnapshotContent:
    """Rate every unit at the cut, with list standing; reads the derived tables, writes nothing.

    `standing_only=False` also counts complaints without standing (what-if, never published).
    """
    exposures = unit_exposures(session, cut, params)
    rows = fault_rows(session, cut, params, standing_only=standing_only)
    faults = unit_faults(rows, repaired_complaints(session, cut), cut, params)
    known = {u.unit_id for u in exposures}
    roles = {"staff": "staff", "outlet": "outlet", "courier_company": "company"}
    missing: dict[str, str] = {}
    for row in rows:  # faulted units that handled nothing in the window still get rated
        for unit, kind in ((row.party_id, row.party_kind), (row.outlet_id, "outlet"),
                           (row.company_id, "courier_company")):  # fmt: skip
            if unit and unit not in known:
                missing[unit] = roles[kind]
    exposures += [UnitExposure(unit, Role(role), 0, 0, 0) for unit, role in missing.items()]
    ratings = rate_units(exposures, faults, cut.as_of, params)
    history = grade_history(session, cut)
    by_unit: dict[str, list[Any]] = defaultdict(list)
    for fault in faults:
        by_unit[fault.unit_id].append(fault)
    fabrications: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.fabrication:
            fabrications[row.party_id].append(row.fabrication)
    header = {
        "kind": "header",
        "as_of": format_time(cut.as_of),
        "tree_size": cut.tree_size,
        "method_version": params.version,
        "rules_version": RULES_VERSION,
        "parameters": params.as_dict(),
        "units": len(ratings),
    }
    lines = [canonical_json(header)]
    nominations: dict[str, list[ListReason]] = {}
    for rating in ratings:
        records = [*history.get(rating.unit_id, []), rating.grade_record()]
        unit_faults_ = by_unit.get(rating.unit_id, [])
        blockers = red_list_blockers(records, unit_faults_, params)
        black = blacklist_nomination_reasons(
            records, unit_faults_, params, fabrications.get(rating.unit_id, ())
        )
        if black:
            nominations[rating.unit_id] = black
        line = {
            "kind": "rating",
            **rating.as_dict(),
            "lists": {
                "red_list": not blockers,
                "red_list_blockers": _reasons(blockers),
                "black_list_reasons": _reasons(black),
            },
        }
        lines.append(canonical_json(line))
    digest = hashlib.sha256(b"\n".join(lines)).hexdigest()
    return SnapshotContent(cut, lines, digest, ratings, nominations)


def store_content(session: Session, content: SnapshotContent) -> None:
    """Keep the rating lines under the content hash (before the snapshot is logged); commits."""
    exists = session.scalar(
        select(SnapshotRating.unit_id).where(SnapshotRating.content_hash == content.content_hash)
        .limit(1)
    )  # fmt: skip
    if exists is None:
        session.add_all(
            SnapshotRating(
                content_hash=content.content_hash,
                unit_id=rating.unit_id,
                role=rating.role.value,
                grade=rating.grade.value,
                body=line.decode(),
            )
            for rating, line in zip(content.ratings, content.lines[1:], strict=True)
        )
    session.commit()


def take_snapshot(
    session: Session,
    ctx: IngestContext,
    as_of: datetime,
    now: datetime,
    params: MethodParameters = DEFAULT_PARAMETERS,
) -> SnapshotTaken:
    """Trace pending complaints, rate as of `as_of` over the whole log so far, log the snapshot
    and the black-list nominations it calls for; commits.

    Raises SnapshotInFuture when `as_of` is after `now`.
    """
    if as_of > now:
        raise SnapshotInFuture(f"as_of {format_time(as_of)} is after {format_time(now)}")
    trace_pending(session, ctx, now)
    cut = Cut(as_of, log.tree_size(session))
    session.rollback()
    content = compute_snapshot(session, cut, params)
    store_content(session, content)
    fields = {
        "as_of": as_of,
        "tree_size": cut.tree_size,
        "method_version": params.version,
        "rules_version": RULES_VERSION,
        "content_hash": content.content_hash,
        "units": len(content.ratings),
    }
    [receipt] = record_as_service(session, ctx, [("snapshot", "ratings", fields)], now)
    open_ = _open_nominations(session, set(content.nominations))
    cleared = cleared_reasons(session, set(content.nominations), as_of)
    records = [
        ("nomination", f"party/{unit}",
         {"list": "black", "snapshot": receipt.hash,
          "reasons": [{"code": r.code, "detail": r.detail, "evidence": nomination_evidence(r)}
                      for r in reasons]})
        for unit, reasons in sorted(content.nominations.items())
        if unit not in open_ and not _all_cleared(reasons, cleared.get(unit, set()))
    ]  # fmt: skip
    record_as_service(session, ctx, records, now)
    return SnapshotTaken(
        receipt.index, receipt.hash, content.content_hash, len(content.ratings), len(records)
    )


# A nomination names at most this many complaints per reason (the payload's limit): the most
# recent ones. The whole list is in the snapshot content the nomination names (content-hashed and
# logged), and the reason's detail gives the count, so nothing is lost; a busy company's serious
# faults over 24 months run into the thousands.
NOMINATION_EVIDENCE = 500


def nomination_evidence(reason: ListReason) -> list[str]:
    """The evidence a nomination carries for a reason: its latest complaints (references are in
    time order), as many as a payload takes."""
    return list(reason.references[-NOMINATION_EVIDENCE:])


def _open_nominations(session: Session, units: set[str]) -> set[str]:
    """Units already nominated or black-listed (a unit is nominated once until decided)."""
    if not units:
        return set()
    states = session.execute(
        select(Subject.id, Subject.state).where(Subject.id.in_([f"party/{u}" for u in units]))
    )
    return {
        sid.removeprefix("party/")
        for sid, state in states
        if state.get("nomination") or state.get("black_listed")
    }


# A reason without evidence (persistent grade D) that a regulator cleared is not raised again
# until this long after the decision, when the run of grades behind it is a new one.
CLEARED_FOR = timedelta(days=4 * 31)


def cleared_reasons(
    session: Session, units: set[str], as_of: datetime
) -> dict[str, set[tuple[str, str]]]:
    """Per unit, the (reason code, evidence) pairs of nominations a regulator rejected, or whose
    listing it reversed on objection: nominating again on them alone would ask the same question.
    """
    if not units:
        return {}
    records = {
        r.hash: r
        for r in session.scalars(select(CreditRecord).where(CreditRecord.party_id.in_(units)))
    }
    cleared: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for record in records.values():
        if record.kind != "decision" or record.outcome not in ("rejected", "reversed"):
            continue
        nomination = records.get(record.on or "")
        if nomination is not None and nomination.kind == "objection":  # objection -> listing
            listing = records.get(nomination.on or "")
            nomination = records.get(listing.on or "") if listing is not None else None
        if nomination is None or nomination.kind != "nomination":
            continue
        recent = as_of - _aware(record.at) < CLEARED_FOR
        for reason in nomination.details.get("reasons", []):
            evidence = reason.get("evidence") or []
            if evidence:
                cleared[record.party_id].update((reason["code"], e) for e in evidence)
            elif recent:
                cleared[record.party_id].add((reason["code"], ""))
    return cleared


def _all_cleared(reasons: list[ListReason], cleared: set[tuple[str, str]]) -> bool:
    # Compared as nominated: a rejected nomination cleared the evidence it carried.
    pairs = {(r.code, e) for r in reasons for e in (nomination_evidence(r) or ("",))}
    return bool(pairs) and pairs <= cleared


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest_snapshot(session: Session) -> Snapshot | None:
    return session.scalar(select(Snapshot).order_by(Snapshot.idx.desc()).limit(1))


def get_snapshot(session: Session, index: int) -> Snapshot:
    """The snapshot logged at `index`; raises UnknownSnapshot."""
    snapshot = session.get(Snapshot, index)
    if snapshot is None:
        raise UnknownSnapshot(f"no snapshot at log index {index}")
    return snapshot


def snapshot_content(session: Session, index: int) -> bytes:
    """The stored canonical content of the snapshot at `index`; raises UnknownSnapshot."""
    snapshot = get_snapshot(session, index)
    bodies = session.scalars(
        select(SnapshotRating.body).where(SnapshotRating.content_hash == snapshot.content_hash)
    )
    ratings = sorted((json.loads(body) for body in bodies), key=lambda r: (r["role"], r["unit_id"]))
    header = {
        "kind": "header",
        "as_of": format_time(snapshot.as_of),
        "tree_size": snapshot.tree_size,
        "method_version": snapshot.method_version,
        "rules_version": snapshot.rules_version,
        "parameters": DEFAULT_PARAMETERS.as_dict(),
        "units": snapshot.units,
    }
    return b"\n".join([canonical_json(header), *(canonical_json(r) for r in ratings)])


@dataclass(frozen=True)
class Recomputed:
    index: int
    logged_hash: str
    recomputed_hash: str

    @property
    def matches(self) -> bool:
        return self.logged_hash == self.recomputed_hash


def recompute(session: Session, index: int) -> Recomputed:
    """Recompute the snapshot at `index` from the log and compare with its logged hash.

    Raises UnknownSnapshot; ValueError when the snapshot's method version is not this one's.
    """
    snapshot = get_snapshot(session, index)
    if snapshot.method_version != DEFAULT_PARAMETERS.version:
        raise ValueError(f"snapshot uses method {snapshot.method_version}")
    as_of = snapshot.as_of
    content = compute_snapshot(session, Cut(as_of, snapshot.tree_size))
    return Recomputed(index, snapshot.content_hash, content.content_hash)


__all__ = [
    "Grade",
    "SnapshotTaken",
    "compute_snapshot",
    "latest_snapshot",
    "recompute",
    "snapshot_content",
    "take_snapshot",
]
