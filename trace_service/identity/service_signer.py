"""The service's own signing identity: the records key that signs attributions, nominations and
rating snapshots, so the service's findings are signed log entries like everyone else's.

The key is generated on first run into the instance folder (apart from the log key: a leaked
records key must not forge checkpoints, and vice versa) and enrolled for the party
``trace-service`` the first time the service records something. A new key file (rotation) is
enrolled beside the old one, which stays valid for what it signed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import nacl.signing
from cryptography.hazmat.primitives import serialization
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.identity.models import Party, PartyKey, PartyKind
from trace_service.ledger.key_holder import KeyHolder
from trace_service.ledger.log_key import load_or_create

SERVICE_PARTY_ID = "trace-service"
KEY_FILE = "records_ed25519.pem"


def load_service_key(path: Path) -> KeyHolder:
    """The records key at `path` (created, mode 0600, if missing) as a signing key holder."""
    private = load_or_create(path)
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return KeyHolder(nacl.signing.SigningKey(raw), SERVICE_PARTY_ID)


def ensure_enrolled(session: Session, key: KeyHolder, now: datetime) -> None:
    """Register the service party and enrol `key` for it if not done yet (flushes, no commit)."""
    if session.get(Party, SERVICE_PARTY_ID) is None:
        session.add(
            Party(
                id=SERVICE_PARTY_ID,
                kind=PartyKind.SERVICE.value,
                name="trace_service 责任认定与信用评级服务",
                status="active",
                registered_at=now,
            )
        )
        session.flush()
    known = session.scalar(select(PartyKey.keyid).where(PartyKey.keyid == key.keyid))
    if known is None:
        session.add(
            PartyKey(
                keyid=key.keyid,
                party_id=SERVICE_PARTY_ID,
                public_key=key.public_key,
                valid_from=now,
                enrolled_by=SERVICE_PARTY_ID,
            )
        )
        session.flush()


def init_app(app: Flask) -> None:
    path = Path(app.config.get("RECORDS_KEY_PATH") or Path(app.instance_path) / KEY_FILE)
    app.extensions["trace_service_key"] = load_service_key(path)
