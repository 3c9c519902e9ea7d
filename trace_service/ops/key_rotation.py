"""Log key rotation (`rotate-log-key`): a new checkpoint signing key, the old one kept verifiable.

Under the log's write serialisation (no append can interleave) the latest checkpoint, of size S,
is co-signed with the new key, the old public key is recorded in `log_keys/` as having signed
sizes first..S, and the key file is replaced. Every process re-reads the key file before its next
signature, so the first checkpoint after S is signed by the new key; `/checkpoint` verifies with
either key at once, and `verify-log` checks each checkpoint against the key that was current for
its size (a checkpoint beyond S signed by the old key is reported).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trace_service.db import new_session, serialized_write
from trace_service.ledger import log
from trace_service.ledger.checkpoint import InvalidCheckpoint, parse_checkpoint, sign_checkpoint
from trace_service.ledger.log_key import LogKey, RetiredKey, retired_key
from trace_service.ledger.models import Checkpoint
from trace_service.plumbing.timestamps import format_time


@dataclass(frozen=True)
class Rotation:
    retired: RetiredKey
    new_vkey: str


def cosign(note: str, name: str, private: Ed25519PrivateKey) -> str:
    """`note` with one more signature line, by `private` under key name `name`.

    Raises InvalidCheckpoint if the note is not a checkpoint that can be re-signed exactly.
    """
    head = parse_checkpoint(note)
    signed = sign_checkpoint(head, name, private)
    text, _, line = signed.partition("\n\n")
    if not note.startswith(text + "\n\n"):
        # Extension lines would not survive parse + body(): refuse rather than sign other text.
        raise InvalidCheckpoint("the checkpoint has text this service did not write")
    return note + line


def rotate_log_key(session: Session, key: LogKey, now: datetime) -> Rotation:
    """Replace the log key; the retired key keeps the sizes it signed. Commits."""
    # The empty log's first checkpoint is signed now if it was not yet, by the old key.
    log.latest_note(session, key, now)
    with serialized_write(session):
        history = key.history()
        # A retired key's last checkpoint is co-signed by its successor: ranges meet there.
        first = history[-1].last_size if history else 0
        size, note = session.execute(
            select(Checkpoint.size, Checkpoint.note).order_by(Checkpoint.size.desc()).limit(1)
        ).one()
        new = Ed25519PrivateKey.generate()
        session.execute(
            update(Checkpoint)
            .where(Checkpoint.size == size)
            .values(note=cosign(note, key.name, new))
        )
        retired = retired_key(key, first, int(size), format_time(now))
        recorded = key.retire(retired)
        try:
            key.replace(new)
        except BaseException:
            recorded.unlink(missing_ok=True)
            raise
    return Rotation(retired, key.vkey)


@click.command("rotate-log-key")
@with_appcontext
def rotate_log_key_command() -> None:
    """Replace the log's signing key; the old public key stays in log_keys/ for the sizes it
    signed. Stop writers on other machines first (see README, Operations)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    key: LogKey = app.extensions["trace_log_key"]
    session = new_session(app)
    try:
        rotation = rotate_log_key(session, key, datetime.now(UTC))
    finally:
        session.close()
    old = rotation.retired
    click.echo(f"retired {old.vkey} (signed sizes {old.first_size}..{old.last_size})")
    click.echo(f"current {rotation.new_vkey}")
