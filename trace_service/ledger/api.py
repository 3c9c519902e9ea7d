"""The log's public audit endpoints; outside tools audit the service through exactly these."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from trace_service.db import get_session, utcnow
from trace_service.ledger import log
from trace_service.ledger.envelope import b64
from trace_service.ledger.log_key import current_log_key
from trace_service.ledger.schemas import LoggedEnvelope
from trace_service.plumbing.openapi import problem_docs

blp = Blueprint("log", __name__, description="Transparency log (RFC 9162, C2SP checkpoints)")
problems = problem_docs(blp)

_SIZE = validate.Range(min=0, max=2**63 - 1)


class InclusionQuery(Schema):
    index = fields.Integer(required=True, validate=_SIZE)
    size = fields.Integer(required=True, validate=_SIZE)


class InclusionProof(Schema):
    index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    leaf_hash = fields.String(required=True, metadata={"description": "base64 SHA-256(0x00‖entry)"})
    hashes = fields.List(fields.String(), required=True, metadata={"description": "base64"})


class ConsistencyQuery(Schema):
    first = fields.Integer(required=True, validate=_SIZE)
    second = fields.Integer(required=True, validate=_SIZE)


class ConsistencyProof(Schema):
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    hashes = fields.List(fields.String(), required=True, metadata={"description": "base64"})


class VerifierKeyOut(Schema):
    name = fields.String(required=True, metadata={"description": "signed-note key name"})
    key_id = fields.String(required=True, metadata={"description": "hex signed-note key ID"})
    vkey = fields.String(required=True, metadata={"description": "C2SP verifier key"})
    first_size = fields.Integer(required=True, metadata={"description": "first tree size signed"})
    last_size = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "last tree size signed; null for the current key"},
    )
    current = fields.Boolean(required=True)
    retired_at = fields.String(allow_none=True, metadata={"description": "RFC 3339, if retired"})


def _text_doc(description: str) -> dict[str, Any]:
    content = {"text/plain": {"schema": {"type": "string"}}}
    return {"responses": {"200": {"description": description, "content": content}}}


def _text(body: str | bytes, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Cache-Control": "no-cache"})


@blp.route("/checkpoint")
class LatestCheckpoint(MethodView):
    @blp.doc(**_text_doc("C2SP signed note: origin, tree size, base64 root, signature lines"))
    def get(self) -> Response:
        """The latest signed checkpoint (C2SP tlog-checkpoint in a signed note)."""
        note = log.latest_note(get_session(), current_log_key(), utcnow())
        return _text(note, "text/plain; charset=utf-8")


@blp.route("/log/key")
class LogVerifierKey(MethodView):
    @blp.doc(**_text_doc("C2SP vkey: <name>+<hex key id>+<base64(0x01‖public key)>"))
    def get(self) -> Response:
        """The log's verifier key: `<name>+<hex key id>+<base64(0x01‖public key)>`."""
        response = _text(current_log_key().vkey + "\n", "text/plain; charset=utf-8")
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


@blp.route("/log/keys")
class LogVerifierKeys(MethodView):
    @blp.response(200, VerifierKeyOut(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every key that signed this log's checkpoints, oldest first, with the tree sizes it
        signed; after a rotation the retired key's last checkpoint is co-signed by its successor."""
        return current_log_key().verifier_keys()


@blp.route(f"/log/entries/<int(max={2**63 - 1}):index>")
class LogEntryBytes(MethodView):
    @blp.response(200, LoggedEnvelope, description="the canonical envelope, byte for byte")
    @problems(404)
    def get(self, index: int) -> Response:
        """The exact bytes whose leaf hash sits at `index` (a canonical JSON envelope)."""
        body = log.entry_body(get_session(), index)
        response = Response(body, mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@blp.route("/log/inclusion")
class Inclusion(MethodView):
    @blp.arguments(InclusionQuery, location="query", as_kwargs=True)
    @blp.response(200, InclusionProof)
    @problems(404)
    def get(self, index: int, size: int) -> dict[str, Any]:
        """The RFC 9162 inclusion proof of entry `index` in the tree of `size` entries."""
        session = get_session()
        proof = log.inclusion_proof(session, index, size)
        leaf = log.leaf_hash_at(session, index)
        return {
            "index": index,
            "tree_size": size,
            "leaf_hash": b64(leaf),
            "hashes": [b64(h) for h in proof],
        }


@blp.route("/log/consistency")
class Consistency(MethodView):
    @blp.arguments(ConsistencyQuery, location="query", as_kwargs=True)
    @blp.response(200, ConsistencyProof)
    def get(self, first: int, second: int) -> dict[str, Any]:
        """The RFC 9162 consistency proof between two tree sizes."""
        proof = log.consistency_proof(get_session(), first, second)
        return {"first": first, "second": second, "hashes": [b64(h) for h in proof]}
