"""The rules of a complaint case (投诉案件): attribution, objection (异议), decision, resolution.

A case is the subject ``case/<complaint hash>``. Its chain holds the service's attribution of the
complaint (责任认定), possibly a later re-attribution of an undecided case, the attributed
party's objection, the regulator's decision and the complaint's resolution. Like the lifecycle
rules these are pure functions of the payload, its signers and the states, replayed by the
verifier; who may sign what, and when, is enforced here.

Deadlines: an objection is filed within `RuleSet.objection_period` of the attribution it objects
to; the regulator's review is due within `RuleSet.review_period` of the objection (tracked and
shown as overdue, never enforced: a late decision is still a decision).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

SERVICE = "service"
REGULATOR = "regulator"
COMPLAINTS = "complaints"  # the fact source of logged complaints


@dataclass(frozen=True, slots=True)
class ComplaintFacts:
    """A logged complaint, as a case about it needs to know it."""

    hash: str
    subject: str
    category: str
    time: str  # RFC 3339, as signed
    complainant: str  # the signer's party id, or its key id for a buyer key


def _shares_sum_to_one(shares: list[dict[str, Any]]) -> None:
    micro = [round(float(s["share"]) * 1_000_000) for s in shares]
    if sum(micro) != 1_000_000:
        raise violation("shares_not_whole", "the shares of an attribution add up to exactly 1")
    parties = [s["party"] for s in shares]
    if len(set(parties)) != len(parties):
        raise violation("duplicate_share", "a party appears twice among the shares")


def _share_parties(shares: list[dict[str, Any]], world: World) -> dict[str, list[str]]:
    """The attributed parties, and the outlets and courier companies answering for them (who
    may object on their behalf)."""
    parties = [str(s["party"]) for s in shares]
    outlets: list[str] = []
    companies: list[str] = []
    for party_id in parties:
        facts = world.parties.get(party_id)
        if facts is None:
            raise violation("unknown_party", f"{party_id!r} is not a registered party")
        if facts.outlet_id and facts.outlet_id not in outlets:
            outlets.append(facts.outlet_id)
        if facts.company_id and facts.company_id not in companies:
            companies.append(facts.company_id)
    return {"parties": parties, "outlets": outlets, "companies": companies}


def attribution(p: Mapping[str, Any], signers: list[Signer], state: State | None,
                states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """The service's finding; a case opens with one and is re-traced only while undecided."""
    one_party_signer(signers, (SERVICE,), "attribution")
    complaint = p["subject"].removeprefix("case/")
    if p["complaint"] != complaint:
        raise violation("case_mismatch", "an attribution is filed in its complaint's case")
    if p["outcome"] == "attributed":
        if not p["shares"]:
            raise violation("shares_missing", "an attributed outcome names at least one party")
        _shares_sum_to_one(p["shares"])
    elif p["shares"]:
        raise violation("shares_unexpected", f"a {p['outcome']} outcome names no parties")
    answering = _share_parties(p["shares"], world)
    if state is None:
        facts = world.fact(COMPLAINTS, complaint)
        if facts is None:
            raise violation("unknown_complaint", f"{complaint} is not a logged complaint")
        if parse_time(p["time"]) < parse_time(facts.time):
            raise violation("time_before_complaint", "an attribution follows its complaint")
        if facts.category != p["category"]:
            raise violation("category_mismatch", f"the complaint's category is {facts.category}")
        new: State = {
            "kind": "case", "complaint": complaint, "category": facts.category,
            "complained": facts.subject, "complainant": facts.complainant,
            "complained_at": facts.time, "objection": None, "objections": 0,
            "objected_by": [], "decided": False, "resolved_at": None,
        }  # fmt: skip
    else:
        if state["outcome"] != "undecided" or state["decided"] or state["objection"]:
            raise violation(
                "case_settled", "only an undecided case without a pending objection is re-traced"
            )
        new = dict(state)
    new.update(
        answering, record=THIS_EVENT, outcome=p["outcome"], attributed_at=p["time"], basis="rule"
    )
    return Transition({p["subject"]: new})


