"""What a consumer sees when scanning an item: its product, merchant and checked public route."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from trace_service.codes.digital_link import SubjectRef, digital_link_uri
from trace_service.errors import DomainError, NotFound
from trace_service.identity.models import Party, PartyKey
from trace_service.ledger import merkle
from trace_service.ledger.envelope import Envelope, Signature, verify_signatures
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.models import ParcelItem, Product
from trace_service.plumbing.timestamps import format_time


@dataclass(frozen=True)
class ReadEntry:
    """One stored entry re-read from its log bytes (never trusting the derived columns)."""

    entry: LogEntry
    envelope: Envelope | None
    problem: str | None

    @property
    def payload(self) -> dict[str, Any]:
        return self.envelope.payload if self.envelope else {}

    @property
    def actual_hash(self) -> str:
        return hashlib.sha256(bytes(self.entry.body)).hexdigest()


# Stored entries never change, so what their exact bytes parse and verify to is cached by those
# bytes: an edited row is different bytes, misses the cache and is checked (and caught) afresh.
# Bounded so a worker's memory levels off (≈3 KiB an entry: ≈60 MiB per cache when full).
_CACHED_ENTRIES = 20_000
_PAYLOAD_START = b'{"payload":'
# The last occurrence: a payload may nest its own "signatures" member, the envelope's comes last.
_SIGNATURES_AT = b',"signatures":['


@lru_cache(maxsize=_CACHED_ENTRIES)
def _parse_body(body: bytes) -> Envelope | str:
    # The signed bytes are taken from the stored entry as they are, not re-canonicalised: a
    # signature that verifies over them proves them, and checking the canonical form of every
    # entry is the verifier command's job (it would double the cost of every consumer scan).
    cut = body.rfind(_SIGNATURES_AT)
    if not body.startswith(_PAYLOAD_START) or cut < 0:
        return "unreadable entry: not a signed envelope"
    try:
        raw = json.loads(body)
        signatures = [Signature(s["keyid"], base64.b64decode(s["sig"])) for s in raw["signatures"]]
        payload = raw["payload"]
        if not isinstance(payload, dict):
            raise TypeError("payload is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        return f"unreadable entry: {exc}"
    return Envelope(
        payload=payload,
        canonical_payload=body[len(_PAYLOAD_START) : cut],
        signatures=tuple(signatures),
        body=body,
        hash=hashlib.sha256(body).hexdigest(),
    )


@lru_cache(maxsize=_CACHED_ENTRIES)
def _signature_problem(body: bytes, public_keys: tuple[tuple[str, bytes], ...]) -> str | None:
    envelope = _parse_body(body)
    if isinstance(envelope, str):
        return envelope
    try:
        verify_signatures(envelope, dict(public_keys))
    except DomainError as exc:
        return exc.detail
    return None


def read_entry(entry: LogEntry) -> ReadEntry:
    body = bytes(entry.body)
    envelope = _parse_body(body)
    if isinstance(envelope, str):
        return ReadEntry(entry, None, envelope)
    if envelope.hash != entry.hash:
        return ReadEntry(entry, envelope, "the stored bytes do not match the event's hash")
    return ReadEntry(entry, envelope, None)


def signature_problem(read: ReadEntry, keys: dict[str, PartyKey]) -> str | None:
    """Why the entry's signatures do not hold (None when they all verify with valid keys)."""
    if read.envelope is None or read.problem:
        return read.problem
    signed_at = read.entry.signed_at
    for s in read.envelope.signatures:
        key = keys.get(s.keyid)
        if key is None:
            return f"key {s.keyid} is not registered"
        if signed_at < key.valid_from or (key.revoked_at and signed_at >= key.revoked_at):
            return f"key {s.keyid} was not valid when the event was signed"
    public = tuple((s.keyid, bytes(keys[s.keyid].public_key)) for s in read.envelope.signatures)
    return _signature_problem(bytes(read.entry.body), public)


