"""Applying the registered rules to an event: the one entry point ingest and the verifier share.

The rule of each (record type, subject kind) is a pure function registered by its domain
(`ledger.records`); what holds for every record is checked here: the subject is of a kind the
type is about, time runs forward on every subject the event touches, and the event's own hash
is put where a rule wrote THIS_EVENT.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trace_service.ledger.record_errors import violation
from trace_service.ledger.records import rule_of
from trace_service.ledger.transitions import THIS_EVENT, Signer, State, Transition, World
from trace_service.plumbing.timestamps import format_time, parse_time


def apply_event(
    payload: Mapping[str, Any],
    signers: list[Signer],
    states: Mapping[str, State | None],
    world: World,
    digest: str = "",
) -> Transition:
    """The subject states after `payload` (whose event hash is `digest`), signed by `signers`;
    raises the violation it commits.

    Raises LifecycleViolation (409) for an impossible sequence and SignerNotAllowed (403) when
    the signers may not record this event; each with its own stable code.
    """
    subject = payload["subject"]
    rule = rule_of(payload["type"], subject)
    signed_at = parse_time(payload["time"])
    # Time runs forward for every subject an event touches (a dispatch is not dated before
    # its items' sale, a review not before the receipt that made it possible).
    for other, other_state in states.items():
        if other_state is not None and signed_at < parse_time(other_state["last_time"]):
            raise violation(
                "time_before_previous",
                f"the event is dated before the last event of {other} ({other_state['last_time']})",
            )
    transition = rule(payload, signers, states.get(subject), states, world)
    for changed in transition.states.values():
        changed["last_time"] = payload["time"]
        _name_this_event(changed, digest)
    return transition


def _name_this_event(state: State, digest: str) -> None:
    """Put the event's hash where a rule wrote THIS_EVENT (top level or one level down)."""
    for key, value in state.items():
        if value == THIS_EVENT:
            state[key] = digest
        elif isinstance(value, dict) and THIS_EVENT in value.values():
            state[key] = {k: digest if v == THIS_EVENT else v for k, v in value.items()}


def check_signing_time(signed_at: datetime, now: datetime, skew_seconds: int) -> None:
    """Refuse an event whose claimed time is further than the skew bound from the server's clock."""
    if abs((signed_at - now).total_seconds()) > skew_seconds:
        raise violation(
            "clock_skew",
            f"event time {format_time(signed_at)} is more than {skew_seconds}s from the server "
            f"time {format_time(now)}",
            server_time=format_time(now),
        )
