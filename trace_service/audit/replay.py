"""The replay half of the log verifier: signatures, per-subject chains and lifecycle rules.

Entries arrive in index order. Each one's signatures are checked against `party_keys` (a buyer's
key against the `buyer_key` of the sale that introduced it), its `prev` against the chain head of
its subject, and its payload against the registered rules (`ledger.record_rules.apply_event`),
exactly as ingest applies them. Only the
chain heads and states of subjects are kept in memory. Derived tables (`subjects`,
`parcel_items`, buyer keys in `party_keys`) are compared with the replay at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nacl.exceptions
import nacl.signing
from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.audit.derived import DerivedCheck
from trace_service.errors import DomainError
from trace_service.identity.models import Party, PartyKey
from trace_service.ledger.canonical import event_signing_input
from trace_service.ledger.envelope import Envelope, key_id
from trace_service.ledger.indexing import IndexedEvent
from trace_service.ledger.models import LogEntry
from trace_service.ledger.record_rules import apply_event
from trace_service.ledger.records import fact_sources, referenced_subjects, subject_kind
from trace_service.ledger.transitions import PartyFacts, Signer, State, World
from trace_service.lifecycle.models import ParcelItem, Subject
from trace_service.plumbing.timestamps import format_time

AddProblem = Callable[[str, str, str], None]

_STREAM = 2000
_LOOKUP_CHUNK = 400


@dataclass(frozen=True, slots=True)
class KeyRow:
    party_id: str | None
    public_key: bytes
    valid_from: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Introduced:
    """A buyer key as the sale that first named it introduced it."""

    public_key: bytes
    at: datetime
    idx: int


class _Head:
    __slots__ = ("checked", "hash", "idx", "length", "state")

    def __init__(self, digest: str, idx: int, length: int, state: State | None) -> None:
        self.hash = digest
        self.idx = idx
        self.length = length
        self.state = state
        self.checked = False


@dataclass(slots=True)
class _Link:
    """An entry as the replay saw it; kept while its chain link is not explained."""

    idx: int
    digest: str
    subject: str
    prev: str | None
    head: _Head | None
    payload: dict[str, Any]
    signers: list[Signer] | None
    at: datetime | None
    violation: str | None = None


def stored_bytes(value: bytes | str) -> bytes:
    """A stored log body as bytes; one an edit stored as text is read as its UTF-8 bytes."""
    return value.encode() if isinstance(value, str) else bytes(value)


def _entry(idx: int) -> str:
    return f"log_entries idx={idx}"


class Replay:
    def __init__(self, session: Session, add: AddProblem) -> None:
        self.add = add
        self.keys = {
            k: KeyRow(p, bytes(pk), vf, ra)
            for k, p, pk, vf, ra in session.execute(
                select(PartyKey.keyid, PartyKey.party_id, PartyKey.public_key,
                       PartyKey.valid_from, PartyKey.revoked_at)
            )
        }  # fmt: skip
        # A party's status today says nothing about the day it signed: all count as active.
        self.parties = {
            pid: PartyFacts(pid, kind, company, True, outlet)
            for pid, kind, company, outlet in session.execute(
                select(Party.id, Party.kind, Party.company_id, Party.outlet_id)
            )
        }
        # Each fact source starts from what it trusts (products) and learns from the replay
        # (complaints, as their cases open).
        self.sources = fact_sources()
        self.facts: dict[str, dict[str, Any]] = {
            source.name: source.replay_start(session) if source.replay_start else {}
            for source in self.sources
        }
        self.world = World(self.parties, self.facts)
        self.derived = DerivedCheck(self.world, add)
        self.heads: dict[str, _Head] = {}
        self.introduced: dict[str, Introduced] = {}
        self.parcel_items: set[tuple[str, str]] = set()
        # Chain links that did not name their subject's head, until explained.
        self.pending: dict[int, _Link] = {}
        self.dangling: dict[str, list[int]] = {}

    # -- signatures -------------------------------------------------------------------------

    def signers(self, idx: int, envelope: Envelope, at: datetime | None) -> list[Signer]:
        """Verify every signature and say who stands behind it, reporting what does not hold."""
        message = event_signing_input(envelope.canonical_payload)
        signers: list[Signer] = []
        for s in envelope.signatures:
            key = self.keys.get(s.keyid)
            intro = self.introduced.get(s.keyid)
            if key is not None and (key.party_id is not None or intro is None):
                public, valid_from, revoked = key.public_key, key.valid_from, key.revoked_at
            elif intro is not None:
                # The signed sale is the root of trust for a buyer key, not the stored copy.
                public, valid_from, revoked = intro.public_key, intro.at, None
                if key is not None:
                    revoked = key.revoked_at
            else:
                self.add(_entry(idx), "unknown_key", f"key {s.keyid} is not in party_keys")
                signers.append(Signer(s.keyid))
                continue
            try:
                nacl.signing.VerifyKey(public).verify(message, s.sig)
            except (nacl.exceptions.BadSignatureError, ValueError):
                self.add(
                    _entry(idx), "bad_signature", f"signature by key {s.keyid} does not verify"
                )
            if at is not None and at < valid_from:
                self.add(
                    _entry(idx),
                    "key_not_yet_valid",
                    f"key {s.keyid} is valid from {format_time(valid_from)}",
                )
            elif at is not None and revoked is not None and at >= revoked:
                self.add(
                    _entry(idx),
                    "key_revoked",
                    f"key {s.keyid} was revoked at {format_time(revoked)}",
                )
            party = self.parties.get(key.party_id) if key and key.party_id else None
            if key is not None and key.party_id is not None and party is None:
                self.add(_entry(idx), "unknown_party", f"party {key.party_id} is not registered")
            if key is None or key.party_id is None:
                signers.append(Signer(s.keyid))
            elif party is None:
                signers.append(Signer(s.keyid, key.party_id))
            else:
                signers.append(
                    Signer(s.keyid, party.id, party.kind, party.company_id, party.outlet_id)
                )
        return signers

    # -- chains and rules -------------------------------------------------------------------

    def step(
        self,
        idx: int,
        digest: str,
        payload: dict[str, Any],
        signers: list[Signer] | None,
        at: datetime | None,
    ) -> None:
        """Follow one entry's chain link and, if its payload is valid, apply its lifecycle rule."""
        # A payload without "prev" is already reported invalid; its link reads as null.
        subject, prev = payload["subject"], payload.get("prev")
        head = self.heads.get(subject)
        broken = prev != (head.hash if head else None)
        link = _Link(idx, digest, subject, prev, head, payload, signers, at)
        link.violation = self._apply(link, advance=True)
        if broken:
            self.pending[idx] = link
            if prev is not None:
                # Perhaps a later entry (reordering): its rule is judged once that one is seen.
                self.dangling.setdefault(prev, []).append(idx)
        if link.violation and not (broken and prev is not None):
            self.add(_entry(idx), "rule_violation", link.violation)
        if link.violation is None and signers is not None and at is not None:
            self.derived.accepted(IndexedEvent(idx, digest, payload, signers, at))
        self._resolve_forward(link, broken)

    def _apply(self, link: _Link, *, advance: bool) -> str | None:
        """Apply the entry's rule to the states; the violation it commits, if any."""
        subject = link.subject
        head = self.heads.get(subject)
        state = head.state if head else None
        violation = None
        if link.signers is not None and link.at is not None:
            state_of = self._state_of
            involved = referenced_subjects(link.payload, state_of)
            states = {s: state_of(s) for s in involved}
            try:
                transition = apply_event(
                    link.payload, link.signers, states, self.world, link.digest
                )
            except DomainError as exc:
                violation = f"{exc.code}: {exc.detail}"
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                violation = f"the rules cannot apply: {exc!r}"
            else:
                for sid, changed in transition.states.items():
                    other = self.heads.get(sid)
                    if sid == subject:
                        state = changed
                    elif other is not None:
                        other.state = changed
                if transition.buyer_key is not None:
                    keyid = key_id(transition.buyer_key)
                    if keyid not in self.introduced:
                        self.introduced[keyid] = Introduced(transition.buyer_key, link.at, link.idx)
                self.parcel_items.update((item, subject) for item in transition.parcel_items)
                self._learn(link)
        if advance:
            # The stored order is the history: the head moves on even past a refused event.
            length = (head.length if head else 0) + 1
            self.heads[subject] = _Head(link.digest, link.idx, length, state)
        elif head is not None:
            head.state = state
        return violation

    def _learn(self, link: _Link) -> None:
        """The facts an accepted event provides to later rules (a complaint to its case)."""
        assert link.signers is not None
        for source in self.sources:
            if source.learn is not None:
                learnt = source.learn(link.digest, link.payload, link.signers)
                if learnt is not None:
                    self.facts[source.name][learnt[0]] = learnt[1]

    def _state_of(self, subject: str) -> State | None:
        head = self.heads.get(subject)
        return head.state if head else None

    def _resolve_forward(self, link: _Link, broken: bool) -> None:
        """Earlier entries of the subject naming this one as prev: the log was reordered.

        Their rules are judged again after this entry (their chain order), and the chain head
        moves to the last of them, so one swap does not cascade into every later event.
        """
        earlier = [k for k in self.dangling.pop(link.digest, []) if k in self.pending]
        earlier = [k for k in earlier if self.pending[k].subject == link.subject]
        for k in earlier:
            moved = self.pending.pop(k)
            self.add(
                _entry(k), "reordered", f"prev names log_entries idx={link.idx}, a later entry"
            )
            if moved.violation is not None:
                violation = self._apply(moved, advance=False)
                if violation is not None:
                    self.add(_entry(k), "rule_violation", violation)
            head = self.heads[link.subject]
            self.heads[link.subject] = _Head(moved.digest, k, head.length, head.state)
        if earlier and broken:
            del self.pending[link.idx]
            self.add(
                _entry(link.idx),
                "reordered",
                f"the earlier log_entries idx={earlier[0]} already builds on this entry",
            )

    def finish(self, session: Session) -> None:
        self._classify_links(session)
        self._compare_subjects(session)
        self._compare_parcel_items(session)
        self._check_keys()
        self.derived.finish(session)

    def _classify_links(self, session: Session) -> None:
        wanted = sorted({link.prev for link in self.pending.values() if link.prev is not None})
        found: dict[str, tuple[int, str, str]] = {}
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            rows = session.execute(
                select(LogEntry.hash, LogEntry.idx, LogEntry.subject, LogEntry.body).where(
                    LogEntry.hash.in_(wanted[start : start + _LOOKUP_CHUNK])
                )
            )
            for digest, idx, subject, body in rows:
                found[digest] = (int(idx), subject, hashlib.sha256(stored_bytes(body)).hexdigest())
        for k, link in sorted(self.pending.items()):
            kind, detail = _link_problem(link, found.get(link.prev or ""))
            self.add(_entry(k), kind, detail)
            if link.violation is not None and link.prev is not None:
                self.add(_entry(k), "rule_violation", link.violation)

    def _compare_subjects(self, session: Session) -> None:
        rows = session.execute(
            select(Subject.id, Subject.kind, Subject.head, Subject.head_idx, Subject.length,
                   Subject.state).order_by(Subject.id).execution_options(yield_per=_STREAM)
        )  # fmt: skip
        for sid, kind, head, head_idx, length, state in rows:
            mine = self.heads.get(sid)
            if mine is None:
                self.add(f"subjects id={sid}", "extra_subject", "no log entry is about it")
                continue
            mine.checked = True
            diffs = []
            if kind != subject_kind(sid):
                diffs.append(f"kind is {kind!r}, not {subject_kind(sid)!r}")
            if head != mine.hash or head_idx != mine.idx:
                diffs.append(
                    f"head is idx={head_idx} {head}, the log's is idx={mine.idx} {mine.hash}"
                )
            if length != mine.length:
                diffs.append(f"length is {length}, the log has {mine.length} events")
            if state != mine.state:
                diffs.append(_state_diff(state, mine.state))
            if diffs:
                self.add(f"subjects id={sid}", "state_mismatch", "; ".join(diffs))
        for sid, mine in self.heads.items():
            if not mine.checked:
                self.add(
                    f"subjects id={sid}", "missing_subject", f"the log has {mine.length} events"
                )

    def _compare_parcel_items(self, session: Session) -> None:
        rows = session.execute(
            select(ParcelItem.item, ParcelItem.parcel).execution_options(yield_per=_STREAM)
        )
        for item, parcel in rows:
            if (item, parcel) in self.parcel_items:
                self.parcel_items.discard((item, parcel))
            else:
                self.add(f"parcel_items item={item} parcel={parcel}", "extra_parcel_item",
                         "no accepted dispatch packed this item into this parcel")  # fmt: skip
        for item, parcel in sorted(self.parcel_items):
            self.add(f"parcel_items item={item} parcel={parcel}", "missing_parcel_item",
                     "a dispatch in the log packed this item into this parcel")  # fmt: skip

    def _check_keys(self) -> None:
        for keyid, key in self.keys.items():
            row = f"party_keys keyid={keyid}"
            if key_id(key.public_key) != keyid:
                self.add(row, "key_id_mismatch", "the key id is not derived from the public key")
            if key.party_id is not None:
                continue
            intro = self.introduced.get(keyid)
            if intro is None:
                self.add(row, "orphan_buyer_key", "no sale in the log introduced this buyer key")
                continue
            sale = f"the sale log_entries idx={intro.idx}"
            if key.public_key != intro.public_key:
                self.add(row, "buyer_key_mismatch", f"public key differs from the one {sale} names")
            if key.valid_from != intro.at:
                self.add(row, "buyer_key_mismatch", f"valid_from differs from the time of {sale}")
        for keyid, intro in self.introduced.items():
            if keyid not in self.keys:
                self.add(f"party_keys keyid={keyid}", "missing_key",
                         f"introduced by the sale log_entries idx={intro.idx}")  # fmt: skip


