"""Identity operations: registering parties under their real identity, keys and credentials."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as uscc_code
from stdnum.exceptions import ValidationError as StdnumError

from trace_service.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized
from trace_service.identity.models import Credential, Party, PartyKey, PartyKind, PartyStatus
from trace_service.ledger.envelope import key_id

REGISTRARS = {PartyKind.REGULATOR.value, PartyKind.PLATFORM.value}
ENTERPRISES = {
    PartyKind.PLATFORM.value,
    PartyKind.MERCHANT.value,
    PartyKind.COURIER_COMPANY.value,
    PartyKind.REGULATOR.value,
}
_ID_PREFIX = {
    "platform": "plt",
    "merchant": "mer",
    "courier_company": "cor",
    "outlet": "out",
    "staff": "stf",
    "regulator": "reg",
}


class InvalidUscc(DomainError):
    code = "invalid_uscc"
    status = 422
    title = "Not a valid unified social credit code (统一社会信用代码)"


class InvalidParty(DomainError):
    code = "invalid_party"
    status = 422
    title = "The party cannot be registered as described"


class InvalidKey(DomainError):
    code = "invalid_key"
    status = 422
    title = "The key cannot be enrolled"


# GB 32100-2015: the first character names the registering authority (登记管理部门代码).
_AUTHORITIES = set("123456789ANY")


class RevocationBackdated(DomainError):
    code = "revocation_backdated"
    status = 422
    title = "A key cannot be revoked in the past"


def validate_uscc(raw: str) -> str:
    """The compact 18-character code; raises InvalidUscc naming what is wrong."""
    try:
        code = str(uscc_code.validate(raw))
    except StdnumError as exc:
        raise InvalidUscc(f"{raw!r} is not a valid unified social credit code: {exc}") from exc
    if code[0] not in _AUTHORITIES:
        raise InvalidUscc(f"{raw!r} names no registering authority (first character {code[0]!r})")
    return code


@dataclass(frozen=True)
class PartySpec:
    kind: str
    name: str
    uscc: str | None = None
    company_id: str | None = None
    outlet_id: str | None = None
    city: str | None = None
    # Chosen by an operator tool that must be reproducible (the simulator); clients never set it.
    party_id: str | None = None


def get_party(session: Session, party_id: str) -> Party:
    party = session.get(Party, party_id)
    if party is None:
        raise NotFound(f"no party {party_id!r}")
    return party


def _new_party(session: Session, spec: PartySpec, registrar_id: str | None, now: datetime) -> Party:
    if spec.kind not in _ID_PREFIX:
        raise InvalidParty(f"unknown party kind {spec.kind!r}")
    code = validate_uscc(spec.uscc) if spec.uscc else None
    if spec.kind in ENTERPRISES and code is None:
        raise InvalidParty(f"a {spec.kind} registers with its unified social credit code")
    if code is not None and session.scalar(select(Party.id).where(Party.uscc == code)):
        raise Conflict(f"a party with unified social credit code {code} is already registered")
    if spec.kind in (PartyKind.OUTLET.value, PartyKind.STAFF.value):
        if spec.company_id is None:
            raise InvalidParty(f"a {spec.kind} belongs to a courier company (company_id)")
        company = session.get(Party, spec.company_id)
        if company is None or company.kind != PartyKind.COURIER_COMPANY.value:
            raise InvalidParty(f"{spec.company_id} is not a courier company")
    elif spec.company_id is not None:
        raise InvalidParty(f"a {spec.kind} does not belong to a courier company")
    if spec.outlet_id is not None:
        outlet = session.get(Party, spec.outlet_id)
        if (
            outlet is None
            or outlet.kind != PartyKind.OUTLET.value
            or outlet.company_id != spec.company_id
        ):
            raise InvalidParty(f"{spec.outlet_id} is not an outlet of {spec.company_id}")
    party = Party(
        id=_party_id(session, spec),
        kind=spec.kind,
        name=spec.name,
        uscc=code,
        company_id=spec.company_id,
        outlet_id=spec.outlet_id,
        city=spec.city,
        status=PartyStatus.ACTIVE.value,
        registered_by=registrar_id,
        registered_at=now,
    )
    session.add(party)
    session.flush()
    return party


def _party_id(session: Session, spec: PartySpec) -> str:
    """A fresh random id for the party's kind, or the one the spec chose (checked: same shape
    and not yet taken)."""
    prefix = _ID_PREFIX[spec.kind]
    if spec.party_id is None:
        return f"{prefix}-{secrets.token_hex(5)}"
    if not re.fullmatch(rf"{prefix}-[0-9a-f]{{10}}", spec.party_id):
        raise InvalidParty(f"{spec.party_id!r} is not a {spec.kind} id ({prefix}-<10 hex>)")
    if session.get(Party, spec.party_id) is not None:
        raise Conflict(f"party {spec.party_id} is already registered")
    return spec.party_id


def bootstrap_registrar(session: Session, spec: PartySpec, now: datetime) -> Party:
    """Create the first regulator or platform operator (operators only, from the CLI)."""
    if spec.kind not in REGISTRARS:
        raise InvalidParty("a registrar is a regulator or a platform operator")
    return _new_party(session, spec, None, now)


def register_party(session: Session, registrar: Party, spec: PartySpec, now: datetime) -> Party:
    """Register a party on the word of a registrar; raises Forbidden, InvalidParty, InvalidUscc."""
    if registrar.kind not in REGISTRARS or registrar.status != PartyStatus.ACTIVE.value:
        raise Forbidden("only an active regulator or platform operator registers parties")
    if spec.kind == PartyKind.REGULATOR.value and registrar.kind != PartyKind.REGULATOR.value:
        raise Forbidden("only a regulator registers another regulator")
    return _new_party(session, spec, registrar.id, now)


def set_status(session: Session, actor: Party, party_id: str, status: str) -> Party:
    """Suspend or reactivate a party (regulators only)."""
    if actor.kind != PartyKind.REGULATOR.value:
        raise Forbidden("only a regulator changes a party's status")
    if status not in {s.value for s in PartyStatus}:
        raise InvalidParty(f"unknown status {status!r}")
    party = get_party(session, party_id)
    if party.kind == PartyKind.SERVICE.value:
        raise Forbidden("the service's own party is not suspended through the API")
    party.status = status
    return party


def _may_manage_keys(actor: Party, party: Party) -> bool:
    # Courier companies enrol their staff's and outlets' keys; regulators may act for anyone but
    # the service itself, whose records key is its operator's (service_signer), never the API's.
    if party.kind == PartyKind.SERVICE.value:
        return False
    return (
        actor.id == party.id
        or actor.kind == PartyKind.REGULATOR.value
        or (actor.kind == PartyKind.COURIER_COMPANY.value and party.company_id == actor.id)
    )


def enrol_key(
    session: Session, actor: Party, party_id: str, public_key: bytes, valid_from: datetime
) -> PartyKey:
    """Enrol an Ed25519 public key for a party; raises Forbidden, InvalidKey, Conflict."""
    party = get_party(session, party_id)
    if not _may_manage_keys(actor, party):
        raise Forbidden(f"{actor.id} may not enrol keys for {party_id}")
    if len(public_key) != 32:
        raise InvalidKey("an Ed25519 public key is 32 bytes")
    keyid = key_id(public_key)
    if session.get(PartyKey, keyid) is not None:
        raise Conflict(f"key {keyid} is already enrolled", keyid=keyid)
    key = PartyKey(
        keyid=keyid,
        party_id=party.id,
        public_key=public_key,
        valid_from=valid_from,
        revoked_at=None,
        enrolled_by=actor.id,
    )
    session.add(key)
    session.flush()
    return key


def revoke_key(session: Session, actor: Party, keyid: str, at: datetime, now: datetime) -> PartyKey:
    """Revoke a key from `at` on: events it signs after that are refused, earlier ones stay valid.

    A revocation cannot be backdated: events the key signed are already in the log, and a party
    must not be able to disown them (raises RevocationBackdated). Raises NotFound, Forbidden.
    """
    if at < now:
        raise RevocationBackdated(
            "a revocation takes effect now or later; to dispute logged events, object to them",
            code="revocation_backdated",
        )
    key = session.get(PartyKey, keyid)
    if key is None or key.party_id is None:
        raise NotFound(f"no enrolled key {keyid}")
    if not _may_manage_keys(actor, get_party(session, key.party_id)):
        raise Forbidden(f"{actor.id} may not revoke key {keyid}")
    if key.revoked_at is not None and key.revoked_at <= at:
        return key
    key.revoked_at = at
    return key


def _may_end_membership(actor: Party, party: Party) -> bool:
    # A courier company parts with its own staff and outlets; a regulator with anyone's.
    return party.kind in {PartyKind.STAFF.value, PartyKind.OUTLET.value} and (
        actor.kind == PartyKind.REGULATOR.value
        or (actor.kind == PartyKind.COURIER_COMPANY.value and party.company_id == actor.id)
    )


@dataclass(frozen=True, slots=True)
class Departure:
    party: Party
    at: datetime
    keys_revoked: list[str]
    credentials_revoked: int


def end_membership(session: Session, actor: Party, party_id: str, now: datetime) -> Departure:
    """A staff member leaves (离职) or an outlet closes: from `now` its keys sign nothing, its
    credentials read nothing, and it cannot enrol new keys; events it signed before stay valid.

    Only a regulator can make it active again (a re-hire gets its keys enrolled anew).
    Raises NotFound, Forbidden.
    """
    party = get_party(session, party_id)
    if not _may_end_membership(actor, party):
        raise Forbidden(f"{actor.id} may not end {party_id}'s membership of a courier company")
    party.status = PartyStatus.LEFT.value
    keys = session.scalars(
        select(PartyKey).where(PartyKey.party_id == party_id, PartyKey.revoked_at.is_(None))
    ).all()
    for key in keys:
        key.revoked_at = now
    credentials = revoke_credentials(session, party, now)
    return Departure(party, now, sorted(k.keyid for k in keys), credentials)


def revoke_credentials(session: Session, party: Party, now: datetime) -> int:
    """Revoke every live bearer credential of a party (a lost phone, a leaver); returns how many."""
    rows = session.scalars(
        select(Credential).where(Credential.party_id == party.id, Credential.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def may_revoke_credentials(actor: Party, party: Party) -> bool:
    """The party itself, its courier company (staff, outlets) or a regulator."""
    return (
        actor.id == party.id
        or actor.kind == PartyKind.REGULATOR.value
        or (actor.kind == PartyKind.COURIER_COMPANY.value and party.company_id == actor.id)
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_credential(session: Session, party_id: str, now: datetime) -> str:
    """A new bearer credential for a party; only its hash is stored, so it is shown once."""
    get_party(session, party_id)
    token = f"ts_{secrets.token_urlsafe(32)}"
    session.add(Credential(token_hash=_token_hash(token), party_id=party_id, created_at=now))
    session.flush()
    return token


def authenticate(session: Session, token: str | None) -> Party:
    """The active party holding a bearer credential; raises Unauthorized."""
    if not token:
        raise Unauthorized(
            "this read needs a registered party's credential (Authorization: Bearer)"
        )
    row = session.get(Credential, _token_hash(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("the credential is not valid")
    party = get_party(session, row.party_id)
    if party.status != PartyStatus.ACTIVE.value:
        raise Unauthorized(f"party {party.id} is {party.status}")
    return party


def keys_by_id(session: Session, keyids: Iterable[str]) -> dict[str, PartyKey]:
    ids = list(set(keyids))
    if not ids:
        return {}
    return {k.keyid: k for k in session.scalars(select(PartyKey).where(PartyKey.keyid.in_(ids)))}
