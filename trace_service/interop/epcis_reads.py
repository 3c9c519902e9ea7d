"""Which logged events an EPCIS export holds, read from the log entries themselves.

An item's export holds its events, those of every parcel it travelled in and the records of
complaint cases about any of them (as the resolver shows an item's route); a parcel's, its own
events and its cases' records; a time range's, every exported event signed in [start, end), a
page at a time in log order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trace_service.errors import NotFound
from trace_service.identity.models import Party, PartyKey
from trace_service.interop.epcis import EXPORTED_TYPES, LoggedEvent
from trace_service.ledger.envelope import Envelope, b64
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.models import ParcelItem
from trace_service.lifecycle.resolve import read_entry
from trace_service.tracing.models import Case


def _with_cases(session: Session, subjects: Sequence[str]) -> list[LogEntry]:
    """The entries of `subjects` and of the complaint cases about them, in log order."""
    cases = select(Case.complaint).where(Case.subject.in_(subjects))
    case_subjects = [f"case/{c}" for c in session.scalars(cases)]
    return list(
        session.scalars(
            select(LogEntry)
            .where(LogEntry.subject.in_([*subjects, *case_subjects]))
            .order_by(LogEntry.idx)
        )
    )


def item_entries(session: Session, item: str) -> list[LogEntry]:
    """An item's (or lot's) entries, with its parcels' and its cases'; raises NotFound."""
    parcels = session.scalars(select(ParcelItem.parcel).where(ParcelItem.item == item))
    entries = _with_cases(session, [item, *parcels])
    if not entries:
        raise NotFound(f"{item} has no recorded history", code="unknown_subject")
    return entries


def parcel_entries(session: Session, parcel: str) -> list[LogEntry]:
    """A parcel's entries and its cases'; raises NotFound."""
    entries = _with_cases(session, [parcel])
    if not entries:
        raise NotFound(f"{parcel} has no recorded history", code="unknown_subject")
    return entries


def range_entries(
    session: Session, start: datetime, end: datetime, after: int, limit: int
) -> list[LogEntry]:
    """Up to `limit` exported entries signed in [start, end) with an index above `after`."""
    return list(
        session.scalars(
            select(LogEntry)
            .where(
                LogEntry.signed_at >= start,
                LogEntry.signed_at < end,
                LogEntry.idx > after,
                LogEntry.type.in_(EXPORTED_TYPES),
                ~or_(LogEntry.subject.startswith("party/"), LogEntry.subject == "ratings"),
            )
            .order_by(LogEntry.idx)
            .limit(limit)
        )
    )


def logged_events(
    session: Session, entries: Iterable[LogEntry]
) -> tuple[list[LoggedEvent], dict[str, str]]:
    """The entries as the export reads them, and the subject of each complaint their case
    records name. Entries whose bytes do not parse or match their hash are left out (the
    verifier command names them)."""
    reads = [
        (r.entry, r.envelope)
        for r in map(read_entry, entries)
        if r.envelope is not None and not r.problem
    ]
    keyids = {s.keyid for _, envelope in reads for s in envelope.signatures}
    owners: dict[str, str | None] = {}
    kinds: dict[str, str] = {}
    for keyid, party_id, kind in session.execute(
        select(PartyKey.keyid, PartyKey.party_id, Party.kind)
        .outerjoin(Party, Party.id == PartyKey.party_id)
        .where(PartyKey.keyid.in_(keyids))
    ):
        owners[keyid] = party_id
        if party_id is not None and kind is not None:
            kinds[party_id] = kind
    complaints = {
        entry.subject.removeprefix("case/")
        for entry, _ in reads
        if entry.subject.startswith("case/")
    }
    subjects = dict(
        session.execute(
            select(LogEntry.hash, LogEntry.subject).where(
                LogEntry.hash.in_(complaints), LogEntry.type == "complaint"
            )
        ).all()
    )
    events = [
        LoggedEvent(
            index=entry.idx,
            hash=entry.hash,
            type=entry.type,
            subject=entry.subject,
            payload=envelope.payload,
            signatures=tuple((s.keyid, b64(s.sig)) for s in envelope.signatures),
            signers=tuple(owners.get(s.keyid) for s in envelope.signatures),
            signer_kinds={
                p: kinds[p] for s in envelope.signatures if (p := owners.get(s.keyid)) in kinds
            },
            recorded_at=entry.integrated_at,
        )
        for entry, envelope in reads
    ]
    return events, subjects


def keyids_of(envelope: Envelope) -> list[str]:
    return [s.keyid for s in envelope.signatures]
