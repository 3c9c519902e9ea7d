"""What record rules work with: signers, parties, subject states and transitions.

Every domain's rules are pure functions `(payload, signers, state, states, world) -> Transition`
over this one vocabulary, registered with their record types (`ledger.records`), so no family of
rules imports another and the verifier replays them all through the same registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trace_service.ledger.record_errors import not_allowed, violation

State = dict[str, Any]

# A state value a later event must refer to by hash (the attribution an objection names): the
# rule writes THIS_EVENT and `records.apply_event` puts the event's hash in its place.
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
class World:
    """What the rules may consult beside subject states: the parties an event names, and the
    facts registered fact sources supplied (`records.FactSource`), by source name."""

    parties: Mapping[str, PartyFacts] = field(default_factory=dict)
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def fact(self, source: str, key: str) -> Any | None:
        """The fact `key` of the source named `source`, None when it was not supplied."""
        family = self.facts.get(source)
        return None if family is None else family.get(key)


@dataclass(frozen=True, slots=True)
class Transition:
    """The states after an event (only those it changed) and facts the storage must index."""

    states: dict[str, State]
    buyer_key: bytes | None = None
    parcel_items: tuple[str, ...] = ()


def one_party_signer(signers: list[Signer], kinds: tuple[str, ...], event: str) -> Signer:
    """The one signer of an event that exactly one party of `kinds` signs; raises wrong_signer."""
    party_signers = [s for s in signers if s.kind in kinds]
    if len(signers) != 1 or len(party_signers) != 1:
        wanted = " or ".join(kinds)
        raise not_allowed("wrong_signer", f"a {event} is signed by exactly one {wanted}")
    return party_signers[0]


def registered_party(world: World, party_id: str, kind: str, role: str) -> PartyFacts:
    """The active registered party `party_id` of `kind`; raises unknown_party, party_inactive."""
    party = world.parties.get(party_id)
    if party is None or party.kind != kind:
        raise violation("unknown_party", f"{role} {party_id!r} is not a registered {kind}")
    if not party.active:
        raise violation("party_inactive", f"{role} {party_id!r} is not active")
    return party


def require_state(state: State | None, subject: str) -> State:
    """The subject's state; raises unknown_subject when it has no history."""
    if state is None:
        raise violation("unknown_subject", f"{subject} has no recorded history", subject=subject)
    return state
