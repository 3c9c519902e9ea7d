"""Request and response schemas of the identity API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from trace_service.identity.models import PartyKind
from trace_service.plumbing.openapi import API_TIME

KINDS = [k.value for k in PartyKind]


class PartyIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    uscc = fields.String(
        load_default=None,
        validate=validate.Length(equal=18),
        metadata={"description": "统一社会信用代码, required for enterprises"},
    )
    company_id = fields.String(load_default=None, validate=validate.Length(max=32))
    outlet_id = fields.String(load_default=None, validate=validate.Length(max=32))
    city = fields.String(load_default=None, validate=validate.Length(max=100))


class PartyOut(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    uscc = fields.String(allow_none=True)
    company_id = fields.String(allow_none=True)
    outlet_id = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    status = fields.String(required=True)
    registered_by = fields.String(allow_none=True)
    registered_at = fields.DateTime(required=True)


class RegisteredParty(Schema):
    party = fields.Nested(PartyOut, required=True)
    credential = fields.String(
        required=True, metadata={"description": "bearer credential, shown once"}
    )


class KeyIn(Schema):
    public_key = fields.String(
        required=True, metadata={"description": "base64 raw 32-byte Ed25519 public key"}
    )
    valid_from = fields.AwareDateTime(load_default=None, default_timezone=None, validate=API_TIME)


class KeyOut(Schema):
    keyid = fields.String(required=True)
    party_id = fields.String(allow_none=True)
    public_key = fields.String(required=True)
    valid_from = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    enrolled_by = fields.String(allow_none=True)


class RevokeIn(Schema):
    at = fields.AwareDateTime(
        load_default=None, validate=API_TIME, metadata={"description": "default: now"}
    )


class StatusIn(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf(["active", "suspended", "pending", "left"])
    )


class CredentialOut(Schema):
    credential = fields.String(required=True)


class DepartureOut(Schema):
    party_id = fields.String(required=True)
    status = fields.String(required=True)
    at = fields.DateTime(required=True)
    keys_revoked = fields.List(fields.String(), required=True, metadata={"description": "key ids"})
    credentials_revoked = fields.Integer(required=True)


class CredentialsRevokedOut(Schema):
    party_id = fields.String(required=True)
    at = fields.DateTime(required=True)
    credentials_revoked = fields.Integer(required=True)
