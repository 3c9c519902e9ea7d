"""HTTP interface of identity: registration, keys, credentials (thin: parse, call, serialise)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from trace_service.db import get_session, utcnow
from trace_service.errors import Forbidden
from trace_service.identity import service
from trace_service.identity.auth import BEARER_DOC, current_party
from trace_service.identity.models import Party, PartyKey
from trace_service.identity.schemas import (
    CredentialOut,
    CredentialsRevokedOut,
    DepartureOut,
    KeyIn,
    KeyOut,
    PartyIn,
    PartyOut,
    RegisteredParty,
    RevokeIn,
    StatusIn,
)
from trace_service.ledger.envelope import b64, decode_b64
from trace_service.plumbing.openapi import problem_docs

blp = Blueprint("identity", __name__, description="Parties, keys and credentials (实名)")
problems = problem_docs(blp)


def key_out(key: PartyKey) -> dict[str, Any]:
    return {
        "keyid": key.keyid,
        "party_id": key.party_id,
        "public_key": b64(bytes(key.public_key)),
        "valid_from": key.valid_from,
        "revoked_at": key.revoked_at,
        "enrolled_by": key.enrolled_by,
    }


@blp.route("/parties")
class Parties(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.arguments(PartyIn)
    @blp.response(201, RegisteredParty)
    @problems(403, 409, 422)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register a party (registrars: regulators and platform operators)."""
        session = get_session()
        registrar = current_party()
        now = utcnow()
        party = service.register_party(session, registrar, service.PartySpec(**data), now)
        token = service.issue_credential(session, party.id, now)
        session.commit()
        return {"party": party, "credential": token}


@blp.route("/parties/<party_id>")
class PartyView(MethodView):
    @blp.response(200, PartyOut)
    @problems(404)
    def get(self, party_id: str) -> Party:
        """A party's public registration record."""
        return service.get_party(get_session(), party_id)


@blp.route("/parties/<party_id>/status")
class PartyStatusView(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.arguments(StatusIn)
    @blp.response(200, PartyOut)
    @problems(403, 404, 422)
    def put(self, data: dict[str, Any], party_id: str) -> Party:
        """Suspend or reactivate a party (regulators)."""
        session = get_session()
        party = service.set_status(session, current_party(), party_id, data["status"])
        session.commit()
        return party


@blp.route("/parties/<party_id>/keys")
class PartyKeys(MethodView):
    @blp.response(200, KeyOut(many=True))
    @problems(404)
    def get(self, party_id: str) -> list[dict[str, Any]]:
        """A party's signing keys, revoked ones included (keys are public)."""
        session = get_session()
        service.get_party(session, party_id)
        keys = session.scalars(
            select(PartyKey).where(PartyKey.party_id == party_id).order_by(PartyKey.valid_from)
        )
        return [key_out(k) for k in keys]

    @blp.doc(**BEARER_DOC)
    @blp.arguments(KeyIn)
    @blp.response(201, KeyOut)
    @problems(403, 404, 409, 422)
    def post(self, data: dict[str, Any], party_id: str) -> dict[str, Any]:
        """Enrol an Ed25519 key (the party itself, its courier company, or a regulator)."""
        session = get_session()
        actor = current_party()
        public = decode_b64(data["public_key"], length=32, what="public_key")
        key = service.enrol_key(session, actor, party_id, public, data["valid_from"] or utcnow())
        session.commit()
        return key_out(key)


@blp.route("/keys/<keyid>/revoke")
class RevokeKey(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.arguments(RevokeIn)
    @blp.response(200, KeyOut)
    @problems(403, 404, 422)
    def post(self, data: dict[str, Any], keyid: str) -> dict[str, Any]:
        """Revoke a key: what it signed before stays valid, what it signs after is refused."""
        session = get_session()
        now = utcnow()
        key = service.revoke_key(session, current_party(), keyid, data["at"] or now, now)
        session.commit()
        return key_out(key)


@blp.route("/parties/<party_id>/credentials")
class Credentials(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(201, CredentialOut)
    @problems(403, 404)
    def post(self, party_id: str) -> dict[str, str]:
        """Issue a new bearer credential (the party itself, the registrar that registered it,
        or a regulator)."""
        session = get_session()
        actor = current_party()
        party = service.get_party(session, party_id)
        own_registrar = actor.kind in service.REGISTRARS and party.registered_by == actor.id
        if actor.id != party_id and actor.kind != "regulator" and not own_registrar:
            # A platform operator must not mint a regulator's (or any stranger's) credential.
            raise Forbidden(
                "only the party itself, its registrar or a regulator issues its credentials"
            )
        token = service.issue_credential(session, party_id, utcnow())
        session.commit()
        return {"credential": token}


@blp.route("/parties/<party_id>/departure")
class Departure(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, DepartureOut)
    @problems(401, 403, 404)
    def post(self, party_id: str) -> dict[str, Any]:
        """A staff member leaves its courier company, or an outlet closes (离职 / 撤销): the
        company or a regulator records it. From now its keys are revoked, its credentials void
        and it cannot enrol keys; everything it signed before stays valid and verifiable."""
        session = get_session()
        departure = service.end_membership(session, current_party(), party_id, utcnow())
        session.commit()
        return {
            "party_id": departure.party.id,
            "status": departure.party.status,
            "at": departure.at,
            "keys_revoked": departure.keys_revoked,
            "credentials_revoked": departure.credentials_revoked,
        }


@blp.route("/parties/<party_id>/credentials/revoke")
class RevokeCredentials(MethodView):
    @blp.doc(**BEARER_DOC)
    @blp.response(200, CredentialsRevokedOut)
    @problems(401, 403, 404)
    def post(self, party_id: str) -> dict[str, Any]:
        """Void every bearer credential of a party (a lost phone; the party itself, its courier
        company for staff and outlets, or a regulator). Signing keys are revoked separately."""
        session = get_session()
        actor = current_party()
        party = service.get_party(session, party_id)
        if not service.may_revoke_credentials(actor, party):
            raise Forbidden(f"{actor.id} may not revoke {party_id}'s credentials")
        now = utcnow()
        count = service.revoke_credentials(session, party, now)
        session.commit()
        return {"party_id": party.id, "at": now, "credentials_revoked": count}
