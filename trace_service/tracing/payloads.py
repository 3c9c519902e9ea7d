"""The payloads of a complaint case's records (DESIGN §5): the service's attribution (责任认定),
the attributed party's objection (异议), the regulator's decision and the complaint's resolution.

Registered with their rules in `tracing.record_types`; objections and decisions about a party's
listing or repair (`credit`) use the same payloads.
"""

from __future__ import annotations

import re

from marshmallow import fields, validate

from trace_service.ledger import payload_fields as pf
from trace_service.ledger.event_base import EventBase
from trace_service.ledger.payload_fields import FullMatch, Strict, StrictBoolean
from trace_service.lifecycle.payloads import COMPLAINT_CATEGORIES

SHARE = re.compile(r"^(0\.\d{1,6}|1(\.0{1,6})?)$", re.ASCII)


class ShareSchema(Strict):
    party = pf.party(required=True)
    role = fields.String(required=True, validate=validate.Length(min=1, max=40))
    # A decimal string with at most 6 places; an attribution's shares sum to exactly 1.
    share = fields.String(
        required=True, validate=FullMatch(SHARE, error="a decimal in (0, 1], 6 places")
    )


class Explanation(Strict):
    zh = pf.text(2000, required=True)
    en = pf.text(2000, required=True)


class AttributionPayload(EventBase):
    complaint = pf.hex64(required=True)
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    outcome = fields.String(
        required=True, validate=validate.OneOf(("attributed", "not_attributable", "undecided"))
    )
    shares = fields.List(
        fields.Nested(ShareSchema), required=True, validate=validate.Length(max=50)
    )
    rule = pf.text(100, required=True)
    rules_version = pf.text(20, required=True)
    evidence = pf.hashes(500, required=True)
    explanation = fields.Nested(Explanation, required=True)
    verified_purchase = StrictBoolean(required=True)
    # 有效投诉: whether the complaint may weigh in ratings (see tracing.standing).
    standing = StrictBoolean(required=True)


class ObjectionPayload(EventBase):
    on = pf.hex64(required=True)  # the attribution or listing decision objected to
    reason = pf.text(4000, required=True)
    evidence = pf.hashes(100, required=True)  # event hashes the objection rests on
    documents = pf.hashes(20)  # SHA-256 of documents filed with the regulator


DECISION_OUTCOMES = (
    "upheld",  # 维持: the attribution or listing stands
    "reversed",  # 撤销: withdrawn (an attribution may be reassigned with `shares`)
    "undecided",  # 无法认定: the evidence does not settle it; weight 0
    "confirmed",  # a black-list nomination confirmed (列入)
    "rejected",  # a black-list nomination rejected
    "granted",  # credit repair granted (准予修复)
    "refused",  # credit repair refused
)


class DecisionPayload(EventBase):
    on = pf.hex64(required=True)  # the objection, nomination or rectification decided
    outcome = fields.String(required=True, validate=validate.OneOf(DECISION_OUTCOMES))
    reasons = pf.text(4000, required=True)
    shares = fields.List(fields.Nested(ShareSchema), validate=validate.Length(min=1, max=50))
    # 伪造: the regulator found that the attributed party fabricated records (a black-list reason).
    finding = fields.String(validate=validate.OneOf(("fabrication",)))


class ResolutionPayload(EventBase):
    note = pf.text(2000, required=True)
