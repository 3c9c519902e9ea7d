"""The verifier's check of every derived table the registered indexers write (custody records,
cases and their records and shares, snapshots, credit records...): ratings are computed from
them, so a row edited behind the service's back would move a grade without touching the log.

The replayed events are indexed again, by the very indexers ingest runs, into a scratch
in-memory database; then each table is compared with the stored one row by row, in key order.
The rating lines of each snapshot must hash to the content hash the snapshot logged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Table, create_engine, select
from sqlalchemy.orm import Session

from trace_service.credit.models import Snapshot, SnapshotRating
from trace_service.credit.parameters import DEFAULT_PARAMETERS
from trace_service.credit.snapshots import snapshot_content
from trace_service.ledger.indexing import IndexedEvent, derived_tables, index_events, keyed_by_hash
from trace_service.ledger.transitions import World

AddProblem = Callable[[str, str, str], None]
_BATCH = 2_000
_STREAM = 5_000


class DerivedCheck:
    """Rebuilds the derived rows of accepted events and compares them with the stored ones."""

    def __init__(self, world: World, add: AddProblem) -> None:
        self.world = world
        self.add = add
        self.engine = create_engine("sqlite://")
        self.models = derived_tables()
        tables = [_table(model) for model in self.models]
        tables[0].metadata.create_all(self.engine, tables=tables)
        self.scratch = Session(self.engine)
        self.pending: list[IndexedEvent] = []
        # Hashes of the events indexed under their own hash (cases, their records, credit
        # records, snapshots): a body logged twice is reported on its row, and indexed once.
        self.keyed: set[str] = set()

    def accepted(self, event: IndexedEvent) -> None:
        payload = event.payload
        if keyed_by_hash(payload):
            if event.hash in self.keyed:
                return
            self.keyed.add(event.hash)
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
            for model in self.models:
                self._compare(session, _table(model))
            self._check_ratings(session)
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

    def _check_ratings(self, session: Session) -> None:
        """Each snapshot's rating lines (what the rating pages serve) hash to the content_hash it
        logged, and their columns (what the pages filter on) say what the lines say.

        A snapshot row that differs from the log is reported as such, not again here; snapshots
        of another method version are skipped (their header is not this version's).
        """
        table = _table(Snapshot)
        keys = list(table.primary_key.columns)
        stored = {row["idx"]: row for row in _rows(session, table, keys)}
        for logged in _rows(self.scratch, table, keys):
            idx, content_hash = logged["idx"], logged["content_hash"]
            if stored.get(idx) != logged or logged["method_version"] != DEFAULT_PARAMETERS.version:
                continue
            rows = session.execute(
                select(SnapshotRating.unit_id, SnapshotRating.role, SnapshotRating.grade,
                       SnapshotRating.body).where(SnapshotRating.content_hash == content_hash)
            )  # fmt: skip
            for unit, role, grade, body in rows:
                try:
                    line = json.loads(body)
                except ValueError:
                    line = None
                said = (
                    [line.get(k) for k in ("unit_id", "role", "grade")]
                    if isinstance(line, dict)
                    else None
                )
                if said != [unit, role, grade]:
                    row = f"snapshot_ratings content_hash={content_hash} unit_id={unit}"
                    self.add(row, "rating_mismatch", "its columns are not what its line says")
            try:
                content = snapshot_content(session, idx)
            except (ValueError, KeyError, TypeError):
                content = b""
            if hashlib.sha256(content).hexdigest() != content_hash:
                self.add(
                    f"snapshot_ratings content_hash={content_hash}",
                    "content_mismatch",
                    f"the rating lines of snapshot idx={idx} do not hash to its content_hash "
                    "(recompute-snapshot rebuilds them from the log)",
                )


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
