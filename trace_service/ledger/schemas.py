"""Response schemas of the log's own API: an accepted event as logged."""

from __future__ import annotations

from marshmallow import Schema, fields


class SignatureSchema(Schema):
    keyid = fields.String(required=True, metadata={"description": "16 hex digits"})
    sig = fields.String(required=True, metadata={"description": "base64 Ed25519 signature"})


class LoggedEnvelope(Schema):
    """An accepted event as logged: the canonical envelope (RFC 8785), signatures by key id."""

    payload = fields.Dict(
        required=True,
        metadata={"description": "the signed payload; schemas/events/<type>.schema.json"},
    )
    signatures = fields.List(fields.Nested(SignatureSchema), required=True)
