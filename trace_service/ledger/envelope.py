"""Signed envelopes: a JSON payload and one or more Ed25519 signatures over its canonical form."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.signing

from trace_service.errors import DomainError
from trace_service.ledger.canonical import canonical_json, event_signing_input

KEYID_RE = re.compile(r"^[0-9a-f]{16}$")
MAX_SIGNATURES = 4
MAX_DEPTH = 12


class MalformedEnvelope(DomainError):
    code = "malformed_envelope"
    status = 422
    title = "The envelope is not well formed"


class BadSignature(DomainError):
    code = "bad_signature"
    status = 422
    title = "A signature does not verify"


class UnknownKey(DomainError):
    code = "unknown_key"
    status = 422
    title = "A signature names a key the service does not know"


def key_id(public_key: bytes) -> str:
    """The key id of a raw Ed25519 public key: the first 8 bytes of its SHA-256, in hex."""
    return hashlib.sha256(public_key).digest()[:8].hex()


def decode_b64(value: Any, *, length: int, what: str) -> bytes:
    """Strict standard base64 of an exact length; raises MalformedEnvelope."""
    if not isinstance(value, str):
        raise MalformedEnvelope(f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedEnvelope(f"{what} is not valid base64") from exc
    if len(raw) != length:
        raise MalformedEnvelope(f"{what} must decode to {length} bytes, not {len(raw)}")
    return raw


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed envelope with its canonical bytes (the log entry) and its hash."""

    payload: dict[str, Any]
    canonical_payload: bytes
    signatures: tuple[Signature, ...]
    body: bytes
    hash: str

    @property
    def keyids(self) -> tuple[str, ...]:
        return tuple(s.keyid for s in self.signatures)


def _depth(value: Any, limit: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise MalformedEnvelope(f"payload nests deeper than {limit} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def build_envelope(payload: dict[str, Any], signatures: list[Signature]) -> Envelope:
    """Canonicalise a payload and its signatures (sorted by key id, no duplicates) into an envelope.

    Raises MalformedEnvelope or NotCanonicalizable.
    """
    _depth(payload, MAX_DEPTH)
    canonical_payload = canonical_json(payload)
    ordered = tuple(sorted(signatures, key=lambda s: s.keyid))
    if len({s.keyid for s in ordered}) != len(ordered):
        raise MalformedEnvelope("the same key signs more than once")
    sigs_json = canonical_json([{"keyid": s.keyid, "sig": b64(s.sig)} for s in ordered])
    # JCS is compositional and "payload" < "signatures", so this equals JCS(envelope).
    body = b'{"payload":' + canonical_payload + b',"signatures":' + sigs_json + b"}"
    return Envelope(
        payload=payload,
        canonical_payload=canonical_payload,
        signatures=ordered,
        body=body,
        hash=hashlib.sha256(body).hexdigest(),
    )


def parse_envelope(raw: Any) -> Envelope:
    """Check an envelope's shape and build its canonical form; signatures are not verified here.

    Raises MalformedEnvelope or NotCanonicalizable.
    """
    if not isinstance(raw, dict):
        raise MalformedEnvelope("an envelope is a JSON object")
    extra = set(raw) - {"payload", "signatures"}
    if extra:
        raise MalformedEnvelope(f"unexpected envelope members: {', '.join(sorted(extra))}")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise MalformedEnvelope("'payload' must be a JSON object")
    sigs = raw.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise MalformedEnvelope("'signatures' must be a non-empty list")
    if len(sigs) > MAX_SIGNATURES:
        raise MalformedEnvelope(f"at most {MAX_SIGNATURES} signatures")
    parsed: list[Signature] = []
    for i, item in enumerate(sigs):
        if not isinstance(item, dict) or set(item) != {"keyid", "sig"}:
            raise MalformedEnvelope(f"signatures[{i}] must have exactly 'keyid' and 'sig'")
        keyid = item["keyid"]
        if not isinstance(keyid, str) or not KEYID_RE.match(keyid):
            raise MalformedEnvelope(f"signatures[{i}].keyid must be 16 lowercase hex digits")
        parsed.append(
            Signature(keyid, decode_b64(item["sig"], length=64, what=f"signatures[{i}].sig"))
        )
    return build_envelope(payload, parsed)


def verify_signatures(envelope: Envelope, public_keys: Mapping[str, bytes]) -> None:
    """Check every signature of the envelope against the named public keys.

    Raises UnknownKey when a key id is not in `public_keys`, BadSignature when one fails.
    """
    message = event_signing_input(envelope.canonical_payload)
    for s in envelope.signatures:
        public = public_keys.get(s.keyid)
        if public is None:
            raise UnknownKey(f"key {s.keyid} is not registered", keyid=s.keyid)
        try:
            nacl.signing.VerifyKey(public).verify(message, s.sig)
        except (nacl.exceptions.BadSignatureError, ValueError) as exc:
            raise BadSignature(
                f"signature by key {s.keyid} does not verify", keyid=s.keyid
            ) from exc


def sign_payload(payload: dict[str, Any], signing_keys: list[nacl.signing.SigningKey]) -> Envelope:
    """Sign a payload with each key (used by the CLI, the demo, the simulator and tests)."""
    canonical = canonical_json(payload)
    message = event_signing_input(canonical)
    sigs = [Signature(key_id(bytes(k.verify_key)), k.sign(message).signature) for k in signing_keys]
    return build_envelope(payload, sigs)


def envelope_json(envelope: Envelope) -> dict[str, Any]:
    """The envelope as a JSON-ready dict (what a client submits)."""
    return {
        "payload": envelope.payload,
        "signatures": [{"keyid": s.keyid, "sig": b64(s.sig)} for s in envelope.signatures],
    }
