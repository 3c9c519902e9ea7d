"""Request and response schemas of the credit API: ratings, explanations, lists, admission.

Numbers of a rating are the decimal strings of its snapshot line, so anyone can compare them
with the hashed content byte for byte; times are RFC 3339 UTC strings.
"""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate

from trace_service.credit.parameters import Grade, Role
from trace_service.plumbing.openapi import API_TIME

_DECIMAL = {"description": "decimal string"}
# Log indices are 64-bit signed integers in storage; pages stay far inside that with any size.
MAX_INDEX = 2**63 - 1
MAX_PAGE = 10**9
_INTERVAL = {"description": "equal-tailed 90% credible interval [lo, hi] per million"}


class RatingQuery(Schema):
    role = fields.String(validate=validate.OneOf([r.value for r in Role]))
    company = fields.String(
        validate=validate.Length(min=1, max=32),
        metadata={"description": "a courier company's id: the company and its outlets and staff"},
    )
    grade = fields.String(validate=validate.OneOf([g.value for g in Grade]))


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ExplanationQuery(Schema):
    snapshot = fields.Integer(
        validate=validate.Range(min=0, max=MAX_INDEX),
        metadata={"description": "the snapshot's log index (default: the latest)"},
    )


class SnapshotIn(Schema):
    as_of = fields.AwareDateTime(
        format="iso",
        default_timezone=UTC,
        load_default=None,
        validate=API_TIME,
        metadata={"description": "RFC 3339; default now; not in the future"},
    )


class SnapshotHeader(Schema):
    index = fields.Integer(required=True, metadata={"description": "log index of the record"})
    hash = fields.String(required=True, metadata={"description": "event hash of the record"})
    as_of = fields.String(required=True)
    tree_size = fields.Integer(required=True)
    content_hash = fields.String(
        required=True, metadata={"description": "SHA-256 of /ratings/snapshots/<index>/content"}
    )
    method_version = fields.String(required=True)
    rules_version = fields.String(required=True)
    units = fields.Integer(required=True)
    taken_at = fields.String(required=True)


class SnapshotTakenOut(SnapshotHeader):
    nominations = fields.Integer(
        required=True, metadata={"description": "black-list nominations logged with it"}
    )


