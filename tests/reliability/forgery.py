"""What the forger of `mutations` works with: its picture of the database, the rows a verifier's
report must name, and the small seeded edits and stolen-key signatures every mutation is made of.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Executable, Table, select
from sqlalchemy.orm import Session

from trace_service.credit.models import CreditRecord, Snapshot, SnapshotRating
from trace_service.identity.models import PartyKey
from trace_service.ledger.checkpoint import Checkpoint as Note
from trace_service.ledger.checkpoint import sign_checkpoint
from trace_service.ledger.models import Checkpoint, LogEntry, LogNode
from trace_service.lifecycle.models import ParcelItem, Subject
from trace_service.plumbing.timestamps import format_time, parse_time
from trace_service.tracing.models import Case, CaseRecord, CaseShare, CustodyRecord

if TYPE_CHECKING:
    from tests.reliability.conftest import Story

Row = dict[str, Any]


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


ENTRIES, NODES, CHECKPOINTS, KEYS, SUBJECTS = map(
    _table, (LogEntry, LogNode, Checkpoint, PartyKey, Subject)
)
DERIVED = [_table(m) for m in (Subject, ParcelItem, CustodyRecord, Case, CaseRecord, CaseShare,
                               Snapshot, CreditRecord, SnapshotRating)]  # fmt: skip


@dataclass(frozen=True)
class Target:
    """A row the verifier's report must name: its table and primary key."""

    table: str
    key: tuple[tuple[str, Any], ...]


def target(table: Table, row: Row) -> Target:
    return Target(table.name, tuple((c.name, row[c.name]) for c in table.primary_key.columns))


@dataclass
class Mutation:
    kind: str
    how: str
    statements: list[Executable]
    targets: list[Target]


@dataclass
class Picture:
    """The populated database as the forger reads it before each edit."""

    entries: list[Row]
    checkpoints: list[Row]
    nodes: dict[tuple[int, int], bytes]
    tables: dict[str, list[Row]]
    keys: list[Row]

    @classmethod
    def load(cls, session: Session) -> Picture:
        def rows(table: Table) -> list[Row]:
            query = select(table).order_by(*table.primary_key.columns)
            return [dict(r) for r in session.execute(query).mappings()]

        nodes = {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows(NODES)}
        return cls(rows(ENTRIES), rows(CHECKPOINTS), nodes, {t.name: rows(t) for t in DERIVED},
                   rows(KEYS))  # fmt: skip


class Forger:
    """Small seeded edits and signatures with every stolen secret, over one picture."""

    def __init__(self, picture: Picture, story: Story, rng: random.Random) -> None:
        self.p = picture
        self.story = story
        self.rng = rng

    # -- small random edits -----------------------------------------------------------------

    def flip(self, data: bytes) -> bytes:
        at = self.rng.randrange(len(data))
        return data[:at] + bytes([data[at] ^ (1 << self.rng.randrange(8))]) + data[at + 1 :]

    def hex64(self) -> str:
        return self.rng.randbytes(32).hex()

    def stranger(self) -> Ed25519PrivateKey:
        """A key nobody enrolled (from the seeded generator)."""
        return Ed25519PrivateKey.from_private_bytes(self.rng.randbytes(32))

    def pick(self, rows: list[Row]) -> Row:
        return rows[self.rng.randrange(len(rows))]

    def other(self, value: Any, kind: type | None = None) -> Any:
        """A different value of the same shape (of type `kind` for a NULL column): the smallest
        edit that should matter."""
        rng = self.rng
        if value is None and kind not in (None, str):
            return {bool: True, int: 1, bytes: rng.randbytes(32), dict: {"x": 1}, list: ["x"],
                    datetime: self.p.entries[0]["signed_at"]}[kind]  # fmt: skip
        if isinstance(value, bool) or (value is None and rng.random() < 0.3):
            return not value
        if isinstance(value, int):
            return value + rng.choice([-7, -2, -1, 1, 2, 1000])
        if isinstance(value, datetime):
            return value + timedelta(seconds=rng.choice([-86400, -60, -1, 1, 3600]))
        if isinstance(value, bytes | memoryview):
            return self.flip(bytes(value))
        if isinstance(value, dict):
            name = rng.choice(sorted(value)) if value else "x"
            return {**value, name: self.other(value.get(name, 0))}
        if isinstance(value, list):
            at = rng.randrange(len(value) + 1)  # past the end: one more element
            new = self.other(value[at] if at < len(value) else "x")
            return [*value[:at], new, *value[at + 1 :]]
        text = "x" if value is None else str(value)
        if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
            return self.hex64()
        try:
            return format_time(parse_time(text) + timedelta(seconds=rng.choice([-3600, 1, 61])))
        except ValueError:
            at = rng.randrange(len(text)) if text else 0
            swap = rng.choice("0123456789abcdefxyz9AZ-_ 中")
            return text[:at] + (swap if text[at : at + 1] != swap else "#") + text[at + 1 :]

    # -- signatures -------------------------------------------------------------------------

    def _note(self, size: int, root: bytes, key: Ed25519PrivateKey | None = None,
              origin: str | None = None) -> str:  # fmt: skip
        note = Note(origin or self.story.origin, size, root)
        return sign_checkpoint(note, self.story.log_name, key or self.story.log_private)
