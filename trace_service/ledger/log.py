"""The append-only Merkle log in the database: appends, checkpoints and proofs (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, TextClause, func, insert, select, text
from sqlalchemy.orm import Session

from trace_service.errors import DomainError, NotFound
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import Checkpoint as SignedTreeHead
from trace_service.ledger.checkpoint import sign_checkpoint
from trace_service.ledger.log_key import LogKey
from trace_service.ledger.models import Checkpoint, LogEntry, LogNode

# Large IN lists are split so no backend hits its bound-parameter limit.
_CHUNK = 400


class InvalidTreeSize(DomainError):
    code = "invalid_tree_size"
    status = 422
    title = "No such tree size"


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An accepted envelope about to be appended."""

    body: bytes
    hash: str
    subject: str
    type: str
    prev: str | None
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Appended:
    """What an append produced: the first new index, the new size and its signed checkpoint."""

    first_index: int
    size: int
    note: str
    nodes: dict[merkle.NodeKey, bytes]
    integrated_at: datetime
    # Older nodes the append read (the old frontier): with `nodes`, what the receipts' proofs need.
    known: dict[merkle.NodeKey, bytes] = field(default_factory=dict)


def node_getter(
    session: Session, overlay: Mapping[merkle.NodeKey, bytes] | None = None
) -> merkle.NodeGetter:
    """A NodeGetter over the log_nodes table, consulting `overlay` (nodes not yet stored) first."""

    def get(keys: Collection[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        found: dict[merkle.NodeKey, bytes] = {}
        wanted = []
        for key in keys:
            if overlay is not None and key in overlay:
                found[key] = overlay[key]
            else:
                wanted.append(key)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = session.execute(_select_nodes(chunk))
            for level, idx, digest in rows:
                found[(level, idx)] = bytes(digest)
        return found

    return get


def _select_nodes(keys: Sequence[merkle.NodeKey]) -> TextClause:
    # One `level = L AND idx IN (...)` per level: both backends search the primary key with it,
    # whereas SQLite scans the whole table for a row-value `(level, idx) IN (...)`. The keys are
    # integers written as literals: building the same query as SQLAlchemy expressions costs
    # more than the query itself.
    by_level: dict[int, list[str]] = {}
    for level, idx in keys:
        by_level.setdefault(int(level), []).append(str(int(idx)))
    where = " OR ".join(
        f"(level = {level} AND idx IN ({', '.join(idxs)}))" for level, idxs in by_level.items()
    )
    return text(f"SELECT level, idx, hash FROM {LogNode.__tablename__} WHERE {where}")


def tree_size(session: Session) -> int:
    """The size of the latest signed checkpoint (0 for an empty log)."""
    size = session.scalar(select(func.max(Checkpoint.size)))
    return int(size or 0)


def append(
    session: Session,
    entries: Sequence[NewEntry],
    log_key: LogKey,
    now: datetime,
    old_size: int | None = None,
) -> Appended:
    """Append entries at the end of the log and sign the new checkpoint.

    The caller holds the log's write serialisation (`db.serialized_write`), so no other writer
    can interleave and the log never signs two inconsistent tree heads; a caller that already
    read the tree size under it may pass it as `old_size`.
    """
    if old_size is None:
        old_size = tree_size(session)
    leaves = [merkle.leaf_hash(e.body) for e in entries]
    known: dict[merkle.NodeKey, bytes] = {}
    read = node_getter(session)

    def read_frontier(keys: Collection[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        known.update(read(keys))
        return known

    nodes = merkle.append_leaves(old_size, leaves, read_frontier)
    size = old_size + len(entries)
    # The new root needs only new nodes and old frontier ones: no second read.
    root = merkle.tree_root(size, node_getter(session, {**known, **nodes}))
    note = sign_checkpoint(
        SignedTreeHead(log_key.origin, size, root), log_key.name, log_key.private
    )
    if entries:
        # Core inserts into the tables: the ORM's bulk path adds nothing here but time.
        session.execute(
            insert(cast(Table, LogEntry.__table__)),
            [
                {
                    "idx": old_size + i,
                    "hash": e.hash,
                    "subject": e.subject,
                    "type": e.type,
                    "prev": e.prev or "",
                    "signed_at": e.signed_at,
                    "integrated_at": now,
                    "checkpoint_size": size,
                    "body": e.body,
                }
                for i, e in enumerate(entries)
            ],
        )
        session.execute(
            insert(cast(Table, LogNode.__table__)),
            [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in nodes.items()],
        )
        session.execute(
            insert(cast(Table, Checkpoint.__table__)),
            [{"size": size, "root": root, "note": note, "signed_at": now}],
        )
    return Appended(
        first_index=old_size, size=size, note=note, nodes=nodes, integrated_at=now, known=known
    )


def checkpoint_note(session: Session, size: int | None = None) -> str:
    """The signed note for a tree size (the latest when None); raises NotFound."""
    query = select(Checkpoint.note)
    if size is None:
        query = query.order_by(Checkpoint.size.desc()).limit(1)
    else:
        query = query.where(Checkpoint.size == size)
    note = session.scalar(query)
    if note is None:
        raise NotFound(
            "no checkpoint has been signed yet" if size is None else f"no checkpoint at {size}"
        )
    return note


def latest_note(session: Session, log_key: LogKey, now: datetime) -> str:
    """The latest checkpoint; the empty tree's is signed first if nothing was logged yet."""
    note = session.scalar(select(Checkpoint.note).order_by(Checkpoint.size.desc()).limit(1))
    if note is not None:
        return note
    from trace_service.db import serialized_write

    with serialized_write(session):
        if tree_size(session) == 0 and session.get(Checkpoint, 0) is None:
            root = merkle.EMPTY_ROOT
            head = SignedTreeHead(log_key.origin, 0, root)
            note = sign_checkpoint(head, log_key.name, log_key.private)
            session.add(Checkpoint(size=0, root=root, note=note, signed_at=now))
    return checkpoint_note(session)


def _check_size(session: Session, size: int) -> None:
    latest = tree_size(session)
    if not 1 <= size <= latest:
        raise InvalidTreeSize(f"tree size must be between 1 and {latest}", tree_size=latest)


def inclusion_proof(
    session: Session, index: int, size: int, overlay: Mapping[merkle.NodeKey, bytes] | None = None
) -> list[bytes]:
    """The audit path of entry `index` in the tree of `size`; raises InvalidTreeSize."""
    if overlay is None:
        _check_size(session, size)
    if not 0 <= index < size:
        raise InvalidTreeSize(f"index {index} is not in a tree of size {size}")
    return merkle.inclusion_proof(index, size, node_getter(session, overlay))


def inclusion_proofs(
    session: Session,
    indices: Sequence[int],
    size: int,
    overlay: Mapping[merkle.NodeKey, bytes] | None = None,
) -> list[list[bytes]]:
    """Audit paths for many entries of one tree size, with a single round trip for their nodes."""
    paths = [merkle.inclusion_ranges(index, size) for index in indices]
    # Neighbouring entries share most of their paths: each leaf range is hashed once.
    plans = {leaves: merkle.range_keys(*leaves) for path in paths for leaves in path}
    wanted = {key for keys in plans.values() for key in keys}
    nodes = node_getter(session, overlay)(wanted)
    missing = wanted - nodes.keys()
    if missing:
        raise merkle.MissingNodes(f"node store is missing {len(missing)} node(s)")
    hashes: dict[merkle.LeafRange, bytes] = {}
    for leaves, keys in plans.items():
        digest = nodes[keys[-1]]
        for key in reversed(keys[:-1]):  # RFC 9162 splits at the largest power of two
            digest = merkle.node_hash(nodes[key], digest)
        hashes[leaves] = digest
    return [[hashes[leaves] for leaves in path] for path in paths]


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """The proof that the tree of `first` is a prefix of the tree of `second`."""
    _check_size(session, second)
    if not 1 <= first <= second:
        raise InvalidTreeSize(f"first size must be between 1 and {second}")
    return merkle.consistency_proof(first, second, node_getter(session))


def entry_body(session: Session, index: int) -> bytes:
    """The exact bytes whose leaf hash sits at `index`; raises NotFound."""
    body = session.scalar(select(LogEntry.body).where(LogEntry.idx == index))
    if body is None:
        raise NotFound(f"no log entry at index {index}")
    return bytes(body)


def leaf_hash_at(session: Session, index: int) -> bytes:
    """The stored leaf hash at `index`; raises NotFound."""
    digest = session.scalar(select(LogNode.hash).where(LogNode.level == 0, LogNode.idx == index))
    if digest is None:
        raise NotFound(f"no log entry at index {index}")
    return bytes(digest)
