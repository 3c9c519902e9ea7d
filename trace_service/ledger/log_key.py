"""The service's own Ed25519 log key: generated on first run into the instance folder.

The key can be rotated (`rotate-log-key`, see trace_service.ops.key_rotation): the key file is
replaced and the retired public key is kept in `log_keys/` beside it with the range of tree sizes
it signed, so checkpoints signed before the rotation stay verifiable. Every process re-reads the
key file when it changes, so running workers sign with the new key from their next checkpoint.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app, has_app_context

from trace_service.errors import DomainError
from trace_service.ledger.checkpoint import key_id, verifier_key

KEY_FILE = "log_ed25519.pem"
HISTORY_DIR = "log_keys"


class LogKeyUnavailable(DomainError):
    code = "log_key_unavailable"
    status = 503
    title = "The log key cannot be read"


@dataclass(frozen=True)
class RetiredKey:
    """A log key that signed checkpoints of tree sizes `first_size`..`last_size`, then retired."""

    name: str
    key_id: str  # hex, the signed-note key ID
    vkey: str
    first_size: int
    last_size: int
    retired_at: str  # RFC 3339


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int, int]
    private: Ed25519PrivateKey
    public_bytes: bytes
    vkey: str


class LogKey:
    """The current log key, re-read from its file whenever the file is replaced (rotation)."""

    def __init__(self, origin: str, path: Path) -> None:
        self.origin = origin
        self.path = path
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        load_or_create(path)
        self._current()

    @property
    def name(self) -> str:
        # The signed-note key name is the log's origin, as C2SP checkpoints recommend.
        return self.origin

    @property
    def history_dir(self) -> Path:
        return self.path.parent / HISTORY_DIR

    def _current(self) -> _Loaded:
        """The key in the file now; raises LogKeyUnavailable if the file is gone or unreadable."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise LogKeyUnavailable(f"log key file {self.path.name} is missing") from exc
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        loaded = self._loaded
        if loaded is not None and loaded.stamp == stamp:
            return loaded
        with self._lock:
            if self._loaded is None or self._loaded.stamp != stamp:
                try:
                    private = _read_private_key(self.path)
                except (OSError, ValueError) as exc:
                    raise LogKeyUnavailable(f"log key file {self.path.name}: {exc}") from exc
                public = private.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
                vkey = verifier_key(self.name, public)
                self._loaded = _Loaded(stamp, private, public, vkey)
            return self._loaded

    @property
    def private(self) -> Ed25519PrivateKey:
        return self._current().private

    @property
    def public_bytes(self) -> bytes:
        return self._current().public_bytes

    @property
    def vkey(self) -> str:
        return self._current().vkey

    @property
    def key_id(self) -> str:
        """The hex signed-note key ID of the current key."""
        return key_id(self.name, self.public_bytes).hex()

    def verifier_keys(self) -> list[dict[str, Any]]:
        """Every key that signed the log's checkpoints, oldest first, with the sizes it signed
        (`last_size` None for the current key). A retired key's last checkpoint is co-signed by
        its successor, so consecutive ranges share one size."""
        keys: list[dict[str, Any]] = [{**asdict(k), "current": False} for k in self.history()]
        keys.append(
            {
                "name": self.name,
                "key_id": self.key_id,
                "vkey": self.vkey,
                "first_size": keys[-1]["last_size"] if keys else 0,
                "last_size": None,
                "current": True,
                "retired_at": None,
            }
        )
        return keys

    def history(self) -> list[RetiredKey]:
        """The retired keys, oldest first."""
        if not self.history_dir.is_dir():
            return []
        keys = [
            RetiredKey(**json.loads(path.read_text())) for path in self.history_dir.glob("*.json")
        ]
        return sorted(keys, key=lambda k: (k.last_size, k.retired_at))

    def retire(self, key: RetiredKey) -> Path:
        """Record a retired key in the history (atomically); returns its file."""
        self.history_dir.mkdir(parents=True, exist_ok=True)
        path = self.history_dir / f"{key.last_size:012d}-{key.key_id}.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(key), indent=2) + "\n")
        os.replace(tmp, path)
        return path

    def replace(self, private: Ed25519PrivateKey) -> None:
        """Make `private` the log key: the file is replaced atomically, every process sees it."""
        _write_private_key(self.path, private, replace=True)

    def schedule(self) -> Callable[[int], str]:
        """Which verifier key signed the checkpoint of a tree size: the retired key whose range
        covers it, else the current key."""
        retired = self.history()
        current = self.vkey

        def vkey_for(size: int) -> str:
            for key in retired:
                if key.first_size <= size <= key.last_size:
                    return key.vkey
            return current

        return vkey_for


def key_schedule(vkey: str) -> Callable[[int], str]:
    """The verifier key for each tree size of the log whose current key is `vkey`.

    In an app whose current log key is `vkey`, retired keys answer for the sizes they signed;
    otherwise (another log's key, no app) `vkey` answers for every size.
    """
    if has_app_context():
        key = current_app.extensions.get("trace_log_key")
        if isinstance(key, LogKey) and key.vkey == vkey:
            return key.schedule()
    return lambda _size: vkey


def retired_key(key: LogKey, first_size: int, last_size: int, retired_at: str) -> RetiredKey:
    """The history record of `key`'s current key, retired after signing sizes first..last."""
    return RetiredKey(
        name=key.name,
        key_id=key.key_id,
        vkey=key.vkey,
        first_size=first_size,
        last_size=last_size,
        retired_at=retired_at,
    )


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 key")
    return key


def _write_private_key(path: Path, key: Ed25519PrivateKey, *, replace: bool) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a private name first: no process ever reads a half-written key.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    try:
        if replace:
            os.replace(tmp, path)
        else:
            # Two workers starting together agree on one key: the first link wins.
            os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """Read a PEM private key, creating it (mode 0600) if it does not exist yet."""
    if not path.exists():
        _write_private_key(path, Ed25519PrivateKey.generate(), replace=False)
    return _read_private_key(path)


def init_app(app: Flask) -> None:
    path = Path(app.config.get("LOG_KEY_PATH") or Path(app.instance_path) / KEY_FILE)
    app.extensions["trace_log_key"] = LogKey(app.config["LOG_ORIGIN"], path)


def current_log_key() -> LogKey:
    key: LogKey = current_app.extensions["trace_log_key"]
    return key
