"""Per-subject chain heads and lifecycle state as ingest reads and writes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from trace_service.identity.models import PartyKey
from trace_service.ledger import records
from trace_service.ledger.transitions import State
from trace_service.lifecycle.models import Subject


@dataclass
class Head:
    head: str
    head_idx: int
    length: int
    state: State
    stored: bool


def load_heads(session: Session, subjects: set[str]) -> dict[str, Head]:
    if not subjects:
        return {}
    return {
        s.id: Head(s.head, s.head_idx, s.length, s.state, True)
        for s in session.scalars(select(Subject).where(Subject.id.in_(subjects)))
    }


def state_lookup(heads: dict[str, Head]) -> Callable[[str], State | None]:
    def state_of(subject: str) -> State | None:
        head = heads.get(subject)
        return head.state if head else None

    return state_of


def core_table(model: type[Any]) -> Table:
    # Core inserts into the tables: the ORM's bulk path adds nothing here but time.
    return cast(Table, model.__table__)


def store_heads(session: Session, heads: dict[str, Head]) -> None:
    new = [h for h in heads.items() if not h[1].stored]
    old = [h for h in heads.items() if h[1].stored]
    if new:
        session.execute(
            insert(core_table(Subject)),
            [
                {
                    "id": sid,
                    "kind": records.subject_kind(sid),
                    "head": h.head,
                    "head_idx": h.head_idx,
                    "length": h.length,
                    "state": h.state,
                }
                for sid, h in new
            ],
        )
    if old:
        session.execute(
            update(Subject),
            [
                {
                    "id": sid,
                    "head": h.head,
                    "head_idx": h.head_idx,
                    "length": h.length,
                    "state": h.state,
                }
                for sid, h in old
            ],
        )
    for _, h in new:
        h.stored = True


def store_buyer_keys(session: Session, buyer_keys: dict[str, tuple[bytes, datetime]]) -> None:
    if not buyer_keys:
        return
    existing = set(
        session.scalars(select(PartyKey.keyid).where(PartyKey.keyid.in_(list(buyer_keys))))
    )
    rows = [
        {"keyid": k, "party_id": None, "public_key": pk, "valid_from": at, "revoked_at": None}
        for k, (pk, at) in buyer_keys.items()
        if k not in existing
    ]
    if rows:
        session.execute(insert(core_table(PartyKey)), rows)
