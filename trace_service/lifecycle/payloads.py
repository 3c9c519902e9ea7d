"""The shape of each signed event payload (DESIGN §3), as marshmallow schemas.

These schemas validate submissions and are the source of the published JSON Schemas. Unknown
members are refused: a signed public payload must not smuggle anything (personal data least of all).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from trace_service.lifecycle.errors import InvalidPayload

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
PARTY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

EVENT_TYPES = (
    "listing",  # 上架
    "sale",  # 销售
    "dispatch",  # 配送 (揽收)
    "handoff",  # 交接
    "delivery",  # 投递
    "receipt",  # 签收
    "review",  # 评价
    "complaint",  # 投诉
    "commitment",  # 信用承诺
    # Credit records (DESIGN §5–6): the service's findings, the parties' objections and the
    # regulator's decisions, each a signed entry of the same log.
    "attribution",  # 责任认定 (signed by the service)
    "objection",  # 异议 (the attributed or listed party)
    "decision",  # 复核决定 (a regulator)
    "resolution",  # 投诉办结 (the complainant or a regulator)
    "rectification",  # 整改 (the rated unit or its company), the start of 信用修复
    "nomination",  # 黑名单提名 (signed by the service)
    "snapshot",  # 评级快照 (signed by the service)
)

# Who may sign which credit record; the service's own records are signed with its records key.
SERVICE_RECORDS = ("attribution", "nomination", "snapshot")

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


def parse_time(value: str) -> datetime:
    """An RFC 3339 UTC timestamp ('Z' suffix) as an aware datetime; raises ValueError."""
    if not isinstance(value, str) or not RFC3339_UTC.match(value):
        raise ValueError("not an RFC 3339 UTC timestamp like 2026-01-31T08:00:00Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_time(moment: datetime) -> str:
    """The RFC 3339 UTC form the service writes (second precision unless there are micros)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


class Timestamp(fields.String):
    """An RFC 3339 UTC timestamp kept as its string, so the signed bytes are untouched."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_time(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        return text


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not 1, 0 or "yes"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class FullMatch(validate.Regexp):
    """The whole value matches the pattern, as JSON Schema (ECMA 262) reads the same pattern in
    the published contracts: Python's `$` would also let a final newline through (and, without
    re.ASCII, `\\d` any script's digits)."""

    def __call__(self, value: Any) -> Any:
        regex = cast("re.Pattern[str]", self.regex)
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _hex64(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=FullMatch(HEX64, error="must be 64 lowercase hex digits"), **kwargs
    )


def _party(**kwargs: Any) -> fields.String:
    return fields.String(validate=FullMatch(PARTY_ID, error="not a party id"), **kwargs)


def _text(limit: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=limit), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Money(Strict):
    amount = fields.String(
        required=True,
        validate=FullMatch(r"^\d{1,12}(\.\d{1,2})?$", re.ASCII, error="decimal amount"),
    )
    currency = fields.String(required=True, validate=FullMatch(r"^[A-Z]{3}$"))


class Location(Strict):
    name = _text(200, required=True)
    city = _text(100, required=True)


class EventBase(Strict):
    v = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    subject = _text(200, required=True)
    prev = _hex64(required=True, allow_none=True)
    time = Timestamp(required=True)


class ListingPayload(EventBase):
    platform = _party(required=True)
    listing_ref = _text(100, required=True)
    price = fields.Nested(Money, required=True)
    commitment = _text(500)  # 承诺, e.g. "正品保证 7天无理由退货"


class SalePayload(EventBase):
    platform = _party(required=True)
    order_ref = _text(100, required=True)
    price = fields.Nested(Money, required=True)
    buyer_key = fields.String(required=True)  # base64 Ed25519 public key made on the buyer's device


class DispatchPayload(EventBase):
    items = fields.List(_text(200), required=True, validate=validate.Length(min=1, max=200))
    courier = _party(required=True)
    declared_weight_g = fields.Integer(
        required=True, strict=True, validate=validate.Range(0, 10**7)
    )
    promised_by = Timestamp(required=True)
    origin_city = _text(100, required=True)
    destination_city = _text(100, required=True)
    recipient_commitment = _hex64(required=True)


CONDITION = validate.OneOf(("intact", "damaged"))


class HandoffPayload(EventBase):
    from_ = _party(required=True, data_key="from")
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
    note = _text(500)


class ReviewPayload(EventBase):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    text = _text(2000, required=True)


class ComplaintPayload(EventBase):
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    description = _text(2000, required=True)


class CommitmentPayload(EventBase):
    standard = _text(100, required=True)  # which standard form of 信用承诺
    text = _text(4000, required=True)


SHARE = re.compile(r"^(0\.\d{1,6}|1(\.0{1,6})?)$", re.ASCII)


