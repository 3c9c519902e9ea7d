"""EPCIS 2.0 JSON-LD export of logged events (DESIGN §8): a pure function of the events.

Each logged event about an item, lot or parcel, and each record of a complaint case about one,
becomes EPCIS events (the mapping below). CBV 2.0 business steps and dispositions are used where
one says what happened; the service's own terms, under `VOCABULARY`, where none does (listing,
review, complaint and the back-tracing records). Every EPCIS event carries, as namespaced
extensions declared in the document's `@context`, the logged event's type, hash, log index and
signatures, so a consumer can fetch the signed envelope (its `eventID`) and check it.

Identifiers: items, lots and SSCCs as canonical GS1 Digital Link URIs (`EPC_BASE`), waybills,
locations and orders as URNs minted here, parties as their registration record's URL on the
service. No personal data: recipients, buyer keys, salted commitments, free text (reviews,
complaints, notes, reasons) and delivery addresses (a delivery is located by its city) never
leave the log through this export.

logged event → EPCIS event(s): bizStep, disposition
- listing → ObjectEvent OBSERVE: tsv BizStep-listing, sellable_accessible
- sale → TransactionEvent ADD of the order (`po`): retail_selling, retail_sold
- dispatch → AggregationEvent ADD (items into the parcel): packing, container_closed; and
  ObjectEvent OBSERVE of the parcel, merchant → courier: shipping, in_transit
- handoff → ObjectEvent OBSERVE, possession giver → receiver: accepting, in_transit or damaged
- delivery → ObjectEvent OBSERVE in the destination city: arriving, damaged if so
- receipt → ObjectEvent OBSERVE by the buyer: receiving, damaged if so
- review, complaint, attribution, objection, decision, resolution → ObjectEvent OBSERVE of the
  item or parcel: tsv BizStep-<type>
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from trace_service.plumbing.timestamps import format_time

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# The service's own vocabulary (business steps and extension members), prefix "tsv".
VOCABULARY = "https://trace-service.example/voc/"
PREFIX = "tsv"
CONTEXT: list[Any] = [GS1_CONTEXT, {PREFIX: VOCABULARY}]
# Canonical GS1 Digital Link URIs name GS1 keys the same in every deployment.
EPC_BASE = "https://id.gs1.org"
URN = "urn:x-trace-service:"
# Every event of the programmes happens in China (UTC+8); times themselves stay in UTC.
TIME_ZONE_OFFSET = "+08:00"

# Logged event types that are about an item, lot or parcel, or a complaint case about one.
OBJECT_TYPES = ("listing", "sale", "dispatch", "handoff", "delivery", "receipt", "review")
CASE_TYPES = ("complaint", "attribution", "objection", "decision", "resolution")
EXPORTED_TYPES = OBJECT_TYPES + CASE_TYPES


@dataclass(frozen=True)
class LoggedEvent:
    """What the export needs of one log entry."""

    index: int
    hash: str
    type: str
    subject: str
    payload: Mapping[str, Any]
    # (key id, base64 signature) and the party behind each key (None for a buyer's key).
    signatures: tuple[tuple[str, str], ...]
    signers: tuple[str | None, ...]
    recorded_at: datetime
    # The kind of each signing party (signatures are ordered by key id, not by role).
    signer_kinds: Mapping[str, str] = field(default_factory=dict)

    def signer_of_kind(self, kind: str) -> str | None:
        return next((p for p in self.signers if p and self.signer_kinds.get(p) == kind), None)


def exported(event: LoggedEvent) -> bool:
    """Whether the export maps this event (party records, commitments and snapshots are
    credit data, exchanged through /exchange, not object events)."""
    return event.type in EXPORTED_TYPES and not event.subject.startswith(("party/", "ratings"))


def term(name: str) -> str:
    """A term of the service's vocabulary as a full URI."""
    return VOCABULARY + name


def own(name: str) -> str:
    """A compact (prefixed) name of the service's vocabulary, for extension members."""
    return f"{PREFIX}:{name}"


def location_urn(city: str, name: str | None = None) -> str:
    """A location named by its city (and, for a courier's premises, its name)."""
    parts = [city] if name is None else [city, name]
    return URN + "location:" + ":".join(quote(p, safe="") for p in parts)


def subject_epc(subject: str) -> str:
    """The URI naming an item, lot or parcel subject."""
    if subject.startswith("wb/"):
        _, company, number = subject.split("/", 2)
        return f"{URN}waybill:{company}:{number}"
    return f"{EPC_BASE}/{subject}"  # subjects are Digital Link paths, already percent-encoded


