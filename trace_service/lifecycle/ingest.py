"""Accepting signed events: verify, check the chain and the lifecycle rules, append to the log.

Signatures are verified before the log's write lock is taken (that is the CPU-heavy part and
runs in parallel across workers); chain heads, rules and the append run under the lock so that
concurrent writers can never fork a chain or leave a gap in the log. A batch is accepted event
by event: each gets its own receipt or problem, and a later event may build on an earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from trace_service.db import serialized_write
from trace_service.errors import DomainError
from trace_service.identity.models import Party
from trace_service.ledger import log
from trace_service.ledger.envelope import (
    key_id,
)
from trace_service.ledger.indexing import IndexedEvent, index_events
from trace_service.ledger.key_holder import KeyHolder
from trace_service.ledger.log_key import LogKey
from trace_service.ledger.models import LogEntry
from trace_service.ledger.record_errors import violation
from trace_service.ledger.record_rules import apply_event, check_signing_time
from trace_service.ledger.records import (
    fact_sources,
    referenced_parties,
    referenced_subjects,
    wanted_facts,
)
from trace_service.ledger.transitions import PartyFacts, World
from trace_service.lifecycle import personal_data
from trace_service.lifecycle.models import ParcelItem
from trace_service.lifecycle.receipts import Outcome, Receipt, stored_receipt
from trace_service.lifecycle.subject_heads import (
    Head,
    core_table,
    load_heads,
    state_lookup,
    store_buyer_keys,
    store_heads,
)
from trace_service.lifecycle.submissions import Prepared, prepare_submission, resolve_signers


class Fork(DomainError):
    code = "fork"
    status = 409
    title = "Another event already follows the same predecessor"


@dataclass(frozen=True)
class _Accepted:
    events: list[Prepared]
    appended: log.Appended | None


@dataclass(frozen=True)
class IngestContext:
    """What ingest needs from the app: the log key, the data vault and the clock bound; and the
    service's records key, for the records the service itself signs."""

    log_key: LogKey
    vault: personal_data.Vault
    skew_seconds: int
    service_key: KeyHolder | None = None

    @classmethod
    def for_app(cls, app: Flask, skew_seconds: int | None = None) -> IngestContext:
        """The context of `app` (its keys and vault); `skew_seconds` overrides the clock bound."""
        return cls(
            log_key=app.extensions["trace_log_key"],
            vault=app.extensions["trace_vault"],
            skew_seconds=app.config["CLOCK_SKEW_SECONDS"] if skew_seconds is None else skew_seconds,
            service_key=app.extensions.get("trace_service_key"),
        )


def _load_world(session: Session, prepared: list[Prepared]) -> tuple[dict[str, Head], World]:
    """The chain heads of every subject the batch touches, and the parties and facts its rules
    consult (each registered fact source reads the keys the batch's payloads want)."""
    subjects: set[str] = set()
    party_ids: set[str] = set()
    for p in prepared:
        payload = p.envelope.payload
        subjects |= referenced_subjects(payload)
        party_ids |= referenced_parties(payload)
    heads = load_heads(session, subjects)
    # Second round: subjects only known from a loaded state (the items of a received parcel).
    more = {
        s for p in prepared for s in referenced_subjects(p.envelope.payload, state_lookup(heads))
    } - set(heads)
    heads.update(load_heads(session, more))
    parties = (
        {
            p.id: PartyFacts(p.id, p.kind, p.company_id, p.status == "active", p.outlet_id)
            for p in session.scalars(select(Party).where(Party.id.in_(party_ids)))
        }
        if party_ids
        else {}
    )
    wanted = wanted_facts(p.envelope.payload for p in prepared)
    facts = {
        source.name: source.load(session, wanted[source.name]) if wanted[source.name] else {}
        for source in fact_sources()
    }
    return heads, World(parties, facts)


def _check_chain(
    session: Session, payload: dict[str, Any], head: Head | None, links: dict[tuple[str, str], str]
) -> None:
    prev = payload["prev"]
    current = head.head if head else None
    if prev == current:
        return
    subject = payload["subject"]
    # The winner may be an earlier event of this batch, not yet written.
    winner = links.get((subject, prev or "")) or session.scalar(
        select(LogEntry.hash).where(LogEntry.subject == subject, LogEntry.prev == (prev or ""))
    )
    if winner is not None:
        raise Fork(
            f"{subject} already has an event after {prev or 'its start'}; "
            f"build on its current head instead",
            winner=winner,
            head=current,
        )
    if prev is None:
        raise Fork(f"{subject} already has events; name its head as prev", head=current)
    raise violation(
        "unknown_prev", f"prev {prev} is not an event of {subject}", head=current, subject=subject
    )


