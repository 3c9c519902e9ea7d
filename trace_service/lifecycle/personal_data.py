"""Recipient personal data: a salted commitment in the public payload, AES-GCM ciphertext at rest.

Only the parcel's current custodian (while it holds the parcel) and regulators can read it, and
every read is logged (who, when, which parcel), which is what privacy-leak back-tracing rests on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.errors import Forbidden, NotFound
from trace_service.identity.models import Party
from trace_service.ledger.canonical import canonical_json
from trace_service.ledger.record_errors import InvalidPayload
from trace_service.lifecycle.models import PersonalData, PersonalDataRead, Subject

KEY_FILE = "personal_data.key"
RECIPIENT_FIELDS = {"name": 100, "phone": 32, "address": 500}


@dataclass(frozen=True)
class Recipient:
    salt: bytes
    fields: dict[str, str]

    def commitment(self) -> str:
        return commitment(self.salt, self.fields)


def commitment(salt: bytes, recipient: dict[str, str]) -> str:
    """SHA-256 over the salt and the canonical recipient: binds the data without revealing it."""
    return hashlib.sha256(salt + canonical_json(recipient)).hexdigest()


def parse_recipient(raw: Any) -> Recipient:
    """The `personal_data` member of a dispatch submission; raises InvalidPayload."""
    if not isinstance(raw, dict) or set(raw) != {"salt", "recipient"}:
        raise InvalidPayload("personal_data has exactly 'salt' (base64) and 'recipient'")
    try:
        salt = base64.b64decode(raw["salt"], validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidPayload("personal_data.salt is not base64") from exc
    if not 16 <= len(salt) <= 64:
        raise InvalidPayload("personal_data.salt must be 16 to 64 random bytes")
    recipient = raw["recipient"]
    if not isinstance(recipient, dict) or set(recipient) != set(RECIPIENT_FIELDS):
        raise InvalidPayload("personal_data.recipient has exactly name, phone and address")
    for name, limit in RECIPIENT_FIELDS.items():
        value = recipient[name]
        if not isinstance(value, str) or not 1 <= len(value) <= limit:
            raise InvalidPayload(f"personal_data.recipient.{name} must be 1 to {limit} characters")
    return Recipient(salt, dict(recipient))


class Vault:
    """Encrypts and decrypts personal data with the service's data key (AES-256-GCM)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, parcel: str, recipient: Recipient) -> tuple[bytes, bytes]:
        nonce = os.urandom(12)
        plaintext = json.dumps(
            {"salt": base64.b64encode(recipient.salt).decode(), "recipient": recipient.fields}
        ).encode()
        # The parcel id is bound as associated data: a ciphertext moved to another row fails.
        return nonce, self._aead.encrypt(nonce, plaintext, parcel.encode())

    def open(self, parcel: str, nonce: bytes, ciphertext: bytes) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self._aead.decrypt(nonce, ciphertext, parcel.encode()))
        return data


def load_key(app: Flask) -> bytes:
    """The data key: PERSONAL_DATA_KEY (base64) or a key file created in the instance folder."""
    configured = app.config.get("PERSONAL_DATA_KEY")
    if configured:
        key = base64.b64decode(configured)
    else:
        path = Path(app.instance_path) / KEY_FILE
        if not path.exists():
            # Written under a private name and linked into place, so workers starting together
            # agree on one key and never read a half-written file.
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        key = base64.b64decode(path.read_bytes())
    if len(key) != 32:
        raise ValueError("the personal data key must be 32 bytes")
    return key


def init_app(app: Flask) -> None:
    app.extensions["trace_vault"] = Vault(load_key(app))


def current_vault() -> Vault:
    vault: Vault = current_app.extensions["trace_vault"]
    return vault


def store(session: Session, vault: Vault, parcel: str, recipient: Recipient, now: datetime) -> None:
    nonce, ciphertext = vault.seal(parcel, recipient)
    session.add(
        PersonalData(
            parcel=parcel,
            commitment=recipient.commitment(),
            nonce=nonce,
            ciphertext=ciphertext,
            stored_at=now,
        )
    )


def read_recipient(
    session: Session, vault: Vault, reader: Party, parcel: str, purpose: str, now: datetime
) -> dict[str, Any]:
    """Decrypt a parcel's recipient for an allowed reader and log the read.

    Raises NotFound, or Forbidden unless the reader is a regulator or the parcel's current
    custodian while it is in transit.
    """
    subject = session.get(Subject, parcel)
    row = session.get(PersonalData, parcel)
    if subject is None or row is None:
        raise NotFound(f"no personal data for {parcel}")
    state = subject.state
    holds = state.get("status") == "in_transit" and state.get("custodian") == reader.id
    if reader.kind != "regulator" and not holds:
        raise Forbidden(
            "personal data is readable only by the parcel's current custodian and by regulators",
            code="personal_data_forbidden",
        )
    session.add(PersonalDataRead(parcel=parcel, party_id=reader.id, read_at=now, purpose=purpose))
    data = vault.open(parcel, row.nonce, row.ciphertext)
    return {"parcel": parcel, "commitment": row.commitment, **data}


def access_log(session: Session, parcel: str) -> list[PersonalDataRead]:
    """Every logged read of a parcel's personal data; raises NotFound for an unknown parcel."""
    if session.get(PersonalData, parcel) is None:
        raise NotFound(f"no personal data for {parcel}")
    return reads_of(session, [parcel])


def reads_of(session: Session, parcels: Sequence[str]) -> list[PersonalDataRead]:
    """Every logged read of these parcels' personal data, in the order they happened."""
    if not parcels:
        return []
    return list(
        session.scalars(
            select(PersonalDataRead)
            .where(PersonalDataRead.parcel.in_(parcels))
            .order_by(PersonalDataRead.id)
        )
    )