def _public_party(party: Party | None) -> dict[str, Any] | None:
    if party is None:
        return None
    return {
        "id": party.id,
        "kind": party.kind,
        "name": party.name,
        "uscc": party.uscc,
        "company_id": party.company_id,
        "city": party.city,
        "status": party.status,
    }


def resolve_item(session: Session, ref: SubjectRef, base_url: str) -> dict[str, Any]:
    """The product, merchant and checked public timeline of an item or lot; raises NotFound.

    Each event says who signed it, whether its bytes, signatures and chain link verify, and its
    log index. No personal data is part of any public payload, so none can appear here.
    """
    subject = ref.subject
    product = session.get(Product, ref.gtin)
    if product is None:
        raise NotFound(f"product {ref.gtin} is not registered", code="unknown_product")
    # One query for the item's events and those of every parcel it travelled in.
    in_parcels = select(ParcelItem.parcel).where(ParcelItem.item == subject).scalar_subquery()
    entries = list(
        session.scalars(
            select(LogEntry)
            .where(or_(LogEntry.subject == subject, LogEntry.subject.in_(in_parcels)))
            .order_by(LogEntry.idx)
        )
    )
    if not entries:
        raise NotFound(f"{subject} has no recorded history", code="unknown_subject")
    parcels = sorted({e.subject for e in entries} - {subject})
    reads = [read_entry(e) for e in entries]
    keyids = {s.keyid for r in reads if r.envelope for s in r.envelope.signatures}
    # Keys and the parties behind them (and the merchant) in one round trip.
    keys: dict[str, PartyKey] = {}
    parties: dict[str, Party] = {}
    rows = session.execute(
        select(PartyKey, Party)
        .outerjoin(Party, Party.id == PartyKey.party_id)
        .where(PartyKey.keyid.in_(keyids))
    )
    for key, party in rows:
        keys[key.keyid] = key
        if party is not None:
            parties[party.id] = party
    if product.merchant_id not in parties:
        merchant = session.get(Party, product.merchant_id)
        if merchant is not None:
            parties[merchant.id] = merchant

    heads: dict[str, str | None] = {}
    events = []
    all_valid = True
    for read in reads:
        entry = read.entry
        problem = signature_problem(read, keys)
        link_valid = read.envelope is not None and read.payload.get("prev") == heads.get(
            entry.subject
        )
        # The chain moves on by the hash of the bytes actually stored, not by a column.
        heads[entry.subject] = read.actual_hash
        all_valid &= problem is None and link_valid
        signatures = read.envelope.signatures if read.envelope else ()
        events.append(
            {
                "index": entry.idx,
                "hash": entry.hash,
                "leaf_hash": merkle.leaf_hash(bytes(entry.body)).hex(),
                "type": entry.type,
                "subject": entry.subject,
                "time": read.payload.get("time"),
                "integrated_at": format_time(entry.integrated_at),
                "signers": [_signer(s.keyid, keys, parties) for s in signatures],
                "hash_valid": read.problem is None,
                "signature_valid": problem is None,
                "chain_valid": link_valid,
                "problem": problem,
                "payload": read.payload,
            }
        )
    return {
        "subject": subject,
        "uri": digital_link_uri(base_url, subject),
        "product": {
            "gtin": product.gtin,
            "name": product.name,
            "origin": product.origin,
            "producer": product.producer,
            "licences": product.licences,
        },
        "merchant": _public_party(parties.get(product.merchant_id)),
        "parcels": parcels,
        "events": events,
        "verified": all_valid,
    }


def _signer(keyid: str, keys: dict[str, PartyKey], parties: dict[str, Party]) -> dict[str, Any]:
    key = keys.get(keyid)
    if key is None:
        return {"keyid": keyid, "role": "unknown"}
    if key.party_id is None:
        # A buyer's device key: pseudonymous by design, never linked to a person here.
        return {"keyid": keyid, "role": "buyer"}
    party = parties.get(key.party_id)
    return {
        "keyid": keyid,
        "role": party.kind if party else "unknown",
        "party_id": key.party_id,
        "name": party.name if party else None,
        "company_id": party.company_id if party else None,
    }
