"""The credit domain's record types (DESIGN §6), registered with the ledger: rectification (整改),
the service's black-list nominations and rating snapshots (the `ratings` chain), the party rules
of objections and decisions (listings, repairs), and the indexers of snapshots and party credit
records."""

from __future__ import annotations

from trace_service.credit import list_rules, payloads
from trace_service.credit.indexing import credit_record, snapshot_row
from trace_service.credit.models import CreditRecord, Snapshot
from trace_service.ledger import indexing, records
from trace_service.ledger.indexing import Indexer
from trace_service.ledger.record_errors import InvalidPayload
from trace_service.ledger.records import RecordType, SubjectKind

RATINGS = "ratings"  # the chain of rating snapshots


def _ratings(subject: str) -> None:
    if subject != RATINGS:
        raise InvalidPayload(f"{subject!r} is not a subject id", code="invalid_subject")


RATINGS_KIND = SubjectKind(RATINGS, lambda s: s == RATINGS, _ratings)

TYPES = (
    (RecordType("rectification", payloads.RectificationPayload(), "整改 rectification",
                "the rated unit or its company"), "party", list_rules.rectification),
    (RecordType("nomination", payloads.NominationPayload(), "黑名单提名 black-list nomination",
                "the service's records key"), "party", list_rules.nomination),
    (RecordType("snapshot", payloads.SnapshotPayload(), "评级快照 rating snapshot",
                "the service's records key"), RATINGS, list_rules.snapshot),
)  # fmt: skip

PARTY_RECORDS = frozenset({"nomination", "objection", "decision", "rectification"})


def register() -> None:
    """Register the ratings chain, the credit record types and rules, and their indexers."""
    records.register_subject_kind(RATINGS_KIND)
    for record_type, kind, rule in TYPES:
        records.register_type(record_type)
        records.register_rule(record_type.name, kind, rule)
    records.register_rule("objection", "party", list_rules.objection)
    records.register_rule("decision", "party", list_rules.decision)
    indexing.register_indexer(
        Indexer("snapshot", frozenset({"snapshot"}), snapshot_row, (Snapshot,), keyed_by_hash=True)
    )
    indexing.register_indexer(
        Indexer(
            "credit_record",
            PARTY_RECORDS,
            credit_record,
            (CreditRecord,),
            subject_kinds=frozenset({"party"}),
            keyed_by_hash=True,
        )
    )
