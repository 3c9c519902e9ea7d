"""The shape of each signed event payload (DESIGN §3), as marshmallow schemas.

These schemas validate submissions and are the source of the published JSON Schemas. Unknown
members are refused: a signed public payload must not smuggle anything (personal data least of all).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

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
)

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


def _hex64(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(HEX64, error="must be 64 lowercase hex digits"), **kwargs
    )


def _party(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(PARTY_ID, error="not a party id"), **kwargs)


def _text(limit: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=limit), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class Money(Strict):
    amount = fields.String(
        required=True, validate=validate.Regexp(r"^\d{1,12}(\.\d{1,2})?$", error="decimal amount")
    )
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))


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
}


Check = Callable[[Any], bool]


def _field_check(field: fields.Field[Any]) -> Check | None:
    """A check that is true only for values `field` surely accepts; None if it cannot tell."""
    if field.pre_load or field.post_load:
        return None
    if isinstance(field, Timestamp):
        kind: Check | None = _is_timestamp
    elif isinstance(field, StrictBoolean):
        kind = _is_bool
    elif type(field) is fields.String:
        kind = _is_str
    elif type(field) is fields.Integer:
        kind = _is_int
    elif (
        type(field) is fields.Nested
        and isinstance(field.nested, type)
        and not (field.many or field.only or field.exclude)
    ):
        kind = _schema_check(field.nested(), field.unknown)
    elif type(field) is fields.List:
        inner = _field_check(field.inner)
        kind = None if inner is None else (lambda v: type(v) is list and all(map(inner, v)))
    else:
        kind = None
    if kind is None:
        return None
    validators = tuple(field.validators)
    allow_none = field.allow_none

    def check(value: Any) -> bool:
        if value is None:
            return allow_none
        if not kind(value):
            return False
        try:
            return all(v(value) is not False for v in validators)
        except ValidationError:
            return False

    return check


def _is_timestamp(value: Any) -> bool:
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_int(value: Any) -> bool:
    return type(value) is int


def _schema_check(schema: Schema, unknown: str | None = None) -> Check | None:
    """A fast check of a flat schema of the field types above: true only when `schema` would load
    the value without errors. Any doubt (an odd type, a failed rule) answers false, and the
    caller then asks marshmallow itself, which also words the errors."""
    if any(schema._hooks.values()):
        return None
    checks: dict[str, Check] = {}
    required: set[str] = set()
    for name, field in schema.load_fields.items():
        check = _field_check(field)
        if check is None:
            return None
        key = field.data_key or name
        checks[key] = check
        if field.required:
            required.add(key)
    strict = (unknown or schema.unknown) == RAISE

    def check_schema(value: Any) -> bool:
        if type(value) is not dict or not required.issubset(value):
            return False
        for key, item in value.items():
            check = checks.get(key)
            if check is None:
                if strict:
                    return False
            elif not check(item):
                return False
        return True

    return check_schema


_FAST_CHECKS = {kind: _schema_check(schema) for kind, schema in PAYLOAD_SCHEMAS.items()}


def validate_payload(payload: dict[str, Any]) -> None:
    """Check a payload against the schema of its type; raises InvalidPayload with field errors."""
    kind = payload.get("type")
    schema = PAYLOAD_SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise InvalidPayload(
            f"unknown event type {kind!r}", errors={"type": [f"one of {', '.join(EVENT_TYPES)}"]}
        )
    fast = _FAST_CHECKS[str(kind)]
    if fast is not None and fast(payload):
        return  # what marshmallow would accept without a word (it still words every refusal)
    errors = schema.validate(payload)
    if errors:
        raise InvalidPayload("the payload does not match its event type", errors=errors)
