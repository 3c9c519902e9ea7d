"""The lifecycle rules between event types, as pure functions over subject states (DESIGN §3).

A subject's state is a JSON-ready dict kept beside its chain head; `apply_event` takes the states
of every subject an event touches and returns the states after it, or raises a violation with
its own stable code. The verifier replays the whole log through the same function.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trace_service.credit import list_rules
from trace_service.lifecycle.errors import not_allowed, violation
from trace_service.lifecycle.payloads import format_time, parse_time
from trace_service.lifecycle.references import item_gtin, subject_kind
from trace_service.lifecycle.world import (
    THIS_EVENT,
    Signer,
    State,
    Transition,
    World,
    one_party_signer,
    registered_party,
    require_state,
)
from trace_service.tracing import case_rules


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
    kind = payload["type"]
    subject = payload["subject"]
    expected = {
        "listing": "item", "sale": "item", "review": "item", "dispatch": "parcel",
        "handoff": "parcel", "delivery": "parcel", "receipt": "parcel", "commitment": "party",
        "attribution": "case", "resolution": "case", "nomination": "party",
        "rectification": "party", "snapshot": "ratings",
    }.get(kind)  # fmt: skip
    actual = subject_kind(subject)
    if kind in ("objection", "decision") and actual not in ("case", "party"):
        raise violation("wrong_subject_kind", f"a {kind} is about a complaint case or a party")
    if expected is not None and actual != expected:
        raise violation("wrong_subject_kind", f"a {kind} is about a {expected}, not {subject}")
    state = states.get(subject)
    signed_at = parse_time(payload["time"])
    # Time runs forward for every subject an event touches (a dispatch is not dated before
    # its items' sale, a review not before the receipt that made it possible).
    for other, other_state in states.items():
        if other_state is not None and signed_at < parse_time(other_state["last_time"]):
            raise violation(
                "time_before_previous",
                f"the event is dated before the last event of {other} ({other_state['last_time']})",
            )
    if kind in ("objection", "decision"):
        handler = _PARTY_HANDLERS[kind] if actual == "party" else _CASE_HANDLERS[kind]
    else:
        handler = _HANDLERS[kind]
    transition = handler(payload, signers, state, states, world)
    for changed in transition.states.values():
        changed["last_time"] = payload["time"]
        _name_this_event(changed, digest)
    return transition


def _name_this_event(state: State, digest: str) -> None:
    """Put the event's hash where a handler wrote THIS_EVENT (top level or one level down)."""
    for key, value in state.items():
        if value == THIS_EVENT:
            state[key] = digest
        elif isinstance(value, dict) and THIS_EVENT in value.values():
            state[key] = {k: digest if v == THIS_EVENT else v for k, v in value.items()}


