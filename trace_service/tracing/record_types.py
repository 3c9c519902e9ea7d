"""Back-tracing's record types (DESIGN §5), registered with the ledger: the complaint case chain
(`case/<complaint hash>`), its records — attribution, objection, decision, resolution — with
their rules, the logged complaints those rules consult, and the indexers of custody records
(from the lifecycle's dispatches, handoffs and deliveries), cases and case records."""

from __future__ import annotations

import re
from collections.abc import Iterable

from trace_service.ledger import indexing, records
from trace_service.ledger.indexing import Indexer
from trace_service.ledger.record_errors import InvalidPayload
from trace_service.ledger.records import FactSource, Payload, RecordType, SubjectKind
from trace_service.tracing import case_rules, payloads
from trace_service.tracing.indexing import (
    CUSTODY_KIND,
    case_record,
    complaint_facts,
    complaint_facts_of,
    custody_record,
    open_case,
    wanted_complaints,
)
from trace_service.tracing.models import Case, CaseRecord, CaseShare, CustodyRecord

# A complaint case (投诉案件): the attribution, objection and decisions about one complaint.
CASE = re.compile(r"^case/[0-9a-f]{64}\Z")


def _case_id(subject: str) -> None:
    if not CASE.match(subject):
        raise InvalidPayload(f"{subject!r} is not a subject id", code="invalid_subject")


def _shared(payload: Payload) -> Iterable[str]:
    shares = payload.get("shares")
    if not isinstance(shares, list):
        return []
    return [s["party"] for s in shares if isinstance(s, dict) and "party" in s]


CASE_KIND = SubjectKind("case", lambda s: s.startswith("case/"), _case_id, "complaint case")

TYPES = (
    RecordType("attribution", payloads.AttributionPayload(), "责任认定 attribution",
               "the service's records key", parties=_shared),
    RecordType("objection", payloads.ObjectionPayload(), "异议 objection",
               "the attributed (or listed) party, its outlet or its company"),
    RecordType("decision", payloads.DecisionPayload(), "复核决定 regulator's decision",
               "a regulator", parties=_shared),
    RecordType("resolution", payloads.ResolutionPayload(), "投诉办结 complaint resolution",
               "the complainant or a regulator"),
)  # fmt: skip

RULES = (
    ("attribution", case_rules.attribution),
    ("objection", case_rules.objection),
    ("decision", case_rules.decision),
    ("resolution", case_rules.resolution),
)


def register() -> None:
    """Register the case chain, its record types and rules, complaints as facts, and the
    back-tracing indexers."""
    records.register_subject_kind(CASE_KIND)
    for record_type in TYPES:
        records.register_type(record_type)
    for name, rule in RULES:
        records.register_rule(name, "case", rule)
    records.register_facts(
        FactSource(
            case_rules.COMPLAINTS,
            wanted=wanted_complaints,
            load=complaint_facts,
            learn=complaint_facts_of,
        )
    )
    indexing.register_indexer(
        Indexer("custody", frozenset(CUSTODY_KIND), custody_record, (CustodyRecord,))
    )
    indexing.register_indexer(
        Indexer("case", frozenset({"complaint"}), open_case, (Case,), keyed_by_hash=True)
    )
    indexing.register_indexer(
        Indexer(
            "case_record",
            frozenset(name for name, _ in RULES),
            case_record,
            (CaseRecord, CaseShare),
            subject_kinds=frozenset({"case"}),
            keyed_by_hash=True,
        )
    )
