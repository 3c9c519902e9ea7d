"""A signing key as a client or the service holds it: the key and the party it belongs to."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import nacl.signing

from trace_service.ledger.envelope import key_id


@dataclass
class KeyHolder:
    """A signing key and, for registered parties, the party it belongs to."""

    signing_key: nacl.signing.SigningKey = field(default_factory=nacl.signing.SigningKey.generate)
    party_id: str | None = None

    @property
    def public_key(self) -> bytes:
        return bytes(self.signing_key.verify_key)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_key).decode()

    @property
    def keyid(self) -> str:
        return key_id(self.public_key)
