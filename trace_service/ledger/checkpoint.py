"""Signed tree heads in the C2SP ``tlog-checkpoint`` format, carried as C2SP ``signed-note`` text.

A checkpoint body is ``<origin>\\n<size>\\n<base64 root>\\n`` (optionally followed by extension
lines); the signed note appends a blank line and one ``— <key name> <base64(key id ‖ sig)>`` line
per signature.  Only Ed25519 keys (signature type 0x01) are produced or accepted.  The format is
the one golang.org/x/mod/sumdb/note reads, so any off-the-shelf witness or client can check us.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from trace_service.errors import DomainError

ED25519_TYPE = b"\x01"
KEY_ID_SIZE = 4
ROOT_SIZE = 32
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
# The note format caps signatures so a hostile note cannot make a verifier loop for long.
MAX_SIGNATURES = 100
# Tree sizes are unsigned 64-bit in every tlog implementation we interoperate with.
MAX_TREE_SIZE = 2**64 - 1

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# Signed-note forbids ASCII control characters other than newline anywhere in the note.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class InvalidCheckpoint(DomainError):
    code = "invalid_checkpoint"
    status = 422
    title = "Checkpoint does not verify"


@dataclass(frozen=True)
class Checkpoint:
    """The tree head a log commits to: its identity, its size and its RFC 9162 root."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """The checkpoint note text that signatures cover.

        Raises InvalidCheckpoint if the fields cannot be written unambiguously.
        """
        _check_origin(self.origin)
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidCheckpoint(f"tree size {self.size} is out of range")
        if len(self.root) != ROOT_SIZE:
            raise InvalidCheckpoint(f"root is {len(self.root)} bytes, not {ROOT_SIZE}")
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"


def _check_origin(origin: str) -> None:
    # A newline in the origin would let the caller forge the size and root lines.
    if not origin or "\n" in origin or _CONTROL.search(origin):
        raise InvalidCheckpoint("origin must be one non-empty line without control characters")


def _is_valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def _check_key_name(name: str) -> None:
    if not _is_valid_key_name(name):
        raise InvalidCheckpoint(f"key name {name!r} must be non-empty, without spaces or '+'")


def _raw_public_key(public_key: bytes | Ed25519PublicKey) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if len(public_key) != 32:
        raise InvalidCheckpoint(f"Ed25519 public key is {len(public_key)} bytes, not 32")
    return public_key


def key_id(name: str, public_key: bytes | Ed25519PublicKey) -> bytes:
    """The 4-byte signed-note key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4].

    Raises InvalidCheckpoint for an invalid key name or public key.
    """
    _check_key_name(name)
    raw = _raw_public_key(public_key)
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + raw).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: bytes | Ed25519PublicKey) -> str:
    """The published verifier key ``<name>+<hex key id>+<base64(0x01 ‖ public key)>``.

    Raises InvalidCheckpoint for an invalid key name or public key.
    """
    raw = _raw_public_key(public_key)
    encoded = base64.b64encode(ED25519_TYPE + raw).decode("ascii")
    return f"{name}+{key_id(name, raw).hex()}+{encoded}"


def _b64decode(text: str) -> bytes:
    # validate=True refuses characters outside the alphabet instead of silently skipping them.
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class _VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def _parse_verifier_key(vkey: str) -> _VerifierKey:
    # Only the first two '+' separate fields: base64 key data may contain '+' itself.
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise InvalidCheckpoint("verifier key must be <name>+<key id>+<key>")
    name, id_hex, key_b64 = parts
    _check_key_name(name)
    try:
        claimed_id = bytes.fromhex(id_hex) if re.fullmatch(r"[0-9a-fA-F]{8}", id_hex) else b""
        key = _b64decode(key_b64)
    except (ValueError, binascii.Error) as exc:
        raise InvalidCheckpoint("verifier key is not hex and base64") from exc
    if not claimed_id or key[:1] != ED25519_TYPE or len(key) != 1 + 32:
        raise InvalidCheckpoint("verifier key is not an Ed25519 signed-note key")
    if claimed_id != key_id(name, key[1:]):
        raise InvalidCheckpoint("verifier key ID does not match its name and key")
    return _VerifierKey(name, claimed_id, Ed25519PublicKey.from_public_bytes(key[1:]))


def sign_checkpoint(checkpoint: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note for ``checkpoint``, signed by ``private_key`` under key name ``name``.

    Raises InvalidCheckpoint for an unwritable checkpoint or an invalid key name.
    """
    text = checkpoint.body()
    signature = private_key.sign(text.encode("utf-8"))
    tag = key_id(name, private_key.public_key())
    encoded = base64.b64encode(tag + signature).decode("ascii")
    return f"{text}\n{SIGNATURE_PREFIX}{name} {encoded}\n"


