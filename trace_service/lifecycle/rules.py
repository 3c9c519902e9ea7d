"""The lifecycle rules between event types, as pure functions over subject states (DESIGN §3).

A subject's state is a JSON-ready dict kept beside its chain head; each rule takes the states of
every subject an event touches and returns the states after it, or raises a violation with its
own stable code. They are registered in `lifecycle.record_types`; ingest and the verifier apply
them through `ledger.record_rules.apply_event`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trace_service.ledger.envelope import decode_b64, key_id
from trace_service.ledger.record_errors import not_allowed, violation
from trace_service.ledger.records import subject_kind
from trace_service.ledger.transitions import (
    Signer,
    State,
    Transition,
    World,
    one_party_signer,
    registered_party,
    require_state,
)
from trace_service.lifecycle.references import item_gtin
from trace_service.plumbing.timestamps import parse_time

PRODUCT_OWNERS = "product_owners"  # the fact source of registered products' merchants


def listing(p: Mapping[str, Any], signers: list[Signer], state: State | None,
             states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    signer = one_party_signer(signers, ("merchant",), "listing")
    gtin = item_gtin(p["subject"])
    owner = world.fact(PRODUCT_OWNERS, gtin)
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


def sale(p: Mapping[str, Any], signers: list[Signer], state: State | None,
          states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
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


def dispatch(p: Mapping[str, Any], signers: list[Signer], state: State | None,
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


def handoff(p: Mapping[str, Any], signers: list[Signer], state: State | None,
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


def delivery(p: Mapping[str, Any], signers: list[Signer], state: State | None,
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


def receipt(p: Mapping[str, Any], signers: list[Signer], state: State | None,
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


def review(p: Mapping[str, Any], signers: list[Signer], state: State | None,
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


def complaint(p: Mapping[str, Any], signers: list[Signer], state: State | None,
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


def commitment(p: Mapping[str, Any], signers: list[Signer], state: State | None,
                states: Mapping[str, State | None], world: World) -> Transition:  # fmt: skip
    party_id = p["subject"].removeprefix("party/")
    if len(signers) != 1 or signers[0].party_id != party_id:
        raise not_allowed("wrong_signer", "a credit commitment is signed by the committing party")
    new: State = dict(state) if state else {"kind": "party", "commitments": 0}
    new["commitments"] += 1
    return Transition({p["subject"]: new})