def _listing(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    signer = one_party_signer(signers, ("merchant",), "listing")
    gtin = item_gtin(p["subject"])
    owner = world.product_owners.get(gtin)
    if owner is None:
        raise violation("unknown_product", f"product {gtin} is not registered")
    if owner != signer.party_id:
        raise not_allowed("not_product_owner", f"product {gtin} belongs to another merchant")
    registered_party(world, p["platform"], "platform", "platform")
    lot = "/10/" in p["subject"]
    if state is not None and not lot and state["status"] != "listed":
        raise violation("already_sold", f"{p['subject']} was already sold; it cannot be relisted")
    new: State = dict(state) if state else {
        "kind": "item", "gtin": gtin, "merchant": owner, "lot": lot, "status": "listed",
        "buyers": [], "received_by": [], "reviewed_by": [], "parcels": [], "complaints": 0,
    }  # fmt: skip
    new["listings"] = new.get("listings", 0) + 1
    return Transition({p["subject"]: new})


def _sale(p: Mapping[str, Any], signers: list[Signer], state: State | None,
          states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    from trace_service.ledger.envelope import decode_b64, key_id

    signer = one_party_signer(signers, ("merchant",), "sale")
    if state is None:
        raise violation("not_listed", f"{p['subject']} was never listed; list it before selling")
    if state["merchant"] != signer.party_id:
        raise not_allowed("not_product_owner", "only the listing merchant can record its sale")
    if not state["lot"] and state["status"] != "listed":
        raise violation("already_sold", f"{p['subject']} was already sold")
    registered_party(world, p["platform"], "platform", "platform")
    try:
        buyer_key = decode_b64(p["buyer_key"], length=32, what="buyer_key")
    except Exception as exc:  # MalformedEnvelope: re-raised as a payload problem
        raise violation("invalid_buyer_key", str(exc)) from exc
    new = dict(state)
    new["status"] = "sold" if not state["lot"] else "listed"
    new["buyers"] = [*state["buyers"], key_id(buyer_key)]
    return Transition({p["subject"]: new}, buyer_key=buyer_key)


def _dispatch(p: Mapping[str, Any], signers: list[Signer], state: State | None,
              states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    if state is not None:
        raise violation("parcel_exists", f"{p['subject']} was already dispatched")
    merchants = [s for s in signers if s.kind == "merchant"]
    staff = [s for s in signers if s.kind == "staff"]
    if len(merchants) != 1:
        raise not_allowed("wrong_signer", "a dispatch is signed by the sending merchant")
    if len(staff) != 1 or len(signers) != 2:
        raise not_allowed(
            "countersignature_required",
            "a dispatch is countersigned by the courier staff member who picks the parcel up",
        )
    courier = registered_party(world, p["courier"], "courier_company", "courier")
    if staff[0].company_id != courier.id:
        raise not_allowed(
            "staff_not_of_courier", f"the countersigning staff is not of {courier.id}"
        )
    if parse_time(p["promised_by"]) <= parse_time(p["time"]):
        raise violation("promise_in_past", "promised_by must be after the dispatch time")
    items = list(p["items"])
    if len(set(items)) != len(items):
        raise violation("duplicate_item", "an item is listed twice in the parcel")
    changed: dict[str, State] = {}
    buyers: list[str] = []
    for item in items:
        item_state = states.get(item)
        if subject_kind(item) != "item" or item_state is None:
            raise violation("item_not_sold", f"{item} was never listed and sold", item=item)
        if item_state["merchant"] != merchants[0].party_id:
            raise not_allowed("not_item_owner", f"{item} belongs to another merchant", item=item)
        if not item_state["buyers"]:
            raise violation("item_not_sold", f"{item} has not been sold", item=item)
        if not item_state["lot"] and item_state["status"] != "sold":
            raise violation("item_already_dispatched", f"{item} is already in a parcel", item=item)
        new_item = dict(item_state)
        if not item_state["lot"]:
            new_item["status"] = "dispatched"
        new_item["parcels"] = [*item_state["parcels"], p["subject"]]
        changed[item] = new_item
        buyers.extend(b for b in item_state["buyers"][-1:] if b not in buyers)
    changed[p["subject"]] = {
        "kind": "parcel", "merchant": merchants[0].party_id, "courier": courier.id,
        "items": items, "buyers": buyers, "status": "in_transit",
        "custodian": staff[0].party_id, "custodian_company": staff[0].company_id,
        "condition": "intact", "weight_g": p["declared_weight_g"],
        "declared_weight_g": p["declared_weight_g"], "promised_by": p["promised_by"],
        "handoffs": 0, "complaints": 0,
    }  # fmt: skip
    return Transition(changed, parcel_items=tuple(items))


def _handoff(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    state = require_state(state, p["subject"])
    if state["status"] != "in_transit":
        raise violation("not_in_transit", f"{p['subject']} is {state['status']}, not in transit")
    if p["from"] != state["custodian"]:
        raise not_allowed(
            "not_holder",
            f"{p['from']} does not hold {p['subject']}; {state['custodian']} does",
            holder=state["custodian"],
        )
    receivers = [s for s in signers if s.party_id != p["from"]]
    givers = [s for s in signers if s.party_id == p["from"]]
    if len(receivers) != 1 or receivers[0].kind not in ("staff", "outlet") or len(givers) > 1:
        raise not_allowed(
            "wrong_signer",
            "a handoff is signed by the receiving courier staff or outlet "
            "(the giver may countersign)",
        )
    receiver = receivers[0]
    if receiver.company_id != state["custodian_company"] and not givers:
        # Custody is what opens the recipient's personal data: a stranger to the parcel's chain
        # must not take it (and the data) by naming the holder alone.
        raise not_allowed(
            "countersignature_required",
            "a handoff to another courier company is countersigned by the giver, who holds it",
        )
    new = dict(state)
    new.update(
        custodian=receiver.party_id,
        custodian_company=receiver.company_id,
        condition=p["condition"],
        weight_g=p["weight_g"],
        handoffs=state["handoffs"] + 1,
    )
    return Transition({p["subject"]: new})


def _delivery(p: Mapping[str, Any], signers: list[Signer], state: State | None,
              states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    state = require_state(state, p["subject"])
    if state["status"] != "in_transit":
        raise violation("not_in_transit", f"{p['subject']} is {state['status']}, not in transit")
    signer = one_party_signer(signers, ("staff", "outlet"), "delivery")
    if signer.party_id != state["custodian"]:
        raise not_allowed(
            "not_holder",
            f"{signer.party_id} does not hold {p['subject']}; {state['custodian']} does",
            holder=state["custodian"],
        )
    new = dict(state)
    new.update(
        status="delivered",
        delivered_by=signer.party_id,
        delivery_method=p["method"],
        consent=p["consent"],
        condition=p["condition"],
        weight_g=p["weight_g"],
    )
    return Transition({p["subject"]: new})


def _buyer(signers: list[Signer], buyers: list[str], event: str) -> Signer:
    if len(signers) != 1 or not signers[0].is_buyer_key or signers[0].keyid not in buyers:
        raise not_allowed("not_buyer", f"a {event} is signed by the buyer's key from the sale")
    return signers[0]


def _receipt(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    state = require_state(state, p["subject"])
    buyer = _buyer(signers, state["buyers"], "receipt")
    if state["status"] == "in_transit":
        raise violation("receipt_before_delivery", f"{p['subject']} has not been delivered yet")
    if state["status"] == "received":
        raise violation("already_received", f"{p['subject']} was already received")
    changed: dict[str, State] = {}
    for item in state["items"]:
        item_state = states.get(item)
        if item_state is not None:
            new_item = dict(item_state)
            if not item_state["lot"]:
                new_item["status"] = "received"
            new_item["received_by"] = [*item_state["received_by"], buyer.keyid]
            changed[item] = new_item
    new = dict(state)
    new.update(status="received", receipt_condition=p["condition"])
    changed[p["subject"]] = new
    return Transition(changed)


def _review(p: Mapping[str, Any], signers: list[Signer], state: State | None,
            states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    state = require_state(state, p["subject"])
    buyer = _buyer(signers, state["buyers"], "review")
    if buyer.keyid not in state["received_by"]:
        raise violation(
            "review_without_receipt",
            "only a buyer who confirmed receipt may review (verified purchase)",
        )
    if buyer.keyid in state["reviewed_by"]:
        raise violation("already_reviewed", "this buyer already reviewed the item")
    new = dict(state)
    new["reviewed_by"] = [*state["reviewed_by"], buyer.keyid]
    return Transition({p["subject"]: new})


def _complaint(p: Mapping[str, Any], signers: list[Signer], state: State | None,
               states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    state = require_state(state, p["subject"])
    if state["kind"] not in ("item", "parcel"):
        raise violation("wrong_subject_kind", "a complaint is about an item or a parcel")
    if len(signers) != 1:
        raise not_allowed("wrong_signer", "a complaint has one signer")
    signer = signers[0]
    allowed = (
        (signer.is_buyer_key and signer.keyid in state["buyers"])
        or (signer.kind == "merchant" and signer.party_id == state["merchant"])
        or signer.kind in ("platform", "regulator")
    )
    if not allowed:
        raise not_allowed(
            "not_party_to_subject",
            "a complaint is signed by the buyer, the selling merchant, a platform or a regulator",
        )
    new = dict(state)
    new["complaints"] = state.get("complaints", 0) + 1
    return Transition({p["subject"]: new})


def _commitment(p: Mapping[str, Any], signers: list[Signer], state: State | None,
                states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    party_id = p["subject"].removeprefix("party/")
    if len(signers) != 1 or signers[0].party_id != party_id:
        raise not_allowed("wrong_signer", "a credit commitment is signed by the committing party")
    new: State = dict(state) if state else {"kind": "party", "commitments": 0}
    new["commitments"] += 1
    return Transition({p["subject"]: new})


_HANDLERS = {
    "listing": _listing,
    "sale": _sale,
    "dispatch": _dispatch,
    "handoff": _handoff,
    "delivery": _delivery,
    "receipt": _receipt,
    "review": _review,
    "complaint": _complaint,
    "commitment": _commitment,
    "attribution": case_rules.attribution,
    "resolution": case_rules.resolution,
    "nomination": list_rules.nomination,
    "rectification": list_rules.rectification,
    "snapshot": list_rules.snapshot,
}
_CASE_HANDLERS = {"objection": case_rules.objection, "decision": case_rules.decision}
_PARTY_HANDLERS = {"objection": list_rules.objection, "decision": list_rules.decision}


def check_signing_time(signed_at: datetime, now: datetime, skew_seconds: int) -> None:
    """Refuse an event whose claimed time is further than the skew bound from the server's clock."""
    if abs((signed_at - now).total_seconds()) > skew_seconds:
        raise violation(
            "clock_skew",
            f"event time {format_time(signed_at)} is more than {skew_seconds}s from the server "
            f"time {format_time(now)}",
            server_time=format_time(now),
        )
