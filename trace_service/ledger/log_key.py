"""The service's own Ed25519 log key: generated on first run into the instance folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app

from trace_service.ledger.checkpoint import verifier_key

KEY_FILE = "log_ed25519.pem"


@dataclass(frozen=True)
class LogKey:
    origin: str
    private: Ed25519PrivateKey

    @property
    def name(self) -> str:
        # The signed-note key name is the log's origin, as C2SP checkpoints recommend.
        return self.origin

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def vkey(self) -> str:
        return verifier_key(self.name, self.public_bytes)


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """Read a PEM private key, creating it (mode 0600) if it does not exist yet."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written atomically so two workers starting together agree on one key.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return load_or_create(path)


def init_app(app: Flask) -> None:
    path = Path(app.config.get("LOG_KEY_PATH") or Path(app.instance_path) / KEY_FILE)
    app.extensions["trace_log_key"] = LogKey(app.config["LOG_ORIGIN"], load_or_create(path))


def current_log_key() -> LogKey:
    key: LogKey = current_app.extensions["trace_log_key"]
    return key
