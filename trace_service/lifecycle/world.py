"""What the lifecycle rules work with: signers, parties, subject states and transitions.

Kept apart from the rules themselves so that every family of rules (lifecycle events, and the
credit records about complaints and parties) shares one vocabulary without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trace_service.lifecycle.errors import not_allowed, violation

State = dict[str, Any]

# A state value a later event must refer to by hash (the attribution an objection names): the
# handler writes THIS_EVENT and `rules.apply_event` puts the event's hash in its place.
THIS_EVENT = "@this-event"


@dataclass(frozen=True, slots=True)
class Signer:
    """Who stands behind one signature: a registered party's key, or a buyer's key (no party)."""

    keyid: str
    party_id: str | None = None
    kind: str | None = None
    company_id: str | None = None
    outlet_id: str | None = None

    @property
    def is_buyer_key(self) -> bool:
        return self.party_id is None


@dataclass(frozen=True, slots=True)
class PartyFacts:
    id: str
    kind: str
    company_id: str | None
    active: bool
    outlet_id: str | None = None


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    """A logged complaint, as a case about it needs to know it."""

    hash: str
    subject: str
    category: str
    time: str  # RFC 3339, as signed
    complainant: str  # the signer's party id, or its key id for a buyer key


@dataclass(frozen=True, slots=True)
class World:
    """What the rules may consult beside subject states: product owners, parties and complaints."""

    product_owners: Mapping[str, str] = field(default_factory=dict)
    parties: Mapping[str, PartyFacts] = field(default_factory=dict)
    complaints: Mapping[str, ComplaintFacts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Transition:
    """The states after an event (only those it changed) and facts the storage must index."""

    states: dict[str, State]
    buyer_key: bytes | None = None
    parcel_items: tuple[str, ...] = ()


def one_party_signer(signers: list[Signer], kinds: tuple[str, ...], event: str) -> Signer:
    party_signers = [s for s in signers if s.kind in kinds]
    if len(signers) != 1 or len(party_signers) != 1:
        wanted = " or ".join(kinds)
        raise not_allowed("wrong_signer", f"a {event} is signed by exactly one {wanted}")
    return party_signers[0]


def registered_party(world: World, party_id: str, kind: str, role: str) -> PartyFacts:
    party = world.parties.get(party_id)
    if party is None or party.kind != kind:
        raise violation("unknown_party", f"{role} {party_id!r} is not a registered {kind}")
    if not party.active:
        raise violation("party_inactive", f"{role} {party_id!r} is not active")
    return party


def require_state(state: State | None, subject: str) -> State:
    if state is None:
        raise violation("unknown_subject", f"{subject} has no recorded history", subject=subject)
    return state
