"""The payloads of a party's credit records (DESIGN §6): rectification (整改), the service's
black-list nomination (黑名单提名) and its rating snapshots (评级快照).

Registered with their rules in `credit.record_types`.
"""

from __future__ import annotations

from marshmallow import fields, validate

from trace_service.ledger import payload_fields as pf
from trace_service.ledger.event_base import EventBase
from trace_service.ledger.payload_fields import Strict, Timestamp


class RectificationPayload(EventBase):
    complaints = fields.List(pf.hex64(), required=True, validate=validate.Length(min=1, max=1000))
    measures = pf.text(4000, required=True)


class ListReasonSchema(Strict):
    code = pf.text(60, required=True)
    detail = pf.text(2000, required=True)
    evidence = pf.hashes(500)  # the complaints or decisions the reason rests on


class NominationPayload(EventBase):
    list = fields.String(required=True, validate=validate.OneOf(("black",)))
    snapshot = pf.hex64(required=True)
    reasons = fields.List(
        fields.Nested(ListReasonSchema), required=True, validate=validate.Length(min=1, max=20)
    )


class SnapshotPayload(EventBase):
    as_of = Timestamp(required=True)
    tree_size = fields.Integer(required=True, strict=True, validate=validate.Range(0, 2**53 - 1))
    method_version = pf.text(20, required=True)
    rules_version = pf.text(20, required=True)
    content_hash = pf.hex64(required=True)
    units = fields.Integer(required=True, strict=True, validate=validate.Range(0, 2**53 - 1))
