"""Request and response schemas of the lifecycle API (documentation and validation)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class SignatureSchema(Schema):
    keyid = fields.String(required=True, metadata={"description": "16 hex digits"})
    sig = fields.String(required=True, metadata={"description": "base64 Ed25519 signature"})


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


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True)


class BatchResult(Schema):
    status = fields.Integer(required=True)
    receipt = fields.Nested(ReceiptSchema)
    problem = fields.Dict()


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
    licences = fields.List(fields.Dict())
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


class TimelineOut(Schema):
    subject = fields.String(required=True)
    uri = fields.String(required=True)
    product = fields.Dict(required=True)
    merchant = fields.Dict(allow_none=True)
    parcels = fields.List(fields.String())
    events = fields.List(fields.Dict())
    verified = fields.Boolean(required=True)
