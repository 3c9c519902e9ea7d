"""Checkpoints as C2SP signed notes: format, round trip and every way a note must be refused."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace_service.ledger.checkpoint import (
    Checkpoint,
    InvalidCheckpoint,
    key_id,
    parse_checkpoint,
    sign_checkpoint,
    verifier_key,
    verify_checkpoint,
)

ORIGIN = "trace.example/log"
ROOT = hashlib.sha256(b"root").digest()
CHECKPOINT = Checkpoint(origin=ORIGIN, size=20852163, root=ROOT)
# The same 32 bytes with a padding bit set: decoders accept it, so a parser must re-check.
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_CANONICAL = base64.b64encode(ROOT).decode()
NON_CANONICAL_ROOT = _CANONICAL[:-2] + _ALPHABET[_ALPHABET.index(_CANONICAL[-2]) + 1] + "="

# golang.org/x/mod/sumdb/note's documented example key and signature (note.go, note_test.go).
GO_EXAMPLE_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_EXAMPLE_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_EXAMPLE_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_EXAMPLE_SIGNATURE = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)


@pytest.fixture
def log_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def vkey(log_key: Ed25519PrivateKey) -> str:
    return verifier_key(ORIGIN, log_key.public_key())


def test_body_is_origin_size_and_base64_root() -> None:
    assert CHECKPOINT.body() == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\n"


def test_signed_note_round_trips(log_key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign_checkpoint(CHECKPOINT, ORIGIN, log_key)
    body, signature_line = note.split("\n\n")
    assert body + "\n" == CHECKPOINT.body()
    assert signature_line.startswith(f"\u2014 {ORIGIN} ") and signature_line.endswith("\n")
    assert verify_checkpoint(note, vkey) == CHECKPOINT
    assert parse_checkpoint(note) == CHECKPOINT


def test_key_id_and_vkey_match_the_go_note_package() -> None:
    private = Ed25519PrivateKey.from_private_bytes(GO_EXAMPLE_SEED)
    assert verifier_key("PeterNeumann", private.public_key()) == GO_EXAMPLE_VKEY
    tag = key_id("PeterNeumann", private.public_key())
    assert tag.hex() == "c74f20a3"
    signature = private.sign(GO_EXAMPLE_TEXT.encode())
    assert base64.b64encode(tag + signature).decode() == GO_EXAMPLE_SIGNATURE


def test_vkey_format(log_key: Ed25519PrivateKey, vkey: str) -> None:
    name, id_hex, key = vkey.split("+", 2)
    assert name == ORIGIN
    assert id_hex == key_id(ORIGIN, log_key.public_key()).hex()
    assert len(id_hex) == 8
    assert base64.b64decode(key)[0] == 0x01
    assert len(base64.b64decode(key)) == 33


def test_tampered_body_is_rejected(log_key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign_checkpoint(CHECKPOINT, ORIGIN, log_key)
    with pytest.raises(InvalidCheckpoint, match="does not verify"):
        verify_checkpoint(note.replace("\n20852163\n", "\n20852164\n"), vkey)


def test_tampered_signature_is_rejected(log_key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign_checkpoint(CHECKPOINT, ORIGIN, log_key)
    body, line = note.split("\n\n")
    prefix, encoded = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x01
    tampered = f"{body}\n\n{prefix} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(InvalidCheckpoint, match="does not verify"):
        verify_checkpoint(tampered, vkey)


def test_signature_by_another_key_is_rejected(vkey: str) -> None:
    note = sign_checkpoint(CHECKPOINT, ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(InvalidCheckpoint, match="no signature by"):
        verify_checkpoint(note, vkey)


def test_cosignatures_by_unknown_keys_are_ignored(log_key: Ed25519PrivateKey, vkey: str) -> None:
    witness = sign_checkpoint(CHECKPOINT, "witness.example", Ed25519PrivateKey.generate())
    ours = sign_checkpoint(CHECKPOINT, ORIGIN, log_key)
    cosigned = witness + ours.split("\n\n")[1]
    assert verify_checkpoint(cosigned, vkey) == CHECKPOINT


def test_extension_lines_are_allowed(log_key: Ed25519PrivateKey, vkey: str) -> None:
    text = CHECKPOINT.body() + "extension line\n"
    signature = log_key.sign(text.encode())
    tag = key_id(ORIGIN, log_key.public_key())
    note = f"{text}\n\u2014 {ORIGIN} {base64.b64encode(tag + signature).decode()}\n"
    assert verify_checkpoint(note, vkey) == CHECKPOINT


@pytest.mark.parametrize(
    "text",
    [
        "origin\n12\n",  # no root line
        "origin\n012\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zero
        "origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n12\n" + base64.b64encode(ROOT[:31]).decode() + "\n",  # short root
        "origin\n12\n" + NON_CANONICAL_ROOT + "\n",
        "\n12\n" + base64.b64encode(ROOT).decode() + "\n",  # empty origin
        "origin\n12\n" + base64.b64encode(ROOT).decode(),  # no final newline
    ],
)
def test_malformed_bodies_are_rejected(text: str) -> None:
    with pytest.raises(InvalidCheckpoint):
        parse_checkpoint(text)


def test_malformed_note_is_rejected(log_key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign_checkpoint(CHECKPOINT, ORIGIN, log_key)
    for broken in (
        note.replace("\n\n", "\n"),  # no blank line before the signatures
        note.replace("\u2014", "-"),  # ASCII hyphen instead of the em dash
        note.rstrip("\n"),
        note.replace("\n", "\r\n"),
    ):
        with pytest.raises(InvalidCheckpoint):
            verify_checkpoint(broken, vkey)


def test_vkey_whose_id_does_not_match_is_rejected(log_key: Ed25519PrivateKey, vkey: str) -> None:
    name, _, key = vkey.split("+", 2)
    note = sign_checkpoint(CHECKPOINT, ORIGIN, log_key)
    with pytest.raises(InvalidCheckpoint, match="key ID"):
        verify_checkpoint(note, f"{name}+00000000+{key}")


def test_origin_that_would_forge_lines_cannot_be_signed(log_key: Ed25519PrivateKey) -> None:
    forged = Checkpoint(origin="evil\n999", size=1, root=ROOT)
    with pytest.raises(InvalidCheckpoint):
        sign_checkpoint(forged, ORIGIN, log_key)