def _split_note(note: str) -> tuple[str, list[str]]:
    if _CONTROL.search(note):
        raise InvalidCheckpoint("note contains control characters")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot be the bytes anyone signed
        raise InvalidCheckpoint("note is not valid UTF-8") from exc
    # The text cannot contain a blank line, so the last one separates it from the signatures.
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise InvalidCheckpoint("note has no signature block")
    text, signatures = note[: split + 1], note[split + 2 :]
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise InvalidCheckpoint(f"note has more than {MAX_SIGNATURES} signatures")
    return text, lines


def parse_checkpoint(note: str) -> Checkpoint:
    """The checkpoint in a note's text (or a bare body), WITHOUT checking any signature.

    Raises InvalidCheckpoint if the text is not a well-formed checkpoint.
    """
    text = _split_note(note)[0] if "\n\n" in note else note
    if not text.endswith("\n"):
        raise InvalidCheckpoint("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    # Extension lines after the root are allowed (and ignored) but, like all lines, non-empty.
    if len(lines) < 3 or not all(lines):
        raise InvalidCheckpoint("checkpoint must have origin, size and root lines, none empty")
    origin, size_line, root_line = lines[:3]
    _check_origin(origin)
    if not _DECIMAL.fullmatch(size_line) or int(size_line) > MAX_TREE_SIZE:
        raise InvalidCheckpoint("tree size must be decimal without leading zeros")
    try:
        root = _b64decode(root_line)
    except (ValueError, binascii.Error) as exc:
        raise InvalidCheckpoint("root hash is not base64") from exc
    # Re-encoding catches non-canonical padding bits, so one root has exactly one spelling.
    if len(root) != ROOT_SIZE or base64.b64encode(root).decode("ascii") != root_line:
        raise InvalidCheckpoint(f"root hash must be {ROOT_SIZE} bytes in canonical base64")
    return Checkpoint(origin=origin, size=int(size_line), root=root)


def verify_checkpoint(note: str, vkey: str) -> Checkpoint:
    """The checkpoint in ``note`` once a signature by the key ``vkey`` over its text checks out.

    Signatures by other keys are ignored, as the signed-note spec requires.  Raises
    InvalidCheckpoint for a malformed note or key, a bad signature, or no signature by ``vkey``.
    """
    key = _parse_verifier_key(vkey)
    text, lines = _split_note(note)
    verified = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise InvalidCheckpoint("signature line must start with an em dash and a space")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = _b64decode(encoded)
        except (ValueError, binascii.Error) as exc:
            raise InvalidCheckpoint("signature is not base64") from exc
        if not _is_valid_key_name(name) or len(raw) <= KEY_ID_SIZE:
            raise InvalidCheckpoint("malformed signature line")
        if name != key.name or raw[:KEY_ID_SIZE] != key.key_id:
            continue
        try:
            key.public_key.verify(raw[KEY_ID_SIZE:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise InvalidCheckpoint(f"signature by {name} does not verify") from exc
        verified = True
    if not verified:
        raise InvalidCheckpoint(f"note carries no signature by {key.name}")
    return parse_checkpoint(text)