def _what(subject: str) -> dict[str, Any]:
    """The "what" of an event: a lot is a class (quantity unknown), anything else an instance."""
    if _is_lot(subject):
        return {"quantityList": [{"epcClass": subject_epc(subject)}]}
    return {"epcList": [subject_epc(subject)]}


class Mapper:
    """Maps logged events to EPCIS events for one document (the service base and case map)."""

    def __init__(self, base_url: str, complaint_subjects: Mapping[str, str]) -> None:
        self.base = base_url.rstrip("/")
        self.complaint_subjects = complaint_subjects

    def party(self, party_id: str) -> str:
        return f"{self.base}/parties/{quote(party_id, safe='')}"

    def event_uri(self, event_hash: str) -> str:
        return f"{self.base}/events/{event_hash}"

    def events(self, event: LoggedEvent) -> list[dict[str, Any]]:
        handler = _HANDLERS.get(event.type)
        if handler is None or not exported(event):
            return []
        return handler(self, event)

    def common(self, event: LoggedEvent, kind: str, fragment: str = "") -> dict[str, Any]:
        """The members every EPCIS event of `event` has, with its log evidence."""
        p = event.payload
        evidence: dict[str, Any] = {
            own("eventType"): event.type,
            own("eventHash"): event.hash,
            own("logIndex"): event.index,
            own("signatures"): [
                {own("keyid"): keyid, own("signature"): sig} for keyid, sig in event.signatures
            ],
        }
        if p.get("prev"):
            evidence[own("prev")] = self.event_uri(str(p["prev"]))
        return {
            "type": kind,
            "eventTime": p["time"],
            "eventTimeZoneOffset": TIME_ZONE_OFFSET,
            "recordTime": format_time(event.recorded_at),
            "eventID": self.event_uri(event.hash) + fragment,
            **evidence,
        }

    def observed(
        self, event: LoggedEvent, biz_step: str, what: dict[str, Any] | None = None, **more: Any
    ) -> dict[str, Any]:
        """An ObjectEvent OBSERVE of the event's subject (or `what`), with the `more` members
        that have a value."""
        body = self.common(event, "ObjectEvent")
        body.update(action="OBSERVE", **(what or _what(event.subject)), bizStep=biz_step)
        body.update({k: v for k, v in more.items() if v is not None})
        return body

    def case_subject(self, event: LoggedEvent) -> str | None:
        complaint = event.subject.removeprefix("case/")
        return self.complaint_subjects.get(complaint)


def _possession(mapper: Mapper, party: str | None, *, to: bool) -> list[dict[str, str]] | None:
    if party is None:
        return None
    key = "destination" if to else "source"
    return [{"type": "possessing_party", key: mapper.party(party)}]


def _weighed(grams: Any) -> list[dict[str, Any]]:
    """A measured weight as an EPCIS sensor report (mass in grams)."""
    return [{"sensorReport": [{"type": "Mass", "value": grams, "uom": "GRM"}]}]


def _damage(condition: Any, otherwise: str | None = None) -> str | None:
    return "damaged" if condition == "damaged" else otherwise


