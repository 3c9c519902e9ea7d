"""The verifier's check of the back-tracing and credit tables (custody records, cases and their
records and shares, snapshots, credit records): ratings are computed from them, so a row edited
behind the service's back would move a grade without touching the log.

The replayed events are indexed again, by the very code ingest uses, into a scratch in-memory
database; then each table is compared with the stored one row by row, in key order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Table, create_engine, select
from sqlalchemy.orm import Session

from trace_service.credit.models import CreditRecord, Snapshot
from trace_service.lifecycle.world import World
from trace_service.tracing.indexing import IndexedEvent, index_events
from trace_service.tracing.models import Case, CaseRecord, CaseShare, CustodyRecord

AddProblem = Callable[[str, str, str], None]
_MODELS: tuple[type[Any], ...] = (
    CustodyRecord,
    Case,
    CaseRecord,
    CaseShare,
    Snapshot,
    CreditRecord,
)
_BATCH = 2_000
_STREAM = 5_000


class DerivedCheck:
    """Rebuilds the derived rows of accepted events and compares them with the stored ones."""

    def __init__(self, world: World, add: AddProblem) -> None:
        self.world = world
        self.add = add
        self.engine = create_engine("sqlite://")
        tables = [_table(model) for model in _MODELS]
        tables[0].metadata.create_all(self.engine, tables=tables)
        self.scratch = Session(self.engine)
        self.pending: list[IndexedEvent] = []

    def accepted(self, event: IndexedEvent) -> None:
        self.pending.append(event)
        if len(self.pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            index_events(self.scratch, self.pending, self.world)
            self.scratch.flush()
            self.pending = []

    def finish(self, session: Session) -> None:
        self._flush()
        try:
            for model in _MODELS:
                self._compare(session, _table(model))
        finally:
            self.scratch.close()
            self.engine.dispose()

    def _compare(self, session: Session, table: Table) -> None:
        keys = list(table.primary_key.columns)
        columns = [c.name for c in table.columns]
        stored = _rows(session, table, keys)
        rebuilt = _rows(self.scratch, table, keys)
        mine = next(rebuilt, None)
        theirs = next(stored, None)
        while mine is not None or theirs is not None:
            if theirs is None or (mine is not None and _key(mine, keys) < _key(theirs, keys)):
                assert mine is not None
                self.add(_name(table, mine, keys), "missing_row", "the log derives this row")
                mine = next(rebuilt, None)
            elif mine is None or _key(theirs, keys) < _key(mine, keys):
                self.add(_name(table, theirs, keys), "extra_row", "no log entry derives it")
                theirs = next(stored, None)
            else:
                diffs = [
                    f"{c} is {theirs[c]!r}, the log gives {mine[c]!r}"
                    for c in columns
                    if theirs[c] != mine[c]
                ]
                if diffs:
                    self.add(_name(table, theirs, keys), "derived_mismatch", "; ".join(diffs))
                mine, theirs = next(rebuilt, None), next(stored, None)


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _rows(session: Session, table: Table, keys: list[Any]) -> Iterator[dict[str, Any]]:
    result = session.execute(select(table).order_by(*keys).execution_options(yield_per=_STREAM))
    for row in result.mappings():
        yield dict(row)


def _key(row: dict[str, Any], keys: list[Any]) -> tuple[Any, ...]:
    return tuple(row[k.name] for k in keys)


def _name(table: Table, row: dict[str, Any], keys: list[Any]) -> str:
    return f"{table.name} " + " ".join(f"{k.name}={row[k.name]}" for k in keys)
