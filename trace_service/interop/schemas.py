"""Request and response schemas of the EPCIS export and the credit data exchange."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace_service.interop.epcis import GS1_CONTEXT
from trace_service.plumbing.openapi import API_TIME

MAX_PER_PAGE = 1000


class EpcisRangeQuery(Schema):
    start = fields.AwareDateTime(
        required=True,
        data_key="from",
        validate=API_TIME,
        metadata={"description": "RFC 3339; events signed at or after this time"},
    )
    end = fields.AwareDateTime(
        required=True,
        data_key="to",
        validate=API_TIME,
        metadata={"description": "RFC 3339; events signed before this time"},
    )
    per_page = fields.Integer(
        load_default=100,
        data_key="perPage",
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "logged events per page (a dispatch gives two EPCIS events)"},
    )
    after = fields.Integer(
        load_default=-1,
        data_key="nextPageToken",
        validate=validate.Range(0, 2**53 - 1),
        metadata={"description": "from the previous page's Link: rel=next"},
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if "start" in data and "end" in data and data["end"] <= data["start"]:
            raise ValidationError("`to` must be after `from`.", "to")


class EpcisBody(Schema):
    eventList = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "ObjectEvent, AggregationEvent, TransactionEvent (EPCIS 2.0)"},
    )


class EpcisDocumentOut(Schema):
    """An EPCIS 2.0 JSON-LD document; it validates against GS1's EPCIS JSON Schema."""

    context = fields.List(
        fields.Raw(),
        required=True,
        data_key="@context",
        metadata={"description": f"{GS1_CONTEXT} and the service's vocabulary (prefix tsv)"},
    )
    type = fields.String(required=True, validate=validate.Equal("EPCISDocument"))
    schemaVersion = fields.String(required=True)
    creationDate = fields.String(required=True)
    epcisBody = fields.Nested(EpcisBody, required=True)


class CreditExportQuery(Schema):
    snapshot = fields.Integer(
        validate=validate.Range(0, 2**53 - 1),
        metadata={"description": "the snapshot's log index (default: the latest)"},
    )


class ExportedSnapshot(Schema):
    index = fields.Integer(required=True, metadata={"description": "log index of the snapshot"})
    hash = fields.String(required=True, metadata={"description": "its event hash"})
    as_of = fields.String(required=True)
    tree_size = fields.Integer(required=True)
    content_hash = fields.String(
        required=True, metadata={"description": "SHA-256 of /ratings/snapshots/<index>/content"}
    )


class ExportedUnit(Schema):
    unit_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    uscc = fields.String(
        allow_none=True, metadata={"description": "统一社会信用代码 (enterprises)"}
    )
    role = fields.String(required=True, metadata={"description": "company, outlet or staff"})


class ExportedRating(ExportedUnit):
    grade = fields.String(required=True, metadata={"description": "A-D or insufficient_data"})
    posterior_mean_per_million = fields.String(required=True)
    interval_low_per_million = fields.String(required=True)
    interval_high_per_million = fields.String(required=True)
    red_list = fields.Boolean(required=True)


class ExportedRedListed(ExportedUnit):
    grade = fields.String(required=True)


class ExportedBlackListed(ExportedUnit):
    role = fields.String(allow_none=True)
    since = fields.String(required=True)
    decision_hash = fields.String(required=True)
    decision_index = fields.Integer(allow_none=True)


class ExportedDecision(Schema):
    decision_hash = fields.String(required=True)
    decision_index = fields.Integer(required=True)
    scope = fields.String(
        required=True,
        validate=validate.OneOf(["credit", "case"]),
        metadata={"description": "credit: about a party's list standing or repair; case: on an "
                  "objection to an attribution"},
    )  # fmt: skip
    subject = fields.String(required=True, metadata={"description": "the party, or the complaint"})
    outcome = fields.String(required=True)
    date = fields.String(required=True, metadata={"description": "signed time (RFC 3339)"})


class CreditExportOut(Schema):
    format = fields.String(required=True)
    exported_at = fields.String(required=True)
    log_size = fields.Integer(
        required=True, metadata={"description": "the log's size at export: decisions before it"}
    )
    method_version = fields.String(required=True)
    rules_version = fields.String(required=True)
    snapshot = fields.Nested(ExportedSnapshot, required=True)
    ratings = fields.List(fields.Nested(ExportedRating), required=True)
    red_list = fields.List(fields.Nested(ExportedRedListed), required=True)
    black_list = fields.List(fields.Nested(ExportedBlackListed), required=True)
    decisions = fields.List(fields.Nested(ExportedDecision), required=True)
