"""The log verifier (DESIGN §4): re-read the whole database, trust no derived column, name every
row that does not hold.

`verify_log` streams `log_entries` in index order once. Each body is re-parsed and rebuilt as a
canonical envelope, hashed, compared with its columns, and its signatures checked against
`party_keys` (`audit.replay`); its chain link and lifecycle rule are replayed as ingest applies
them; its leaf hash is collected for the Merkle checks (`audit.merkle_check`): the root at every
stored checkpoint, each checkpoint's signature by the log key, and every `log_nodes` row.
Memory is bounded by the number of subjects (their heads and states) plus 64 bytes per entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click
from flask import Flask
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from trace_service.audit.merkle_check import (
    STREAM,
    MerkleCheck,
    StoredCheckpoint,
    load_checkpoints,
    span,
)
from trace_service.audit.replay import Replay, stored_bytes
from trace_service.db import is_sqlite, new_session
from trace_service.errors import DomainError
from trace_service.ledger.envelope import Envelope, parse_envelope
from trace_service.ledger.log_key import LogKey
from trace_service.ledger.models import LogEntry
from trace_service.ledger.records import validate_record
from trace_service.plumbing.timestamps import parse_time


@dataclass(frozen=True, slots=True)
class Problem:
    """One row that does not hold: `row` names table and key, `kind` is a stable code."""

    row: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.row}: {self.kind}: {self.detail}"


@dataclass
class VerificationReport:
    entries: int = 0
    checkpoints: int = 0
    tree_size: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, row: str, kind: str, detail: str) -> None:
        self.problems.append(Problem(row, kind, detail))

    def kinds(self, row: str) -> set[str]:
        """The problem kinds reported for one row."""
        return {p.kind for p in self.problems if p.row == row}

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.problems)} problems"
        return f"verified {self.entries} entries, {self.checkpoints} checkpoints: {verdict}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _EntryScan:
    """Per-entry checks, fed with `log_entries` rows in index order."""

    def __init__(
        self,
        replay: Replay,
        tree: MerkleCheck,
        checkpoints: list[StoredCheckpoint],
        report: VerificationReport,
    ) -> None:
        self.replay = replay
        self.tree = tree
        self.add = report.add
        self.report = report
        self.checkpoints = {c.size: c for c in checkpoints}
        self.sizes = [c.size for c in checkpoints]
        self.cover_at = 0  # position in `sizes` of the smallest checkpoint covering next_idx
        self.next_idx = 0

    def entry(self, row: Row[Any]) -> None:
        idx = int(row.idx)
        name = f"log_entries idx={idx}"
        if idx < self.next_idx:
            self.add(name, "duplicate_index", "index already seen (or negative)")
            return
        if idx > self.next_idx:
            rows = "log_entries " + span("idx", self.next_idx, idx - 1)
            self.add(rows, "gap", "missing: the log's indices must be contiguous")
            self.tree.pad(idx)
        self.next_idx = idx + 1
        self.report.entries += 1
        body = stored_bytes(row.body)
        digest = hashlib.sha256(body).hexdigest()
        self.tree.add_leaf(body)
        if digest != row.hash:
            self.add(name, "hash_mismatch", f"sha256(body) is {digest}, the hash column {row.hash}")
        self._checkpoint_size(idx, name, row)
        envelope = self._envelope(name, body)
        if envelope is None:
            return
        payload = envelope.payload
        valid, at = self._payload(name, payload)
        self._columns(name, row, payload, at)
        subject, prev = payload.get("subject"), payload.get("prev")
        signers = self.replay.signers(idx, envelope, at)
        if isinstance(subject, str) and (prev is None or isinstance(prev, str)):
            self.replay.step(idx, digest, payload, signers if valid else None, at)

    def _envelope(self, name: str, body: bytes) -> Envelope | None:
        try:
            envelope = parse_envelope(json.loads(body, parse_constant=_reject_constant))
        except (ValueError, RecursionError, DomainError) as exc:
            self.add(name, "malformed_entry", f"body is not a signed envelope: {exc}")
            return None
        if envelope.body != body:
            self.add(name, "not_canonical", "body is not the canonical form of its envelope")
        return envelope

    def _payload(self, name: str, payload: dict[str, Any]) -> tuple[bool, datetime | None]:
        """Validate a payload as ingest does; the signing time when it can be read."""
        try:
            at = parse_time(payload.get("time"))  # type: ignore[arg-type]
        except ValueError:
            at = None
        try:
            validate_record(payload)
        except DomainError as exc:
            errors = exc.extensions.get("errors")
            self.add(name, "invalid_payload", f"{exc.detail}{f': {errors}' if errors else ''}")
            return False, at
        return True, at

    def _columns(
        self, name: str, row: Row[Any], payload: dict[str, Any], at: datetime | None
    ) -> None:
        expected = {
            "subject": payload.get("subject"),
            "type": payload.get("type"),
            "prev": payload.get("prev") or "",
            "signed_at": at,
        }
        for column, value in expected.items():
            stored = getattr(row, column)
            if stored != value:
                self.add(
                    name, "column_mismatch", f"{column} column is {stored!r}, payload: {value!r}"
                )

    def _checkpoint_size(self, idx: int, name: str, row: Row[Any]) -> None:
        while self.cover_at < len(self.sizes) and self.sizes[self.cover_at] <= idx:
            self.cover_at += 1
        cover = self.sizes[self.cover_at] if self.cover_at < len(self.sizes) else None
        size = row.checkpoint_size
        if size != cover:
            if size not in self.checkpoints:
                why = "is not a stored checkpoint"
            elif size <= idx:
                why = "does not contain the entry"
            else:
                why = f"is not the checkpoint the entry was integrated with ({cover})"
            self.add(name, "checkpoint_size_mismatch", f"checkpoint_size {size} {why}")
        elif cover is not None and self.checkpoints[cover].signed_at != row.integrated_at:
            self.add(
                name,
                "integrated_at_mismatch",
                f"differs from the signing time of checkpoint {cover}",
            )

    def finish(self) -> None:
        if self.sizes and self.sizes[-1] > self.next_idx:
            rows = "log_entries " + span("idx", self.next_idx, self.sizes[-1] - 1)
            self.add(rows, "gap", f"missing: checkpoint size={self.sizes[-1]} covers them")
            self.tree.pad(self.sizes[-1])


def _entries(session: Session) -> Iterator[Any]:
    columns = (
        LogEntry.idx, LogEntry.hash, LogEntry.subject, LogEntry.type, LogEntry.prev,
        LogEntry.signed_at, LogEntry.integrated_at, LogEntry.checkpoint_size, LogEntry.body,
    )  # fmt: skip
    query = select(*columns).order_by(LogEntry.idx).execution_options(yield_per=STREAM)
    yield from session.execute(query)


def verify_log(session: Session, vkey: str, origin: str) -> VerificationReport:
    """Check every entry, chain link, lifecycle rule, derived row and checkpoint of the log.

    `vkey` is the log's signed-note verifier key and `origin` its checkpoint origin. Reads one
    consistent snapshot (REPEATABLE READ on PostgreSQL, one read transaction on SQLite) and
    never writes. Raises only for failures of the database itself.
    """
    report = VerificationReport()
    began = not session.in_transaction()
    if began and not is_sqlite(session):
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    try:
        checkpoints = load_checkpoints(session)
        report.checkpoints = len(checkpoints)
        replay = Replay(session, report.add)
        tree = MerkleCheck(checkpoints, report.add)
        scan = _EntryScan(replay, tree, checkpoints, report)
        for row in _entries(session):
            scan.entry(row)
        entries_end = scan.next_idx
        scan.finish()
        replay.finish(session)
        tree.finish(session, vkey, origin, entries_end)
        report.tree_size = tree.size
    finally:
        if began:
            session.rollback()
    return report


def register_cli(app: Flask) -> None:
    """Add `flask --app trace_service verify-log` to the app's commands."""

    @app.cli.command("verify-log")
    @click.option("--vkey", help="Verifier key of the log (default: this instance's log key).")
    @click.option("--origin", help="Checkpoint origin (default: this instance's LOG_ORIGIN).")
    def verify_log_command(vkey: str | None, origin: str | None) -> None:
        """Re-verify the whole log and every table derived from it; exit 1 on any problem."""
        log_key: LogKey = app.extensions["trace_log_key"]
        session = new_session(app)
        try:
            report = verify_log(session, vkey or log_key.vkey, origin or log_key.origin)
        finally:
            session.close()
        click.echo(report.summary())
        for problem in report.problems:
            click.echo(str(problem))
        if not report.ok:
            raise SystemExit(1)