class ShareSchema(Strict):
    party = _party(required=True)
    role = fields.String(required=True, validate=validate.Length(min=1, max=40))
    # A decimal string with at most 6 places; an attribution's shares sum to exactly 1.
    share = fields.String(
        required=True, validate=FullMatch(SHARE, error="a decimal in (0, 1], 6 places")
    )


class Explanation(Strict):
    zh = _text(2000, required=True)
    en = _text(2000, required=True)


def _hashes(limit: int, **kwargs: Any) -> fields.List[Any]:
    return fields.List(_hex64(), validate=validate.Length(max=limit), **kwargs)


class AttributionPayload(EventBase):
    complaint = _hex64(required=True)
    category = fields.String(required=True, validate=validate.OneOf(COMPLAINT_CATEGORIES))
    outcome = fields.String(
        required=True, validate=validate.OneOf(("attributed", "not_attributable", "undecided"))
    )
    shares = fields.List(
        fields.Nested(ShareSchema), required=True, validate=validate.Length(max=50)
    )
    rule = _text(100, required=True)
    rules_version = _text(20, required=True)
    evidence = _hashes(500, required=True)
    explanation = fields.Nested(Explanation, required=True)
    verified_purchase = StrictBoolean(required=True)
    # 有效投诉: whether the complaint may weigh in ratings (see tracing.standing).
    standing = StrictBoolean(required=True)


class ObjectionPayload(EventBase):
    on = _hex64(required=True)  # the attribution or listing decision objected to
    reason = _text(4000, required=True)
    evidence = _hashes(100, required=True)  # event hashes the objection rests on
    documents = _hashes(20)  # SHA-256 of documents filed with the regulator


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
    on = _hex64(required=True)  # the objection, nomination or rectification decided
    outcome = fields.String(required=True, validate=validate.OneOf(DECISION_OUTCOMES))
    reasons = _text(4000, required=True)
    shares = fields.List(fields.Nested(ShareSchema), validate=validate.Length(min=1, max=50))
    # 伪造: the regulator found that the attributed party fabricated records (a black-list reason).
    finding = fields.String(validate=validate.OneOf(("fabrication",)))


class ResolutionPayload(EventBase):
    note = _text(2000, required=True)


class RectificationPayload(EventBase):
    complaints = fields.List(_hex64(), required=True, validate=validate.Length(min=1, max=1000))
    measures = _text(4000, required=True)


class ListReasonSchema(Strict):
    code = _text(60, required=True)
    detail = _text(2000, required=True)
    evidence = _hashes(500)  # the complaints or decisions the reason rests on


class NominationPayload(EventBase):
    list = fields.String(required=True, validate=validate.OneOf(("black",)))
    snapshot = _hex64(required=True)
    reasons = fields.List(
        fields.Nested(ListReasonSchema), required=True, validate=validate.Length(min=1, max=20)
    )


class SnapshotPayload(EventBase):
    as_of = Timestamp(required=True)
    tree_size = fields.Integer(required=True, strict=True, validate=validate.Range(0, 2**53 - 1))
    method_version = _text(20, required=True)
    rules_version = _text(20, required=True)
    content_hash = _hex64(required=True)
    units = fields.Integer(required=True, strict=True, validate=validate.Range(0, 2**53 - 1))


PAYLOAD_SCHEMAS: dict[str, Schema] = {
    "listing": ListingPayload(),
    "sale": SalePayload(),
    "dispatch": DispatchPayload(),
    "handoff": HandoffPayload(),
    "delivery": DeliveryPayload(),
    "receipt": ReceiptPayload(),
    "review": ReviewPayload(),
    "complaint": ComplaintPayload(),
    "commitment": CommitmentPayload(),
    "attribution": AttributionPayload(),
    "objection": ObjectionPayload(),
    "decision": DecisionPayload(),
    "resolution": ResolutionPayload(),
    "rectification": RectificationPayload(),
    "nomination": NominationPayload(),
    "snapshot": SnapshotPayload(),
}


def validate_payload(payload: dict[str, Any]) -> None:
    """Check a payload against the schema of its type; raises InvalidPayload with field errors."""
    kind = payload.get("type")
    schema = PAYLOAD_SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise InvalidPayload(
            f"unknown event type {kind!r}", errors={"type": [f"one of {', '.join(EVENT_TYPES)}"]}
        )
    fast = _fast_check(str(kind))
    if fast is not None and fast(payload):
        return  # what marshmallow would accept without a word (it still words every refusal)
    errors = schema.validate(payload)
    if errors:
        raise InvalidPayload("the payload does not match its event type", errors=errors)


_FAST_CHECKS: dict[str, Any] = {}


def _fast_check(kind: str) -> Any:
    """The fast check of `kind`'s schema, built on first use (see fast_check)."""
    if kind not in _FAST_CHECKS:
        from trace_service.lifecycle.fast_check import schema_check

        _FAST_CHECKS[kind] = schema_check(PAYLOAD_SCHEMAS[kind])
    return _FAST_CHECKS[kind]
