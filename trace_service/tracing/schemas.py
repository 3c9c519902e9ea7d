"""Request and response schemas of the complaint-case API (documentation and serialisation).

Times are RFC 3339 UTC strings as the log writes them; shares are the log's decimal strings.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trace_service.tracing.queries import CASE_STATUSES


class CaseQuery(Schema):
    status = fields.String(
        validate=validate.OneOf(CASE_STATUSES),
        metadata={"description": "untraced, pending_objection or the current outcome"},
    )
    overdue = fields.Boolean(
        metadata={"description": "true: only objections whose review is past due at request time"}
    )
    party = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "cases currently attributed to this party, outlet or company"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10**9))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ShareOut(Schema):
    party = fields.String(required=True)
    party_kind = fields.String(required=True)
    role = fields.String(required=True)
    share = fields.String(required=True, metadata={"description": "decimal, the shares sum to 1"})
    outlet = fields.String(allow_none=True)
    company = fields.String(allow_none=True)


class ObjectionOut(Schema):
    hash = fields.String(required=True)
    index = fields.Integer(required=True)
    by = fields.String(required=True)
    filed_at = fields.String(required=True)
    review_due = fields.String(required=True, metadata={"description": "filed_at + review period"})


class CaseSummary(Schema):
    complaint = fields.String(required=True, metadata={"description": "the complaint's hash"})
    index = fields.Integer(required=True, metadata={"description": "the complaint's log index"})
    subject = fields.String(required=True, metadata={"description": "the complained item/parcel"})
    category = fields.String(required=True)
    complained_at = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": ", ".join(CASE_STATUSES)})
    outcome = fields.String(allow_none=True)
    shares = fields.List(fields.Nested(ShareOut), required=True)
    objection = fields.Nested(ObjectionOut, allow_none=True)
    objection_until = fields.String(
        allow_none=True,
        metadata={"description": "while the case names parties: until when they may object"},
    )
    review_due = fields.String(allow_none=True)
    overdue = fields.Boolean(
        required=True, metadata={"description": "the pending objection's review is past due"}
    )
    resolved_at = fields.String(allow_none=True)


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseSummary), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class EvidenceOut(Schema):
    hash = fields.String(required=True)
    index = fields.Integer(allow_none=True, metadata={"description": "its log index"})


class AttributionExplanation(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class CaseRecordOut(Schema):
    index = fields.Integer(required=True)
    hash = fields.String(required=True)
    kind = fields.String(
        required=True, metadata={"description": "attribution, objection, decision, resolution"}
    )
    at = fields.String(required=True)
    by = fields.String(allow_none=True, metadata={"description": "the signer (buyers withheld)"})
    by_kind = fields.String(required=True)
    outcome = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    rules_version = fields.String(allow_none=True)
    shares = fields.List(
        fields.Nested(ShareOut), metadata={"description": "the shares in force after the record"}
    )
    evidence = fields.List(fields.Nested(EvidenceOut))
    explanation = fields.Nested(AttributionExplanation, allow_none=True)
    verified_purchase = fields.Boolean(allow_none=True)
    standing = fields.Boolean(allow_none=True, metadata={"description": "weighs in ratings"})
    on = fields.String(allow_none=True, metadata={"description": "the record objected/decided"})
    reason = fields.String(allow_none=True)
    documents = fields.List(fields.String())
    reasons = fields.String(allow_none=True)
    finding = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ComplainantOut(Schema):
    kind = fields.String(required=True)
    id = fields.String(allow_none=True, metadata={"description": "withheld for buyers"})


class DeadlinesOut(Schema):
    objection_until = fields.String(allow_none=True)
    objection_open = fields.Boolean(required=True)
    review_due = fields.String(allow_none=True)
    overdue = fields.Boolean(required=True)


class DataAccessOut(Schema):
    parcel = fields.String(required=True)
    party_id = fields.String(required=True)
    read_at = fields.String(required=True)
    purpose = fields.String(required=True)


class CaseDetail(CaseSummary):
    description = fields.String(allow_none=True)
    complainant = fields.Nested(ComplainantOut, required=True)
    records = fields.List(fields.Nested(CaseRecordOut), required=True)
    deadlines = fields.Nested(DeadlinesOut, required=True)
    data_access = fields.List(
        fields.Nested(DataAccessOut),
        allow_none=True,
        metadata={"description": "regulators only: who read the parcel's personal data"},
    )


class TraceResult(Schema):
    logged = fields.Integer(required=True, metadata={"description": "attribution records logged"})