def _link_problem(link: _Link, hit: tuple[int, str, str] | None) -> tuple[str, str]:
    """Name a chain link that did not point at its subject's head, given the entry it names."""
    head = link.head
    where = f"the head is log_entries idx={head.idx}" if head else "it has no events"
    if link.prev is None:
        return "fork", f"claims to start {link.subject}'s chain, but {where}"
    if hit is None:
        return "broken_chain", f"prev {link.prev} is no entry of the log (deleted?); {where}"
    named = f"prev names log_entries idx={hit[0]}"
    if hit[2] != link.prev:
        return "broken_chain", f"{named}, whose body was edited"
    if hit[1] != link.subject:
        return "broken_chain", f"{named}, about {hit[1]}"
    if hit[0] > link.idx:
        return "reordered", f"{named}, a later entry"
    return "fork", f"{named}, which already has a successor; {where}"


def _state_diff(stored: Any, replayed: State | None) -> str:
    if not isinstance(stored, dict) or replayed is None:
        return f"state is {stored!r}, the log gives {replayed!r}"
    keys = sorted(k for k in stored.keys() | replayed.keys() if stored.get(k) != replayed.get(k))
    return "state " + ", ".join(
        f"{k} is {stored.get(k)!r}, the log gives {replayed.get(k)!r}" for k in keys
    )