class SnapshotPage(Schema):
    items = fields.List(fields.Nested(SnapshotHeader), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class UnitGrade(Schema):
    unit_id = fields.String(required=True)
    role = fields.String(required=True)
    grade = fields.String(required=True)


class SnapshotOut(Schema):
    snapshot = fields.Nested(SnapshotHeader, required=True)
    units = fields.List(fields.Nested(UnitGrade), required=True)


class RatedUnit(Schema):
    unit_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    role = fields.String(required=True)
    company = fields.String(allow_none=True)
    grade = fields.String(required=True)
    posterior_mean_per_million = fields.String(required=True, metadata=_DECIMAL)
    interval_per_million = fields.List(fields.String(), required=True, metadata=_INTERVAL)
    exposure = fields.String(required=True, metadata={"description": "parcel-equivalents"})
    weighted_faults = fields.String(required=True, metadata=_DECIMAL)
    red_list = fields.Boolean(required=True)
    black_listed = fields.Boolean(required=True, metadata={"description": "as of now"})


class RatingsOut(Schema):
    snapshot = fields.Nested(SnapshotHeader, required=True)
    units = fields.List(fields.Nested(RatedUnit), required=True)


class RulesOut(Schema):
    version = fields.String(required=True)
    objection_period_days = fields.Integer(required=True)
    review_period_days = fields.Integer(required=True)
    parameters = fields.Dict(required=True)


class MethodOut(Schema):
    method_version = fields.String(required=True)
    parameters = fields.Dict(required=True, metadata={"description": "MethodParameters"})
    rules_version = fields.String(required=True)
    rules = fields.Nested(RulesOut, required=True)


class ListReasonOut(Schema):
    code = fields.String(required=True)
    detail = fields.String(required=True)
    evidence = fields.List(fields.String(), load_default=list)


class PublishedRating(Schema):
    grade = fields.String(required=True)
    posterior_mean_per_million = fields.String(required=True)
    interval_per_million = fields.List(fields.String(), required=True)
    raw_rate_per_million = fields.String(allow_none=True)
    probability_better = fields.String(allow_none=True)
    probability_worse = fields.String(allow_none=True)
    exposure = fields.String(required=True)
    pickups = fields.Integer(allow_none=True)
    custody_segments = fields.Integer(allow_none=True)
    deliveries = fields.Integer(allow_none=True)
    weighted_faults = fields.String(required=True)
    peer_group = fields.Dict(allow_none=True)
    red_list = fields.Boolean(required=True)
    red_list_blockers = fields.List(fields.Nested(ListReasonOut))
    black_list_reasons = fields.List(fields.Nested(ListReasonOut))


class GradePoint(Schema):
    snapshot = fields.Integer(required=True)
    as_of = fields.String(required=True)
    grade = fields.String(required=True)
    posterior_mean_per_million = fields.String(required=True)
    interval_per_million = fields.List(fields.String(), required=True)


class UnitRatingOut(Schema):
    unit_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    role = fields.String(required=True)
    company = fields.String(allow_none=True)
    black_listed = fields.Boolean(required=True)
    snapshot = fields.Nested(SnapshotHeader, required=True)
    method_version = fields.String(required=True)
    latest = fields.Nested(PublishedRating, required=True)
    history = fields.List(fields.Nested(GradePoint), required=True)


class ContributionOut(Schema):
    complaint = fields.String(required=True, metadata={"description": "the complaint's hash"})
    index = fields.Integer(allow_none=True, metadata={"description": "its log index"})
    category = fields.String(required=True)
    occurred_at = fields.String(required=True)
    severity = fields.Integer(required=True)
    time_weight = fields.Integer(required=True)
    share = fields.String(required=True, metadata={"description": "fraction p/q"})
    surcharge = fields.String(required=True, metadata={"description": "fraction p/q"})
    repaired = fields.Boolean(required=True)
    exact = fields.String(allow_none=True, metadata={"description": "exact fraction"})
    contribution = fields.String(required=True, metadata=_DECIMAL)
    reason = fields.String(allow_none=True)


class ExplanationOut(Schema):
    unit_id = fields.String(required=True)
    role = fields.String(required=True)
    snapshot = fields.Nested(SnapshotHeader, required=True)
    method_version = fields.String(required=True)
    exposure = fields.String(required=True)
    weighted_faults = fields.String(required=True, metadata=_DECIMAL)
    sum_of_contributions = fields.String(
        required=True, metadata={"description": "Σ contribution, equal to weighted_faults"}
    )
    balanced = fields.Boolean(required=True)
    raw_rate_per_million = fields.String(allow_none=True)
    posterior_mean_per_million = fields.String(required=True)
    interval_per_million = fields.List(fields.String(), required=True, metadata=_INTERVAL)
    grade = fields.String(required=True)
    peer_group = fields.Dict(allow_none=True)
    complaints = fields.List(fields.Nested(ContributionOut), required=True)


class RedListed(Schema):
    unit_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    role = fields.String(required=True)
    company = fields.String(allow_none=True)
    grade = fields.String(required=True)
    posterior_mean_per_million = fields.String(required=True)


class RedListOut(Schema):
    snapshot = fields.Nested(SnapshotHeader, required=True)
    units = fields.List(fields.Nested(RedListed), required=True)


class BlackListed(Schema):
    party = fields.String(required=True)
    name = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    since = fields.String(required=True)
    decision = fields.String(required=True, metadata={"description": "the listing decision's hash"})
    decision_index = fields.Integer(allow_none=True)
    nomination = fields.String(allow_none=True)
    objected = fields.Boolean(required=True)
    reasons = fields.List(fields.Nested(ListReasonOut), required=True)


class SnapshotRef(Schema):
    hash = fields.String(allow_none=True)
    index = fields.Integer(allow_none=True)
    as_of = fields.String(allow_none=True)


class Nomination(Schema):
    party = fields.String(required=True)
    name = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    nomination = fields.String(required=True)
    index = fields.Integer(allow_none=True)
    nominated_at = fields.String(required=True)
    snapshot = fields.Nested(SnapshotRef, required=True)
    reasons = fields.List(fields.Nested(ListReasonOut), required=True)


class Words(Schema):
    zh = fields.String(required=True)
    en = fields.String(required=True)


class AdmissionReason(Schema):
    code = fields.String(required=True)
    detail = fields.Nested(Words, required=True)
    evidence = fields.List(fields.String(), required=True)


class CourierOut(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    company = fields.String(allow_none=True)
    status = fields.String(required=True)


class AdmissionOut(Schema):
    courier = fields.Nested(CourierOut, required=True)
    admitted = fields.Boolean(required=True)
    reasons = fields.List(fields.Nested(AdmissionReason), required=True)
    latest_grade = fields.String(allow_none=True)
    snapshot = fields.Integer(allow_none=True, metadata={"description": "its log index"})


class CreditRecordOut(Schema):
    index = fields.Integer(required=True)
    hash = fields.String(required=True)
    kind = fields.String(
        required=True, metadata={"description": "nomination, decision, objection, rectification"}
    )
    at = fields.String(required=True)
    by = fields.String(required=True)
    on = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    details = fields.Dict(required=True)


class StandingOut(Schema):
    nomination = fields.Dict(allow_none=True)
    black_listed = fields.Dict(allow_none=True)
    listing_objection = fields.Dict(allow_none=True)
    rectification = fields.Dict(allow_none=True)
    repairs = fields.Integer(required=True)


class NextStep(Schema):
    action = fields.String(required=True)
    zh = fields.String(required=True)
    en = fields.String(required=True)
    on = fields.String(metadata={"description": "the record to name in an objection"})
    case = fields.String()
    until = fields.String()
    due = fields.String()
    earliest_delisting = fields.String()


class PartyCreditOut(Schema):
    party = fields.Nested(CourierOut, required=True)
    standing = fields.Nested(StandingOut, required=True)
    records = fields.List(fields.Nested(CreditRecordOut), required=True)
    next_steps = fields.List(fields.Nested(NextStep), required=True)
