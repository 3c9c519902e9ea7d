"""The rules of a party's credit records: black-list nomination (黑名单提名) and the regulator's
decision on it, the party's objection to a listing, rectification (整改) and credit repair
(信用修复), and the service's rating snapshots.

Records about a party are events of its subject ``party/<id>``, beside its credit commitments;
snapshots are the chain ``ratings``. Pure functions of the payload, signers and states, replayed
by the verifier like every lifecycle rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from trace_service.credit.parameters import DEFAULT_PARAMETERS
from trace_service.ledger.record_errors import not_allowed, violation
from trace_service.ledger.transitions import (
    THIS_EVENT,
    Signer,
    State,
    Transition,
    World,
    one_party_signer,
)
from trace_service.plumbing.timestamps import parse_time
from trace_service.tracing.rulebook import DEFAULT_RULES

COURIER_KINDS = ("courier_company", "outlet", "staff")


def _party_state(subject: str, state: State | None, world: World) -> tuple[str, State]:
    party_id = subject.removeprefix("party/")
    facts = world.parties.get(party_id)
    if facts is None or facts.kind not in COURIER_KINDS:
        raise violation("not_rated", f"{party_id!r} is not a rated courier unit")
    new: State = dict(state) if state else {"kind": "party", "commitments": 0}
    new.setdefault("nomination", None)
    new.setdefault("black_listed", None)
    new.setdefault("listing_objection", None)
    new.setdefault("rectification", None)
    new.setdefault("repairs", 0)
    return party_id, new


def _speaks_for(signer: Signer, party_id: str, world: World) -> bool:
    """The party itself, or the courier company it belongs to."""
    facts = world.parties[party_id]
    return signer.party_id == party_id or (
        facts.company_id is not None and signer.party_id == facts.company_id
    )


def nomination(p: Mapping[str, Any], signers: list[Signer], state: State | None,
               states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """The service nominates a unit for the black list; one open nomination at a time."""
    one_party_signer(signers, ("service",), "nomination")
    _, new = _party_state(p["subject"], state, world)
    if new["nomination"] or new["black_listed"]:
        raise violation("already_nominated", "the unit is already nominated or black-listed")
    new["nomination"] = {"record": THIS_EVENT, "at": p["time"]}
    return Transition({p["subject"]: new})


def objection(p: Mapping[str, Any], signers: list[Signer], state: State | None,
              states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """异议 against a black listing, by the listed party or its company, within the period."""
    party_id, new = _party_state(p["subject"], state, world)
    listed = new["black_listed"]
    if len(signers) != 1 or not _speaks_for(signers[0], party_id, world):
        raise not_allowed("not_listed_party", "only the listed party or its company may object")
    if not listed or p["on"] != listed["record"]:
        raise violation("stale_record", "an objection names the decision that listed the unit")
    if new["listing_objection"]:
        raise violation("objection_pending", "an objection to this listing awaits a decision")
    if listed.get("objected"):
        raise violation("already_objected", "the listing was already objected to and reviewed")
    if parse_time(p["time"]) > parse_time(listed["since"]) + DEFAULT_RULES.objection_period:
        raise violation("objection_late", "the objection period has passed")
    new["listing_objection"] = {"record": THIS_EVENT, "at": p["time"]}
    return Transition({p["subject"]: new})


def rectification(p: Mapping[str, Any], signers: list[Signer], state: State | None,
                  states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """整改: the unit (or its company) records what it corrected; a regulator then decides."""
    party_id, new = _party_state(p["subject"], state, world)
    if len(signers) != 1 or not _speaks_for(signers[0], party_id, world):
        raise not_allowed("wrong_signer", "the unit or its company records its rectification")
    if new["rectification"]:
        raise violation("rectification_pending", "a rectification awaits the regulator")
    complaints = list(p["complaints"])
    if len(set(complaints)) != len(complaints):
        raise violation("duplicate_complaint", "a complaint is listed twice")
    new["rectification"] = {"record": THIS_EVENT, "at": p["time"]}
    return Transition({p["subject"]: new})


def decision(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """A regulator decides a nomination, an objection to a listing, or a repair."""
    one_party_signer(signers, ("regulator",), "decision")
    _, new = _party_state(p["subject"], state, world)
    outcome = p["outcome"]
    if p.get("shares") or p.get("finding"):
        raise violation("shares_unexpected", "a decision about a party reassigns nothing")
    pending = {
        "nomination": new["nomination"],
        "listing_objection": new["listing_objection"],
        "rectification": new["rectification"],
    }
    kind = next((k for k, v in pending.items() if v and v["record"] == p["on"]), None)
    allowed = {
        "nomination": ("confirmed", "rejected"),
        "listing_objection": ("upheld", "reversed"),
        "rectification": ("granted", "refused"),
    }
    if kind is None:
        raise violation(
            "stale_record", "a decision names a pending nomination, objection or repair"
        )
    if outcome not in allowed[kind]:
        raise violation("wrong_outcome", f"a {kind} is decided {' or '.join(allowed[kind])}")
    new[kind] = None
    if outcome == "confirmed":
        new["black_listed"] = {"record": THIS_EVENT, "since": p["time"], "objected": False}
    elif kind == "listing_objection":
        new["black_listed"] = None if outcome == "reversed" else {
            **new["black_listed"], "objected": True
        }  # fmt: skip
    elif outcome == "granted":
        new["repairs"] += 1
        listed = new["black_listed"]
        minimum = timedelta(days=DEFAULT_PARAMETERS.repair_min_days_serious)
        if listed and parse_time(p["time"]) >= parse_time(listed["since"]) + minimum:
            new["black_listed"] = None  # 信用修复: the listing ends once the minimum has passed
    return Transition({p["subject"]: new})


def snapshot(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """评级快照: the service records a rating snapshot as of a time no later than its own."""
    one_party_signer(signers, ("service",), "snapshot")
    if parse_time(p["as_of"]) > parse_time(p["time"]):
        raise violation("snapshot_in_future", "a snapshot is as of a time already passed")
    new: State = dict(state) if state else {"kind": "ratings", "snapshots": 0}
    new["snapshots"] += 1
    return Transition({p["subject"]: new})
