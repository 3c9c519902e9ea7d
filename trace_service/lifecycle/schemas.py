"""Request and response schemas of the lifecycle API (documentation and validation)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from trace_service.ledger.schemas import SignatureSchema
from trace_service.plumbing.openapi import ProblemSchema


class RecipientSchema(Schema):
    name = fields.String(required=True)
    phone = fields.String(required=True)
    address = fields.String(required=True)


class PersonalDataSchema(Schema):
    salt = fields.String(required=True, metadata={"description": "base64, 16-64 random bytes"})
    recipient = fields.Nested(RecipientSchema, required=True)


class EnvelopeSubmission(Schema):
    payload = fields.Dict(required=True, metadata={"description": "the signed event payload"})
    signatures = fields.List(fields.Nested(SignatureSchema), required=True)
    personal_data = fields.Nested(
        PersonalDataSchema,
        metadata={"description": "dispatch only: stored encrypted, committed to in the payload"},
    )


class BatchSubmission(Schema):
    events = fields.List(fields.Nested(EnvelopeSubmission), required=True)


class InclusionSchema(Schema):
    index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True)
    hashes = fields.List(fields.String(), required=True)


class ReceiptSchema(Schema):
    index = fields.Integer(required=True)
    hash = fields.String(required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "base64"})
    integrated_at = fields.String(required=True)
    checkpoint = fields.String(required=True, metadata={"description": "C2SP signed note"})
    inclusion = fields.Nested(InclusionSchema, required=True)
    duplicate = fields.Boolean(required=True)


class BatchResult(Schema):
    status = fields.Integer(required=True)
    receipt = fields.Nested(ReceiptSchema)
    problem = fields.Nested(ProblemSchema, metadata={"description": "when refused"})


class BatchResponse(Schema):
    accepted = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    results = fields.List(fields.Nested(BatchResult), required=True)


class LicenceSchema(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=50))
    number = fields.String(required=True, validate=validate.Length(min=1, max=100))
    url = fields.Url(load_default=None)


class ProductIn(Schema):
    gtin = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    origin = fields.String(required=True, validate=validate.Length(min=1, max=200))
    producer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    licences = fields.List(fields.Nested(LicenceSchema), load_default=list)


class ProductOut(Schema):
    gtin = fields.String(required=True)
    merchant_id = fields.String(required=True)
    name = fields.String(required=True)
    origin = fields.String(required=True)
    producer = fields.String(required=True)
    licences = fields.List(fields.Nested(LicenceSchema))
    registered_at = fields.DateTime(required=True)


class RecipientQuery(Schema):
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RecipientOut(Schema):
    parcel = fields.String(required=True)
    commitment = fields.String(required=True)
    salt = fields.String(required=True)
    recipient = fields.Nested(RecipientSchema, required=True)


class AccessRecord(Schema):
    parcel = fields.String(required=True)
    party_id = fields.String(required=True)
    read_at = fields.DateTime(required=True)
    purpose = fields.String(required=True)


class PublicProduct(Schema):
    gtin = fields.String(required=True)
    name = fields.String(required=True)
    origin = fields.String(required=True)
    producer = fields.String(required=True)
    licences = fields.List(fields.Nested(LicenceSchema), required=True)


class PublicParty(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    uscc = fields.String(allow_none=True, metadata={"description": "统一社会信用代码"})
    company_id = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    status = fields.String(required=True)


class EventSigner(Schema):
    keyid = fields.String(required=True)
    role = fields.String(
        required=True, metadata={"description": "the party's kind, buyer (a buyer key) or unknown"}
    )
    party_id = fields.String(metadata={"description": "absent for buyer keys (pseudonymous)"})
    name = fields.String(allow_none=True)
    company_id = fields.String(allow_none=True)


class TimelineEvent(Schema):
    index = fields.Integer(required=True, metadata={"description": "log index"})
    hash = fields.String(required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "hex SHA-256(0x00‖entry)"})
    type = fields.String(required=True)
    subject = fields.String(required=True)
    time = fields.String(allow_none=True, metadata={"description": "signed time (RFC 3339)"})
    integrated_at = fields.String(required=True, metadata={"description": "logged at"})
    signers = fields.List(fields.Nested(EventSigner), required=True)
    hash_valid = fields.Boolean(required=True)
    signature_valid = fields.Boolean(required=True)
    chain_valid = fields.Boolean(required=True)
    problem = fields.String(allow_none=True, metadata={"description": "why it does not verify"})
    payload = fields.Dict(
        required=True, metadata={"description": "the signed payload (no personal data)"}
    )


class AsBuilt(fields.Nested):
    """A nested schema for the document, serialised as the value already is: the resolver
    builds exactly that shape, and a consumer's scan should not pay for dumping it again."""

    # marshmallow's Field and Nested name the first parameter differently; either is the value.
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return value


class ParcelLinksOut(Schema):
    subject = fields.String(required=True, metadata={"description": "00/<sscc>"})
    uri = fields.String(required=True, metadata={"description": "GS1 Digital Link URI"})
    epcis = fields.String(
        required=True, metadata={"description": "The parcel's public record: its EPCIS events"}
    )


class TimelineOut(Schema):
    subject = fields.String(required=True)
    uri = fields.String(required=True, metadata={"description": "GS1 Digital Link URI"})
    product = AsBuilt(PublicProduct, required=True)
    merchant = AsBuilt(PublicParty, allow_none=True)
    parcels = fields.List(fields.String(), required=True)
    events = AsBuilt(TimelineEvent, many=True, required=True)
    verified = fields.Boolean(required=True)