def _answering(state: State, signer: Signer) -> bool:
    """The signer is an attributed party, or the outlet or company answering for one."""
    if signer.party_id in state["parties"]:
        return True
    if signer.kind == "outlet":
        return signer.party_id in state["outlets"]
    return signer.kind == "courier_company" and signer.party_id in state["companies"]


def objection(p: Mapping[str, Any], signers: list[Signer], state: State | None,
              states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """异议: an attributed party (or its courier company) objects within the period."""
    if state is None or state.get("kind") != "case":
        raise violation("unknown_subject", f"{p['subject']} has no attribution to object to")
    if len(signers) != 1 or not _answering(state, signers[0]):
        raise not_allowed(
            "not_attributed", "only an attributed party, or its outlet or company, may object"
        )
    if state["objection"]:
        raise violation("objection_pending", "an objection to this case awaits a decision")
    # A decision on an objection is final for the finding objected to.
    objector = _finding(state)
    if objector in state["objected_by"]:
        raise violation("already_objected", "this finding was already objected to and decided")
    if p["on"] != state["record"]:
        raise violation("stale_record", "an objection names the case's current attribution")
    deadline = parse_time(state["attributed_at"]) + DEFAULT_RULES.objection_period
    if parse_time(p["time"]) > deadline:
        raise violation("objection_late", "the objection period has passed")
    new = dict(state)
    new["objection"] = {"by": signers[0].party_id, "at": p["time"], "record": THIS_EVENT}
    new["objections"] = state["objections"] + 1
    new["objected_by"] = [*state["objected_by"], objector]
    return Transition({p["subject"]: new})


def _finding(state: State) -> str:
    """Who the current finding blames: one objection per finding, whoever of the attributed
    parties, their outlets or companies files it (a reassignment is a new finding)."""
    return ",".join(sorted(state["parties"]))


CASE_OUTCOMES = ("upheld", "reversed", "undecided")


def decision(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """A regulator decides an objection, or settles a case the rules left undecided."""
    one_party_signer(signers, (REGULATOR,), "decision")
    if state is None or state.get("kind") != "case":
        raise violation("unknown_subject", f"{p['subject']} has nothing to decide")
    if p["outcome"] not in CASE_OUTCOMES:
        raise violation("wrong_outcome", f"a case decision is one of {', '.join(CASE_OUTCOMES)}")
    if not state["objection"] and state["outcome"] != "undecided":
        raise violation("nothing_to_decide", "the case has no pending objection")
    pending = state["objection"]["record"] if state["objection"] else state["record"]
    if p["on"] != pending:
        raise violation("stale_record", "a decision names the pending objection (or attribution)")
    new = dict(state)
    shares = list(p.get("shares") or [])
    if p["outcome"] == "reversed" and shares:
        _shares_sum_to_one(shares)
        new.update(_share_parties(shares, world))
        new["outcome"] = "attributed"
    elif shares:
        raise violation("shares_unexpected", "only a reversal reassigns the complaint")
    elif p["outcome"] == "reversed":
        new.update(outcome="not_attributable", parties=[], outlets=[], companies=[])
    elif p["outcome"] == "undecided":
        new.update(outcome="undecided", parties=[], outlets=[], companies=[])
    new.update(
        objection=None, decided=True, basis="decision", attributed_at=p["time"], record=THIS_EVENT
    )
    return Transition({p["subject"]: new})


def resolution(p: Mapping[str, Any], signers: list[Signer], state: State | None,
               states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    """投诉办结: the complainant (or a regulator) records that the complaint was resolved."""
    if state is None or state.get("kind") != "case":
        raise violation("unknown_subject", f"{p['subject']} is not a complaint case")
    if len(signers) != 1:
        raise not_allowed("wrong_signer", "a resolution has one signer")
    signer = signers[0]
    if signer.kind != REGULATOR and state["complainant"] not in (signer.party_id, signer.keyid):
        raise not_allowed("not_complainant", "the complainant or a regulator records resolution")
    if state["resolved_at"] is not None:
        raise violation("already_resolved", "the complaint was already resolved")
    new = dict(state)
    new["resolved_at"] = p["time"]
    return Transition({p["subject"]: new})