def _listing(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    p = e.payload
    return [
        m.observed(
            e,
            term("BizStep-listing"),
            disposition="sellable_accessible",
            **{own("platform"): m.party(p["platform"]), own("listingRef"): p["listing_ref"]},
            **{own("price"): _price(p)},
        )
    ]


def _price(p: Mapping[str, Any]) -> dict[str, Any]:
    price = p["price"]
    return {own("amount"): price["amount"], own("currency"): price["currency"]}


def _sale(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    p = e.payload
    body = m.common(e, "TransactionEvent")
    order = f"{URN}order:{quote(p['platform'], safe='')}:{quote(p['order_ref'], safe='')}"
    body.update(
        action="ADD",
        bizTransactionList=[{"type": "po", "bizTransaction": order}],
        **_what(e.subject),
        bizStep="retail_selling",
        disposition="retail_sold",
    )
    if e.signers and e.signers[0]:
        body["sourceList"] = [{"type": "owning_party", "source": m.party(e.signers[0])}]
    body.update({own("platform"): m.party(p["platform"]), own("price"): _price(p)})
    return [body]


def _dispatch(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    p = e.payload
    merchant = e.signer_of_kind("merchant")
    packed = m.common(e, "AggregationEvent", "#packing")
    packed.update(
        action="ADD",
        parentID=subject_epc(e.subject),
        childEPCs=[subject_epc(item) for item in p["items"] if not _is_lot(item)],
        bizStep="packing",
        disposition="container_closed",
        readPoint={"id": location_urn(p["origin_city"])},
    )
    lots = [{"epcClass": subject_epc(item)} for item in p["items"] if _is_lot(item)]
    if lots:
        packed["childQuantityList"] = lots
    if not packed["childEPCs"]:
        del packed["childEPCs"]
    shipped = m.observed(
        e,
        "shipping",
        disposition="in_transit",
        readPoint={"id": location_urn(p["origin_city"])},
        sourceList=[
            *(_possession(m, merchant, to=False) or []),
            {"type": "location", "source": location_urn(p["origin_city"])},
        ],
        destinationList=[
            *(_possession(m, p["courier"], to=True) or []),
            {"type": "location", "destination": location_urn(p["destination_city"])},
        ],
        **{
            own("declaredWeightGrams"): p["declared_weight_g"],
            own("promisedBy"): p["promised_by"],
        },
    )
    return [packed, shipped]


def _is_lot(subject: str) -> bool:
    return subject.startswith("01/") and "/10/" in subject


def _handoff(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    p = e.payload
    giver = p["from"]
    receiver = next((s for s in e.signers if s and s != giver), None)
    return [
        m.observed(
            e,
            "accepting",
            disposition=_damage(p["condition"], "in_transit"),
            readPoint={"id": location_urn(p["location"]["city"], p["location"]["name"])},
            sourceList=_possession(m, giver, to=False),
            destinationList=_possession(m, receiver, to=True),
            sensorElementList=_weighed(p["weight_g"]),
            **{own("seal"): p.get("seal")},
        )
    ]


def _delivery(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    p = e.payload
    courier = e.signers[0] if e.signers else None
    return [
        m.observed(
            e,
            "arriving",
            disposition=_damage(p["condition"]),
            # The city only: a delivery's place may be the recipient's address.
            readPoint={"id": location_urn(p["location"]["city"])},
            sourceList=_possession(m, courier, to=False),
            sensorElementList=_weighed(p["weight_g"]),
            **{own("deliveryMethod"): p["method"], own("consent"): p["consent"]},
        )
    ]


def _receipt(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    return [m.observed(e, "receiving", disposition=_damage(e.payload["condition"]))]


def _review(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    return [m.observed(e, term("BizStep-review"), **{own("score"): e.payload["score"]})]


def _complaint(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    category = {own("category"): e.payload["category"]}
    return [m.observed(e, term("BizStep-complaint"), **category)]


def _case_record(m: Mapper, e: LoggedEvent) -> list[dict[str, Any]]:
    """Attribution, objection, decision or resolution of a complaint about an object."""
    subject = m.case_subject(e)
    p = e.payload
    complaint = e.subject.removeprefix("case/")
    more = {
        own("complaint"): m.event_uri(complaint),
        own("on"): m.event_uri(p["on"]) if p.get("on") else None,
        own("outcome"): p.get("outcome"),
        own("rule"): p.get("rule"),
        own("rulesVersion"): p.get("rules_version"),
    }
    # A complaint out of this export's reach names no object.
    what = _what(subject) if subject else {"epcList": []}
    return [m.observed(e, term(f"BizStep-{e.type}"), what, **more)]


_HANDLERS: dict[str, Callable[[Mapper, LoggedEvent], list[dict[str, Any]]]] = {
    "listing": _listing,
    "sale": _sale,
    "dispatch": _dispatch,
    "handoff": _handoff,
    "delivery": _delivery,
    "receipt": _receipt,
    "review": _review,
    "complaint": _complaint,
    "attribution": _case_record,
    "objection": _case_record,
    "decision": _case_record,
    "resolution": _case_record,
}


def epcis_document(
    events: Iterable[LoggedEvent],
    *,
    base_url: str,
    created_at: datetime,
    complaint_subjects: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An EPCISDocument of `events` (in the given order; unexported types are left out).

    `complaint_subjects` maps a complaint's hash to the item or parcel it is about, so the
    records of its case name that object.
    """
    mapper = Mapper(base_url, complaint_subjects or {})
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": format_time(created_at),
        "epcisBody": {"eventList": [out for e in events for out in mapper.events(e)]},
    }