def ingest(
    session: Session, submissions: Sequence[Any], ctx: IngestContext, now: datetime
) -> list[Outcome]:
    """Accept each submission (an envelope, plus personal_data for a dispatch) or say why not.

    Returns one Receipt or DomainError per submission, in order; nothing of a refused event is
    written. Raises only for failures of the database itself.
    """
    outcomes: list[Outcome | None] = [None] * len(submissions)
    prepared: list[Prepared] = []
    for position, raw in enumerate(submissions):
        try:
            prepared.append(prepare_submission(position, raw))
        except DomainError as exc:
            outcomes[position] = exc
    # An envelope already in the log gets its receipt back, however late the retry and whatever
    # became of its key since (idempotent resubmission); only new events face the clock bound
    # and the key checks.
    hashes = [p.envelope.hash for p in prepared]
    logged = (
        set(session.scalars(select(LogEntry.hash).where(LogEntry.hash.in_(hashes))))
        if hashes
        else set()
    )
    fresh = [p for p in prepared if p.envelope.hash not in logged]
    for p in fresh:
        try:
            check_signing_time(p.signed_at, now, ctx.skew_seconds)
        except DomainError as exc:
            outcomes[p.position] = exc
    resolve_signers(session, [p for p in fresh if outcomes[p.position] is None], outcomes)
    prepared = [p for p in prepared if outcomes[p.position] is None]
    # Verification ran in a read transaction; the write lock starts a fresh one.
    accepted = _Accepted([], None)
    duplicates: dict[int, str] = {}
    if prepared:
        with serialized_write(session):
            accepted = _apply_under_lock(session, prepared, outcomes, duplicates, ctx, now)
    return _receipts(session, outcomes, accepted, duplicates)


def _apply_under_lock(
    session: Session,
    prepared: list[Prepared],
    outcomes: list[Outcome | None],
    duplicates: dict[int, str],
    ctx: IngestContext,
    now: datetime,
) -> _Accepted:
    hashes = [p.envelope.hash for p in prepared]
    known = set(session.scalars(select(LogEntry.hash).where(LogEntry.hash.in_(hashes))))
    heads, world = _load_world(session, prepared)
    accepted: list[Prepared] = []
    seen: set[str] = set()
    buyer_keys: dict[str, tuple[bytes, datetime]] = {}
    parcel_items: list[dict[str, str]] = []
    touched: set[str] = set()
    links: dict[tuple[str, str], str] = {}  # (subject, prev) -> hash of this batch's events
    size = log.tree_size(session)
    for p in prepared:
        payload = p.envelope.payload
        if p.envelope.hash in known or p.envelope.hash in seen:
            duplicates[p.position] = p.envelope.hash  # idempotent resubmission
            continue
        try:
            subject = payload["subject"]
            _check_chain(session, payload, heads.get(subject), links)
            state_of = state_lookup(heads)
            involved = referenced_subjects(payload, state_of)
            states = {s: state_of(s) for s in involved}
            transition = apply_event(payload, p.signers, states, world, p.envelope.hash)
        except DomainError as exc:
            outcomes[p.position] = exc
            continue
        index = size + len(accepted)
        for sid, state in transition.states.items():
            head = heads.get(sid)
            if sid == subject:
                heads[sid] = Head(
                    p.envelope.hash,
                    index,
                    (head.length if head else 0) + 1,
                    state,
                    head.stored if head else False,
                )
            elif head is not None:
                head.state = state
        if transition.buyer_key is not None:
            buyer_keys.setdefault(key_id(transition.buyer_key), (transition.buyer_key, p.signed_at))
        parcel_items.extend({"item": i, "parcel": subject} for i in transition.parcel_items)
        if p.recipient is not None:
            personal_data.store(session, ctx.vault, subject, p.recipient, now)
        seen.add(p.envelope.hash)
        links[(subject, payload["prev"] or "")] = p.envelope.hash
        touched |= transition.states.keys()
        accepted.append(p)
    if not accepted:
        return _Accepted(accepted, None)
    store_heads(session, {s: heads[s] for s in touched if s in heads})
    store_buyer_keys(session, buyer_keys)
    if parcel_items:
        session.execute(insert(core_table(ParcelItem)), parcel_items)
    appended = log.append(
        session,
        [
            log.NewEntry(
                body=p.envelope.body,
                hash=p.envelope.hash,
                subject=p.envelope.payload["subject"],
                type=p.envelope.payload["type"],
                prev=p.envelope.payload["prev"],
                signed_at=p.signed_at,
            )
            for p in accepted
        ],
        ctx.log_key,
        now,
        old_size=size,
    )
    index_events(
        session,
        [
            IndexedEvent(size + i, p.envelope.hash, p.envelope.payload, p.signers, p.signed_at)
            for i, p in enumerate(accepted)
        ],
        world,
    )
    return _Accepted(accepted, appended)


def _receipts(
    session: Session,
    outcomes: list[Outcome | None],
    accepted: _Accepted,
    duplicates: dict[int, str],
) -> list[Outcome]:
    appended = accepted.appended
    if appended is not None:
        # Fresh entries: everything a receipt needs is in memory, bar a few old frontier nodes.
        indices = [appended.first_index + i for i in range(len(accepted.events))]
        overlay = {**appended.known, **appended.nodes}  # what the proofs need, bar rare misses
        proofs = log.inclusion_proofs(session, indices, appended.size, overlay)
        for p, index, proof in zip(accepted.events, indices, proofs, strict=True):
            outcomes[p.position] = Receipt(
                index=index,
                hash=p.envelope.hash,
                leaf_hash=appended.nodes[(0, index)],
                integrated_at=appended.integrated_at,
                checkpoint=appended.note,
                tree_size=appended.size,
                inclusion=proof,
            )
    if duplicates:
        rows = {
            e.hash: e
            for e in session.scalars(
                select(LogEntry).where(LogEntry.hash.in_(list(duplicates.values())))
            )
        }
        for position, digest in duplicates.items():
            outcomes[position] = stored_receipt(session, rows[digest])
    if session.in_transaction():
        session.rollback()  # end the read transaction promptly
    return [o for o in outcomes if o is not None]
