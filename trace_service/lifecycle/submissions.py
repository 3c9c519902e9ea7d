"""A submission before it meets the log: parsed, checked by itself, and its signatures verified
against the registered keys (or a buyer key a sale introduced), outside the log's write lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.errors import DomainError
from trace_service.identity.models import Party, PartyKey
from trace_service.ledger.envelope import (
    Envelope,
    decode_b64,
    key_id,
    parse_envelope,
    verify_signatures,
)
from trace_service.ledger.record_errors import InvalidPayload, not_allowed
from trace_service.ledger.records import validate_record
from trace_service.ledger.transitions import Signer
from trace_service.lifecycle import personal_data
from trace_service.lifecycle.receipts import Outcome
from trace_service.plumbing.timestamps import parse_time


@dataclass
class Prepared:
    """One submission, parsed and checked by itself, with who signed it once verified."""

    position: int
    envelope: Envelope
    signed_at: datetime
    recipient: personal_data.Recipient | None
    signers: list[Signer] = field(default_factory=list)


def prepare_submission(position: int, raw: Any) -> Prepared:
    """Parse and check one submission by itself (envelope, payload, personal data of a
    dispatch); raises the DomainError that refuses it."""
    if isinstance(raw, dict) and "personal_data" in raw:
        raw = dict(raw)
        pd_raw = raw.pop("personal_data")
    else:
        pd_raw = None
    envelope = parse_envelope(raw)
    payload = envelope.payload
    validate_record(payload)
    signed_at = parse_time(payload["time"])
    recipient = None
    if payload["type"] == "dispatch":
        if pd_raw is None:
            raise InvalidPayload(
                "a dispatch carries the recipient's personal_data (kept encrypted, never public)",
                code="personal_data_required",
            )
        recipient = personal_data.parse_recipient(pd_raw)
        if recipient.commitment() != payload["recipient_commitment"]:
            raise InvalidPayload(
                "recipient_commitment does not match the personal_data sent with it",
                code="commitment_mismatch",
            )
    elif pd_raw is not None:
        raise InvalidPayload("only a dispatch carries personal_data")
    return Prepared(position, envelope, signed_at, recipient)


def resolve_signers(
    session: Session, prepared: list[Prepared], outcomes: list[Outcome | None]
) -> None:
    """Verify every signature against its registered key (or a buyer key named by a sale)."""
    keyids = {s.keyid for p in prepared for s in p.envelope.signatures}
    keys: dict[str, PartyKey] = {}
    parties: dict[str, Party] = {}
    if keyids:  # each key with its party, in one round trip
        for found, owner in session.execute(
            select(PartyKey, Party)
            .outerjoin(Party, Party.id == PartyKey.party_id)
            .where(PartyKey.keyid.in_(keyids))
        ):
            keys[found.keyid] = found
            if owner is not None:
                parties[owner.id] = owner
    # A buyer may confirm receipt in the same batch as the sale that introduced the key.
    batch_buyer_keys: dict[str, bytes] = {}
    for p in prepared:
        if p.envelope.payload["type"] == "sale":
            try:
                raw = decode_b64(p.envelope.payload["buyer_key"], length=32, what="buyer_key")
            except DomainError:
                continue
            batch_buyer_keys[key_id(raw)] = raw
    for p in prepared:
        try:
            public: dict[str, bytes] = {}
            for s in p.envelope.signatures:
                key = keys.get(s.keyid)
                if key is not None:
                    public[s.keyid] = bytes(key.public_key)
                elif s.keyid in batch_buyer_keys:
                    public[s.keyid] = batch_buyer_keys[s.keyid]
            verify_signatures(p.envelope, public)
            for s in p.envelope.signatures:
                key = keys.get(s.keyid)
                if key is None:
                    p.signers.append(Signer(s.keyid))
                    continue
                if p.signed_at < key.valid_from:
                    raise not_allowed("key_not_yet_valid", f"key {s.keyid} is not valid yet")
                if key.revoked_at is not None and p.signed_at >= key.revoked_at:
                    raise not_allowed(
                        "key_revoked", f"key {s.keyid} was revoked before the event was signed"
                    )
                party = parties.get(key.party_id) if key.party_id else None
                if key.party_id is not None and (party is None or party.status != "active"):
                    raise not_allowed("party_inactive", f"the party of key {s.keyid} is not active")
                p.signers.append(
                    Signer(
                        s.keyid,
                        party.id if party else None,
                        party.kind if party else None,
                        party.company_id if party else None,
                        party.outlet_id if party else None,
                    )
                )
        except DomainError as exc:
            outcomes[p.position] = exc
