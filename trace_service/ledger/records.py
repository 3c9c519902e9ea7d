"""The registry of signed record types: what each domain adds to the one log.

The ledger core knows no domain by name. Each domain registers, from its own `record_types`
module, what its records are:

- a `RecordType`: the payload schema, its published title, who signs it (in words; its rule
  enforces it), and the other subjects and parties an event of the type touches;
- a `SubjectKind`: a family of chains (items, parcels, parties, cases...) and how its ids look;
- a rule per (record type, subject kind): a pure function of the payload, its signers and the
  states of the subjects it touches (`ledger.transitions`), replayed by the verifier;
- `FactSource`s: what rules may consult beside subject states (a product's owner, a logged
  complaint), read by ingest for a batch and rebuilt by the verifier from the log;
- `Indexer`s (`ledger.indexing`): the derived rows an accepted event writes, and their tables.

Ingest, the verifier and the published contract only walk what was registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema
from sqlalchemy.orm import Session

from trace_service.ledger.payload_check import schema_check
from trace_service.ledger.record_errors import InvalidPayload, violation
from trace_service.ledger.transitions import Signer, State, Transition, World

Payload = Mapping[str, Any]
StateOf = Callable[[str], State | None]
Rule = Callable[
    [Payload, list[Signer], State | None, Mapping[str, State | None], World], Transition
]


@dataclass(frozen=True)
class RecordType:
    """A signed record type: its payload schema and what an event of it touches."""

    name: str
    schema: Schema
    title: str  # as published in the contract, e.g. "销售 sale"
    signed_by: str  # who signs it, in words (its rules enforce it)
    # Subjects besides its own whose states its rule needs (a dispatch's items); `state_of`
    # reads current states when given (a receipt's parcel names its items).
    subjects: Callable[[Payload, StateOf | None], Iterable[str]] | None = None
    # Parties its rule consults (a listing's platform), besides a party subject itself.
    parties: Callable[[Payload], Iterable[str]] | None = None
    # Further checks of a payload its schema accepted; raises InvalidPayload.
    check: Callable[[Payload], None] | None = None


@dataclass(frozen=True)
class SubjectKind:
    """A family of chains: `claims` says whether an id is of this kind, `validate` raises
    InvalidPayload (invalid_subject) unless it is the id in canonical form."""

    name: str
    claims: Callable[[str], bool]
    validate: Callable[[str], None]
    noun: str = ""  # in messages, e.g. "complaint case"


@dataclass(frozen=True)
class FactSource:
    """Facts the rules read from `World.fact(name, key)`.

    Ingest asks each payload which keys it needs (`wanted`) and reads them for the batch
    (`load`); the verifier starts from `replay_start` (tables it trusts less than the log, say
    products) and learns facts from each accepted event it replays (`learn`).
    """

    name: str
    wanted: Callable[[Payload], Iterable[str]]
    load: Callable[[Session, set[str]], Mapping[str, Any]]
    replay_start: Callable[[Session], dict[str, Any]] | None = None
    learn: Callable[[str, Payload, list[Signer]], tuple[str, Any] | None] | None = None


_TYPES: dict[str, RecordType] = {}
_KINDS: dict[str, SubjectKind] = {}
_RULES: dict[tuple[str, str], Rule] = {}
_FACTS: dict[str, FactSource] = {}
_FAST_CHECKS: dict[str, Any] = {}


def register_type(record_type: RecordType) -> None:
    """Add a record type; raises ValueError if the name is taken by another."""
    known = _TYPES.get(record_type.name)
    if known is not None and known is not record_type:
        raise ValueError(f"record type {record_type.name!r} is already registered")
    _TYPES[record_type.name] = record_type
    _FAST_CHECKS.pop(record_type.name, None)


def register_subject_kind(kind: SubjectKind) -> None:
    """Add a family of chains."""
    _KINDS[kind.name] = kind


def register_rule(type_name: str, subject_kind: str, rule: Rule) -> None:
    """The rule of `type_name` events about subjects of `subject_kind`."""
    _RULES[(type_name, subject_kind)] = rule


def register_facts(source: FactSource) -> None:
    """Add a source of facts the rules may consult."""
    _FACTS[source.name] = source


def record_type_names() -> list[str]:
    """Every registered record type, in registration order."""
    return list(_TYPES)


def record_types() -> list[RecordType]:
    """Every registered record type, in registration order."""
    return list(_TYPES.values())


def record_type(name: str) -> RecordType:
    """The registered record type `name`; raises KeyError."""
    return _TYPES[name]


def fact_sources() -> list[FactSource]:
    return list(_FACTS.values())


def subject_kind(subject: str) -> str:
    """The kind of chain `subject` names ("unknown" if no registered kind claims it)."""
    for kind in _KINDS.values():
        if kind.claims(subject):
            return kind.name
    return "unknown"


def validate_subject(subject: str) -> None:
    """Check that `subject` is a canonical subject id; raises InvalidPayload (invalid_subject)."""
    for kind in _KINDS.values():
        if kind.claims(subject):
            kind.validate(subject)
            return
    raise InvalidPayload(f"{subject!r} is not a subject id", code="invalid_subject")


def validate_payload(payload: Mapping[str, Any]) -> None:
    """Check a payload against the schema of its type; raises InvalidPayload with field errors."""
    kind = payload.get("type")
    record_type = _TYPES.get(kind) if isinstance(kind, str) else None
    if record_type is None:
        raise InvalidPayload(
            f"unknown event type {kind!r}", errors={"type": [f"one of {', '.join(_TYPES)}"]}
        )
    name = record_type.name
    if name not in _FAST_CHECKS:
        _FAST_CHECKS[name] = schema_check(record_type.schema)
    fast = _FAST_CHECKS[name]
    if fast is not None and fast(payload):
        return  # what marshmallow would accept without a word (it still words every refusal)
    errors = record_type.schema.validate(payload)
    if errors:
        raise InvalidPayload("the payload does not match its event type", errors=errors)


def validate_record(payload: Mapping[str, Any]) -> None:
    """Check a payload as ingest accepts it: its schema, its subject id and its type's own
    checks; raises InvalidPayload."""
    validate_payload(payload)
    validate_subject(payload["subject"])
    check = _TYPES[payload["type"]].check
    if check is not None:
        check(payload)


def referenced_subjects(payload: Payload, state_of: StateOf | None = None) -> set[str]:
    """Every subject whose state the rules need for this payload: its own, and those its
    record type names (through `state_of`, the current states, when given)."""
    subjects = {str(payload["subject"])}
    record_type = _TYPES.get(str(payload.get("type")))
    if record_type is not None and record_type.subjects is not None:
        subjects.update(str(s) for s in record_type.subjects(payload, state_of))
    return subjects


def referenced_parties(payload: Payload) -> set[str]:
    """Every party the rules may consult for this payload."""
    parties: set[str] = set()
    record_type = _TYPES.get(str(payload.get("type")))
    if record_type is not None and record_type.parties is not None:
        parties.update(record_type.parties(payload))
    subject = str(payload.get("subject", ""))
    if subject_kind(subject) == "party":
        parties.add(subject.removeprefix("party/"))
    return parties


def wanted_facts(payloads: Iterable[Payload]) -> dict[str, set[str]]:
    """For each fact source, the keys these payloads need."""
    wanted: dict[str, set[str]] = {name: set() for name in _FACTS}
    for payload in payloads:
        for name, source in _FACTS.items():
            wanted[name].update(source.wanted(payload))
    return wanted


def rule_of(type_name: str, subject: str) -> Rule:
    """The rule for an event of `type_name` about `subject`; raises wrong_subject_kind."""
    actual = subject_kind(subject)
    rule = _RULES.get((type_name, actual))
    if rule is not None:
        return rule
    kinds = [k for (t, k) in _RULES if t == type_name]
    if len(kinds) == 1:
        raise violation("wrong_subject_kind", f"a {type_name} is about a {kinds[0]}, not {subject}")
    nouns = [(_KINDS[k].noun if k in _KINDS else "") or k for k in kinds]
    raise violation("wrong_subject_kind", f"a {type_name} is about a {' or a '.join(nouns)}")
