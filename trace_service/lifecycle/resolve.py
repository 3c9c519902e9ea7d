"""What a consumer sees when scanning an item: its product, merchant and checked public route."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.codes.digital_link import SubjectRef, digital_link_uri
from trace_service.errors import DomainError, NotFound
from trace_service.identity.models import Party, PartyKey
from trace_service.ledger import merkle
from trace_service.ledger.envelope import Signature, build_envelope, verify_signatures
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.models import ParcelItem, Product
from trace_service.lifecycle.payloads import format_time


@dataclass(frozen=True)
class CheckedEvent:
    """One stored event, re-read from its log bytes and checked again."""

    entry: LogEntry
    payload: dict[str, Any]
    signatures: list[Signature]
    hash_valid: bool
    signature_valid: bool
    signature_problem: str | None


def check_entry(entry: LogEntry, public_keys: dict[str, bytes]) -> CheckedEvent:
    """Re-derive an entry's hash and signatures from its stored bytes (never trusting columns)."""
    body = bytes(entry.body)
    try:
        raw = json.loads(body)
        signatures = [Signature(s["keyid"], base64.b64decode(s["sig"])) for s in raw["signatures"]]
        envelope = build_envelope(raw["payload"], signatures)
    except (ValueError, KeyError, TypeError, DomainError) as exc:
        return CheckedEvent(entry, {}, [], False, False, f"unreadable entry: {exc}")
    hash_valid = envelope.body == body and hashlib.sha256(body).hexdigest() == entry.hash
    try:
        verify_signatures(envelope, public_keys)
        problem = None
    except DomainError as exc:
        problem = exc.detail
    return CheckedEvent(entry, raw["payload"], signatures, hash_valid, problem is None, problem)


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
    parcels = list(session.scalars(select(ParcelItem.parcel).where(ParcelItem.item == subject)))
    entries = list(
        session.scalars(
            select(LogEntry).where(LogEntry.subject.in_([subject, *parcels])).order_by(LogEntry.idx)
        )
    )
    if not entries:
        raise NotFound(f"{subject} has no recorded history", code="unknown_subject")
    keyids = {s["keyid"] for e in entries for s in json.loads(bytes(e.body))["signatures"]}
    keys = {k.keyid: k for k in session.scalars(select(PartyKey).where(PartyKey.keyid.in_(keyids)))}
    party_ids = {k.party_id for k in keys.values() if k.party_id} | {product.merchant_id}
    parties = {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(party_ids)))}
    public_keys = {k: bytes(v.public_key) for k, v in keys.items()}

    heads: dict[str, str | None] = {}
    events = []
    all_valid = True
    for entry in entries:
        checked = check_entry(entry, public_keys)
        expected_prev = heads.get(entry.subject)
        link_valid = checked.payload.get("prev") == expected_prev
        heads[entry.subject] = entry.hash
        valid = checked.hash_valid and checked.signature_valid and link_valid
        all_valid &= valid
        events.append(
            {
                "index": entry.idx,
                "hash": entry.hash,
                "leaf_hash": merkle.leaf_hash(bytes(entry.body)).hex(),
                "type": entry.type,
                "subject": entry.subject,
                "time": checked.payload.get("time"),
                "integrated_at": format_time(entry.integrated_at),
                "signers": [_signer(s.keyid, keys, parties) for s in checked.signatures],
                "hash_valid": checked.hash_valid,
                "signature_valid": checked.signature_valid,
                "chain_valid": link_valid,
                "problem": checked.signature_problem,
                "payload": checked.payload,
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
