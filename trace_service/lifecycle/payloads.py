"""The payloads of the lifecycle records (DESIGN §3): listing, sale, dispatch, handoff,
delivery, receipt, review, complaint and commitment, as marshmallow schemas.

These schemas validate submissions and are the source of the published JSON Schemas; they are
registered with their rules in `lifecycle.record_types`.
"""

from __future__ import annotations

import re

from marshmallow import fields, validate

from trace_service.ledger import payload_fields as pf
from trace_service.ledger.event_base import EventBase
from trace_service.ledger.payload_fields import FullMatch, Strict, StrictBoolean, Timestamp

COMPLAINT_CATEGORIES = (
    "lost",  # 丢失
    "short",  # 短少
    "damaged",  # 损毁
    "delayed",  # 延误
    "unauthorised_signoff",  # 未经同意代签
    "station_drop",  # 未经同意投放驿站/快递柜
    "empty_parcel",  # 空包
    "wrong_item",  # 图物不符
    "counterfeit",  # 假冒伪劣
    "not_as_described",  # 与描述不符
    "privacy_leak",  # 个人信息泄露
    "illegal_fee",  # 违规收费
    "service_attitude",  # 服务态度
    "other",
)


class Money(Strict):
    amount = fields.String(
        required=True,
        validate=FullMatch(r"^\d{1,12}(\.\d{1,2})?$", re.ASCII, error="decimal amount"),
    )
    currency = fields.String(required=True, validate=FullMatch(r"^[A-Z]{3}$"))


class Location(Strict):
    name = pf.text(200, required=True)
    city = pf.text(100, required=True)


class ListingPayload(EventBase):
    platform = pf.party(required=True)
    listing_ref = pf.text(100, required=True)
    price = fields.Nested(Money, required=True)
    commitment = pf.text(500)  # 承诺, e.g. "正品保证 7天无理由退货"


class SalePayload(EventBase):
    platform = pf.party(required=True)
    order_ref = pf.text(100, required=True)
    price = fields.Nested(Money, required=True)
    buyer_key = fields.String(required=True)  # base64 Ed25519 public key made on the buyer's device


class DispatchPayload(EventBase):
    items = fields.List(pf.text(200), required=True, validate=validate.Length(min=1, max=200))
    courier = pf.party(required=True)
    declared_weight_g = fields.Integer(
        required=True, strict=True, validate=validate.Range(0, 10**7)
    )
    promised_by = Timestamp(required=True)
    origin_city = pf.text(100, required=True)
    destination_city = pf.text(100, required=True)
    recipient_commitment = pf.hex64(required=True)


CONDITION = validate.OneOf(("intact", "damaged"))


class HandoffPayload(EventBase):
    from_ = pf.party(required=True, data_key="from")
    location = fields.Nested(Location, required=True)
    condition = fields.String(required=True, validate=CONDITION)
    weight_g = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**7))
    seal = fields.String(validate=validate.OneOf(("intact", "broken")))


class DeliveryPayload(EventBase):
    method = fields.String(
        required=True, validate=validate.OneOf(("in_person", "locker", "station", "proxy"))
    )
    consent = StrictBoolean(required=True)
    location = fields.Nested(Location, required=True)
    condition = fields.String(required=True, validate=CONDITION)
    weight_g = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**7))


class ReceiptPayload(EventBase):
    condition = fields.String(required=True, validate=CONDITION)
    note = pf.text(500)


class ReviewPayload(EventBase):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    text = pf.text(2000, required=True)


class ComplaintPayload(EventBase):
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    description = pf.text(2000, required=True)


class CommitmentPayload(EventBase):
    standard = pf.text(100, required=True)  # which standard form of 信用承诺
    text = pf.text(4000, required=True)
