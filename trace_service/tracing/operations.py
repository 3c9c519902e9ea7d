"""Tracing complaints back (责任倒查) as the service does it: read the log, apply the rules, sign
and log the attribution.

`trace_pending` attributes every complaint not yet traced, and re-traces the undecided ones whose
outcome waited on time or on events still to come (a parcel not yet overdue, not yet delivered).
Everything it reads is in the log: the complaint, its parcel's custody events, its items' sales,
and the logged reads of the recipient's data.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.identity.models import Party, PartyKey
from trace_service.ledger.models import LogEntry
from trace_service.ledger.records import subject_kind
from trace_service.ledger.transitions import Signer
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.models import ParcelItem, PersonalDataRead
from trace_service.lifecycle.service_records import record_as_service
from trace_service.plumbing.timestamps import parse_time
from trace_service.tracing.attribution import Attribution, DataRead, attribute_complaint
from trace_service.tracing.custody import LoggedEvent
from trace_service.tracing.models import Case, CaseRecord, CaseShare
from trace_service.tracing.standing import has_standing

# Undecided findings that later time or later events can settle: these are traced again.
RETRACED_RULES = frozenset(
    {
        "lost.not_yet_due",
        "delayed.not_yet_due",
        "signoff.not_delivered",
        "conduct.not_delivered",
        "chain.not_dispatched",
    }
)
BATCH = 500


def decimal_shares(shares: Sequence[tuple[str, str, float]]) -> list[dict[str, str]]:
    """Shares as logged: decimal strings with 6 places summing to exactly 1 (largest remainder);
    none for an outcome that attributes nothing.

    Raises ValueError when the shares do not sum to 1 within rounding.
    """
    if not shares:
        return []
    total = sum(share for _, _, share in shares)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares sum to {total}, not 1")
    exact = [share * 1_000_000 for _, _, share in shares]
    micro = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (micro[i] - exact[i], i))
    for i in order[: 1_000_000 - sum(micro)]:
        micro[i] += 1
    return [
        {"party": party, "role": role, "share": f"{m / 1_000_000:.6f}".rstrip("0").rstrip(".")}
        for (party, role, _), m in zip(shares, micro, strict=True)
    ]


def attribution_fields(attribution: Attribution, complainant_kind: str) -> dict[str, Any]:
    """The logged payload members of an attribution (besides v, type, subject, prev, time)."""
    return {
        "complaint": attribution.complaint,
        "category": attribution.category,
        "outcome": attribution.outcome,
        "shares": decimal_shares([(s.party_id, s.role, s.share) for s in attribution.shares]),
        "rule": attribution.rule,
        "rules_version": attribution.rules_version,
        "evidence": list(attribution.evidence),
        "explanation": {"zh": attribution.explanation_zh, "en": attribution.explanation_en},
        "verified_purchase": attribution.verified_purchase,
        "standing": has_standing(complainant_kind, attribution.verified_purchase),
    }


def trace_pending(session: Session, ctx: IngestContext, now: datetime) -> int:
    """Attribute untraced complaints and re-trace the waiting ones as of `now`; returns how many
    records were logged. Commits."""
    cases = list(
        session.scalars(
            select(Case).where(Case.current_idx.is_(None), Case.complained_at <= now)
            .order_by(Case.complaint_idx)
        )
    )  # fmt: skip
    waiting = {
        record.complaint: record
        for record in session.scalars(
            select(CaseRecord)
            .join(Case, Case.current_idx == CaseRecord.idx)
            .where(CaseRecord.rule.in_(RETRACED_RULES), Case.objection_idx.is_(None))
        )
    }
    if waiting:
        cases += session.scalars(select(Case).where(Case.complaint.in_(list(waiting))))
    logged = 0
    for start in range(0, len(cases), BATCH):
        chunk = cases[start : start + BATCH]
        evidence = _Evidence(session, chunk)
        records = []
        for case in chunk:
            attribution = evidence.attribute(case, now)
            previous = waiting.get(case.complaint)
            if previous is not None and _same_finding(session, previous, attribution):
                continue
            fields = attribution_fields(attribution, case.complainant_kind)
            records.append(("attribution", f"case/{case.complaint}", fields))
        logged += len(record_as_service(session, ctx, records, now))
    return logged


def _same_finding(session: Session, record: CaseRecord, attribution: Attribution) -> bool:
    shares = {
        (s.party_id, s.share_micro)
        for s in session.scalars(select(CaseShare).where(CaseShare.record_idx == record.idx))
    }
    new = {(s.party_id, round(s.share * 1_000_000)) for s in attribution.shares}
    return (
        record.rule == attribution.rule
        and record.outcome == attribution.outcome
        and (shares == new)
    )


class _Evidence:
    """The logged events a batch of cases rests on, read in a few queries."""

    def __init__(self, session: Session, cases: Sequence[Case]) -> None:
        self.session = session
        subjects = {c.subject for c in cases}
        # A serialised item travels in one parcel; a lot (/10/) in many, so a complaint about a
        # lot itself is traced without a parcel.
        items = {s for s in subjects if subject_kind(s) == "item"}
        self.parcel_of: dict[str, str] = {}
        serialised = {s for s in items if not _is_lot(s)}
        if serialised:
            for item, parcel in session.execute(
                select(ParcelItem.item, ParcelItem.parcel).where(ParcelItem.item.in_(serialised))
            ):
                self.parcel_of[item] = parcel
        parcels = {self.parcel_of.get(s, s) for s in subjects} - items
        parcel_items: dict[str, set[str]] = defaultdict(set)
        if parcels:
            for item, parcel in session.execute(
                select(ParcelItem.item, ParcelItem.parcel).where(ParcelItem.parcel.in_(parcels))
            ):
                parcel_items[parcel].add(item)
        self.parcel_items = parcel_items
        wanted = parcels | {i for i in items if not _is_lot(i)}
        wanted |= {i for p in parcels for i in parcel_items[p] if not _is_lot(i)}
        entries = self._entries(LogEntry.subject.in_(wanted)) if wanted else []
        complaints = self._entries(LogEntry.hash.in_([c.complaint for c in cases]))
        self.by_subject: dict[str, list[LoggedEvent]] = defaultdict(list)
        for event in entries:
            self.by_subject[event.subject].append(event)
        self.lot_records: dict[tuple[str, str], list[LoggedEvent]] = {}
        for parcel in parcels:
            dispatch = next(iter(self.by_subject.get(parcel, [])), None)
            for lot in filter(_is_lot, parcel_items[parcel]):
                self.lot_records[(parcel, lot)] = self._lot_sale(lot, dispatch)
        self.complaints = {event.hash: event for event in complaints}
        self.reads: dict[str, list[DataRead]] = defaultdict(list)
        if parcels:
            for parcel, party, at in session.execute(
                select(PersonalDataRead.parcel, PersonalDataRead.party_id, PersonalDataRead.read_at)
                .where(PersonalDataRead.parcel.in_(parcels))
            ):  # fmt: skip
                self.reads[parcel].append(DataRead(party, at))

    def _lot_sale(self, lot: str, dispatch: LoggedEvent | None) -> list[LoggedEvent]:
        """A lot's first listing and the last sale before the parcel's dispatch (its buyer's)."""
        listing = self._entries((LogEntry.subject == lot) & (LogEntry.prev == ""))
        if dispatch is None:
            return listing
        before = self._entries(
            (LogEntry.subject == lot) & (LogEntry.idx < dispatch.index) & (LogEntry.type == "sale"),
            newest=1,
        )
        return listing + before

    def _entries(self, condition: Any, newest: int | None = None) -> list[LoggedEvent]:
        query = select(LogEntry.idx, LogEntry.hash, LogEntry.body).where(condition)
        if newest is not None:
            query = query.order_by(LogEntry.idx.desc()).limit(newest)
        rows = sorted(self.session.execute(query))
        parsed = [(idx, digest, json.loads(body)) for idx, digest, body in rows]
        signers = _signers(
            self.session, {s["keyid"] for *_, raw in parsed for s in raw["signatures"]}
        )
        return [
            LoggedEvent(
                digest,
                idx,
                raw["payload"]["type"],
                parse_time(raw["payload"]["time"]),
                raw["payload"],
                tuple(signers.get(s["keyid"], Signer(s["keyid"])) for s in raw["signatures"]),
            )
            for idx, digest, raw in parsed
        ]

    def attribute(self, case: Case, now: datetime) -> Attribution:
        parcel = self.parcel_of.get(case.subject, case.subject)
        is_parcel = subject_kind(parcel) == "parcel"
        parcel_events = self.by_subject.get(parcel, []) if is_parcel else []
        items = self.parcel_items.get(parcel, set()) if is_parcel else {case.subject}
        item_events = sorted(
            [e for item in items | {case.subject} for e in self.by_subject.get(item, [])]
            + [e for item in items for e in self.lot_records.get((parcel, item), [])],
            key=lambda e: e.index,
        )
        reads = self.reads.get(parcel, []) if is_parcel else []
        return attribute_complaint(
            self.complaints[case.complaint], parcel_events, item_events, now, reads=reads
        )


def _is_lot(subject: str) -> bool:
    return "/10/" in subject


def _signers(session: Session, keyids: Iterable[str]) -> dict[str, Signer]:
    keyids = set(keyids)
    if not keyids:
        return {}
    found: dict[str, Signer] = {}
    for keyid, party in session.execute(
        select(PartyKey.keyid, Party)
        .outerjoin(Party, Party.id == PartyKey.party_id)
        .where(PartyKey.keyid.in_(keyids))
    ):
        found[keyid] = (
            Signer(keyid, party.id, party.kind, party.company_id, party.outlet_id)
            if party is not None
            else Signer(keyid)
        )
    return found
