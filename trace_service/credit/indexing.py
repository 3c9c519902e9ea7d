"""Rows the credit domain derives from its records, written with the log entry by the indexers
registered in `credit.record_types`: logged snapshots and each party's credit records."""

from __future__ import annotations

from trace_service.credit.models import CreditRecord, Snapshot
from trace_service.ledger.indexing import IndexBatch, IndexedEvent
from trace_service.plumbing.timestamps import parse_time


def snapshot_row(batch: IndexBatch, event: IndexedEvent) -> None:
    """评级快照: a logged snapshot, as the rating pages list it."""
    p = event.payload
    batch.session.add(
        Snapshot(
            idx=event.idx,
            hash=event.hash,
            as_of=parse_time(p["as_of"]),
            tree_size=p["tree_size"],
            method_version=p["method_version"],
            rules_version=p["rules_version"],
            content_hash=p["content_hash"],
            units=p["units"],
            taken_at=event.signed_at,
        )
    )


def credit_record(batch: IndexBatch, event: IndexedEvent) -> None:
    """A record about a party: nomination, decision, objection to a listing, rectification."""
    p = event.payload
    signer = event.signers[0]
    details = {
        key: p[key] for key in ("reasons", "snapshot", "list", "complaints", "measures", "reason")
        if key in p
    }  # fmt: skip
    batch.session.add(
        CreditRecord(
            idx=event.idx,
            hash=event.hash,
            party_id=p["subject"].removeprefix("party/"),
            kind=p["type"],
            on=p.get("on"),
            outcome=p.get("outcome"),
            by=signer.party_id or signer.keyid,
            at=event.signed_at,
            details=details,
        )
    )
