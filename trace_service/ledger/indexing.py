"""Derived rows of accepted events, written by the indexers each domain registers.

An accepted event is appended to the log, then every indexer registered for its record type
and subject kind writes the rows it derives (custody records, cases, credit records...). They
are functions of the logged events alone, so the verifier rebuilds them with the same indexers
into a scratch database and compares (`audit.derived`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from trace_service.ledger.records import subject_kind
from trace_service.ledger.transitions import Signer, World


@dataclass(frozen=True, slots=True)
class IndexedEvent:
    """An accepted event at its log index, with who signed it."""

    idx: int
    hash: str
    payload: dict[str, Any]
    signers: list[Signer]
    signed_at: datetime


@dataclass
class IndexBatch:
    """What an indexer writes with: the session, the world the batch was checked against, and
    rows to insert in bulk once the whole batch is indexed (`bulk`)."""

    session: Session
    world: World
    rows: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)

    def bulk(self, model: type[Any], row: dict[str, Any]) -> None:
        """Insert `row` into `model`'s table after the batch (nothing in it reads it back)."""
        self.rows.setdefault(cast(Table, model.__table__), []).append(row)


@dataclass(frozen=True)
class Indexer:
    """Writes the derived rows of events of `types` (about subjects of `subject_kinds`, or any
    kind when None) into `tables`. `keyed_by_hash`: its rows are keyed by the event's hash, so
    an event logged twice is indexed once."""

    name: str
    types: frozenset[str]
    index: Callable[[IndexBatch, IndexedEvent], None]
    tables: tuple[type[Any], ...]
    subject_kinds: frozenset[str] | None = None
    keyed_by_hash: bool = False

    def applies(self, payload: dict[str, Any]) -> bool:
        if payload["type"] not in self.types:
            return False
        return self.subject_kinds is None or subject_kind(payload["subject"]) in self.subject_kinds


_INDEXERS: list[Indexer] = []


def register_indexer(indexer: Indexer) -> None:
    """Add an indexer (run in registration order, event by event)."""
    if all(known.name != indexer.name for known in _INDEXERS):
        _INDEXERS.append(indexer)


def indexers() -> list[Indexer]:
    return list(_INDEXERS)


def derived_tables() -> list[type[Any]]:
    """Every table an indexer writes, in registration order."""
    tables: list[type[Any]] = []
    for indexer in _INDEXERS:
        tables.extend(t for t in indexer.tables if t not in tables)
    return tables


def keyed_by_hash(payload: dict[str, Any]) -> bool:
    """Whether some indexer keys the rows of this event by its hash."""
    return any(i.keyed_by_hash and i.applies(payload) for i in _INDEXERS)


def index_events(session: Session, events: Sequence[IndexedEvent], world: World) -> None:
    """Write the derived rows of `events` (already appended to the log at their indices)."""
    batch = IndexBatch(session, world)
    for event in events:
        for indexer in _INDEXERS:
            if indexer.applies(event.payload):
                indexer.index(batch, event)
    for table, rows in batch.rows.items():
        session.execute(insert(table), rows)
