"""Receipts: the offline evidence a submitter gets back for an accepted event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from trace_service.errors import DomainError
from trace_service.ledger import log, merkle
from trace_service.ledger.models import LogEntry


@dataclass(frozen=True)
class Receipt:
    """Offline evidence of acceptance: log index, leaf hash, checkpoint and inclusion proof."""

    index: int
    hash: str
    leaf_hash: bytes
    integrated_at: datetime
    checkpoint: str
    tree_size: int
    inclusion: list[bytes]
    duplicate: bool = False


Outcome = Receipt | DomainError


def stored_receipt(session: Session, entry: LogEntry) -> Receipt:
    """The receipt an entry got when it was integrated (idempotent resubmission)."""
    size = entry.checkpoint_size
    return Receipt(
        index=entry.idx,
        hash=entry.hash,
        leaf_hash=merkle.leaf_hash(bytes(entry.body)),
        integrated_at=entry.integrated_at,
        checkpoint=log.checkpoint_note(session, size),
        tree_size=size,
        inclusion=log.inclusion_proofs(session, [entry.idx], size)[0],
        duplicate=True,
    )
