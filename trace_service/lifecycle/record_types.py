"""The lifecycle's record types (DESIGN §3), registered with the ledger: their payloads, who
signs them, their rules, the chains and parties they touch, and the products' owners the rules
consult. Derived rows of these events (custody records, cases) are indexed by the domains that
use them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.ledger import records
from trace_service.ledger.records import FactSource, Payload, RecordType, StateOf
from trace_service.lifecycle import payloads, rules, subjects
from trace_service.lifecycle.models import Product
from trace_service.lifecycle.references import item_gtin


def _named(*keys: str) -> Any:
    def parties(payload: Payload) -> Iterable[str]:
        return [payload[k] for k in keys if isinstance(payload.get(k), str)]

    return parties


def _dispatched_items(payload: Payload, state_of: StateOf | None) -> Iterable[str]:
    return [str(s) for s in payload.get("items", ())]


def _received_items(payload: Payload, state_of: StateOf | None) -> Iterable[str]:
    """A receipt changes the parcel's items too, found through the parcel's current state."""
    parcel = state_of(str(payload["subject"])) if state_of is not None else None
    return list(parcel.get("items", ())) if parcel is not None else []


def _items_are_subjects(payload: Payload) -> None:
    for item in payload["items"]:
        records.validate_subject(item)


def _listed_gtins(payload: Payload) -> Iterable[str]:
    if payload.get("type") == "listing" and isinstance(payload.get("subject"), str):
        return [item_gtin(payload["subject"])]
    return []


def _product_owners(session: Session, gtins: set[str]) -> Mapping[str, str]:
    if not gtins:
        return {}
    query = select(Product.gtin, Product.merchant_id).where(Product.gtin.in_(gtins))
    return {gtin: merchant for gtin, merchant in session.execute(query)}


def _all_product_owners(session: Session) -> dict[str, Any]:
    return {
        gtin: merchant
        for gtin, merchant in session.execute(select(Product.gtin, Product.merchant_id))
    }


TYPES = (
    (RecordType("listing", payloads.ListingPayload(), "上架 listing", "the product's merchant",
                parties=_named("platform")), "item", rules.listing),
    (RecordType("sale", payloads.SalePayload(), "销售 sale", "the listing merchant",
                parties=_named("platform")), "item", rules.sale),
    (RecordType("dispatch", payloads.DispatchPayload(), "配送 dispatch (揽收 pickup)",
                "the sending merchant, countersigned by the pickup courier staff",
                subjects=_dispatched_items, parties=_named("courier"),
                check=_items_are_subjects), "parcel", rules.dispatch),
    (RecordType("handoff", payloads.HandoffPayload(), "交接 custody handoff",
                "the receiving custodian (the giver may countersign; must, across companies)",
                parties=_named("from")), "parcel", rules.handoff),
    (RecordType("delivery", payloads.DeliveryPayload(), "投递 delivery",
                "the delivering staff or outlet holding the parcel"), "parcel", rules.delivery),
    (RecordType("receipt", payloads.ReceiptPayload(), "签收 receipt",
                "the buyer's key named in the sale", subjects=_received_items),
     "parcel", rules.receipt),
    (RecordType("review", payloads.ReviewPayload(), "评价 review",
                "the buyer's key, after its receipt"), "item", rules.review),
    (RecordType("complaint", payloads.ComplaintPayload(), "投诉 complaint",
                "the buyer's key, the selling merchant, a platform or a regulator"),
     ("item", "parcel"), rules.complaint),
    (RecordType("commitment", payloads.CommitmentPayload(), "信用承诺 credit commitment",
                "the committing party"), "party", rules.commitment),
)  # fmt: skip


def register() -> None:
    """Register the lifecycle's subject kinds, record types, rules and facts."""
    for subject_kind in (subjects.ITEM, subjects.PARCEL, subjects.PARTY_KIND):
        records.register_subject_kind(subject_kind)
    for record_type, kinds, rule in TYPES:
        records.register_type(record_type)
        for kind in (kinds,) if isinstance(kinds, str) else kinds:
            records.register_rule(record_type.name, kind, rule)
    records.register_facts(
        FactSource(
            rules.PRODUCT_OWNERS,
            wanted=_listed_gtins,
            load=_product_owners,
            replay_start=_all_product_owners,
        )
    )
