"""Custody segments (保管区段) of a parcel, derived from its signed events (DESIGN §5, 责任倒查).

A parcel's custody records are its dispatch (the merchant hands it to the pickup staff, who
countersigns), its handoffs (the receiving custodian signs; the giver may countersign) and its
delivery (the delivering staff signs). Between two consecutive records one party held the parcel:
that is a segment, and what changed between the records (condition, weight, seal) happened on its
watch. Each record is the receiving party's acceptance: a party that accepted custody without
noting damage took responsibility for it.

What is derivable about gaps (custody that changed without a signed handoff):

- ``unconfirmed_transfer``: a handoff across companies that the giver did not countersign. The
  receiver's word alone says when and in what state liability passed between two companies, so a
  zero-length gap marker at that handoff names the receiver as the party answerable for it. Within
  one company a one-sided scan is routine (hubs scan in bulk) and the company answers for both of
  its staff, so it is not a gap.
- ``unrecorded_custody``: a handoff given by, or a delivery signed by, a party that never accepted
  the parcel (it is not the current holder). The lifecycle rules refuse such events at ingest, so
  a verified log never holds one; the gap is still derived (not raised) so that imported or
  fabricated histories can be traced. The gap runs from the holder's last record to the event
  that reveals the other party, and names that party; the holder's own segment then ends at its
  opening, with no closing record.

Nothing else is derivable: a location "jump" between records is the ordinary line haul of the
party holding the parcel, and a late record is a delay, not a gap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, overload

from trace_service.errors import DomainError
from trace_service.ledger.transitions import Signer
from trace_service.plumbing.timestamps import parse_time

SegmentKind = Literal["custody", "gap"]
GapReason = Literal["unconfirmed_transfer", "unrecorded_custody"]
CUSTODY_TYPES = ("dispatch", "handoff", "delivery")


class BrokenCustodyChain(DomainError):
    code = "broken_custody_chain"
    status = 409
    title = "The events do not form one parcel's custody chain"


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One accepted event as the log holds it: all that back-tracing reads."""

    hash: str
    index: int
    type: str
    time: datetime
    payload: Mapping[str, Any]
    signers: tuple[Signer, ...]

    @property
    def subject(self) -> str:
        return str(self.payload["subject"])


@dataclass(frozen=True, slots=True)
class CustodySegment:
    """One party's holding of the parcel between two records, or a gap (see the module doc).

    ``end`` is None while the custodian still holds the parcel; ``end_*`` values are None when no
    record closed the segment. ``confirmed`` is true when the opening record carries both the
    giver's and the receiver's signatures (a dispatch, or a countersigned handoff).
    """

    kind: SegmentKind
    custodian: str
    company: str | None
    start: datetime
    end: datetime | None
    start_condition: str
    end_condition: str | None
    start_weight_g: int
    end_weight_g: int | None
    start_city: str | None
    end_city: str | None
    opened_by: str
    closed_by: str | None
    confirmed: bool
    start_seal: str | None = None
    end_seal: str | None = None
    gap_reason: GapReason | None = None


@dataclass(frozen=True, slots=True)
class CustodyChain(Sequence[CustodySegment]):
    """A parcel's custody segments in order, with the facts its dispatch and delivery state."""

    subject: str
    merchant: str
    courier: str
    items: tuple[str, ...]
    declared_weight_g: int
    promised_by: datetime
    origin_city: str
    destination_city: str
    segments: tuple[CustodySegment, ...]
    records: tuple[LoggedEvent, ...]  # dispatch, handoffs, delivery, in order
    delivery: LoggedEvent | None = None
    receipt: LoggedEvent | None = None

    @overload
    def __getitem__(self, index: int) -> CustodySegment: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[CustodySegment, ...]: ...
    def __getitem__(self, index: int | slice) -> CustodySegment | tuple[CustodySegment, ...]:
        return self.segments[index]

    def __len__(self) -> int:
        return len(self.segments)

    def __iter__(self) -> Iterator[CustodySegment]:
        return iter(self.segments)

    @property
    def dispatch(self) -> LoggedEvent:
        return self.records[0]

    @property
    def gaps(self) -> tuple[CustodySegment, ...]:
        return tuple(s for s in self.segments if s.kind == "gap")

    @property
    def deliverer(self) -> str | None:
        """The party that signed the delivery, if the parcel was delivered."""
        if self.delivery is None:
            return None
        return self.delivery.signers[0].party_id

    @property
    def unattended_without_consent(self) -> bool:
        """Left at a locker, a station or with a proxy without the buyer's recorded consent."""
        if self.delivery is None:
            return False
        payload = self.delivery.payload
        return payload["method"] != "in_person" and payload["consent"] is not True


class _Record(NamedTuple):
    """What one custody record says about the parcel at that moment."""

    event: LoggedEvent
    condition: str
    weight_g: int
    seal: str | None
    city: str | None


class _Party(NamedTuple):
    id: str
    company: str | None


class _Opening(NamedTuple):
    """A holding that has begun and not yet ended."""

    kind: SegmentKind
    custodian: str
    company: str | None
    record: _Record
    confirmed: bool
    gap_reason: GapReason | None = None


def custody_segments(parcel_events: Sequence[LoggedEvent]) -> CustodyChain:
    """The custody segments of one parcel, with gaps, from its events in log order (责任倒查).

    Events other than dispatch, handoff, delivery and receipt (complaints, say) are ignored. The
    result is a sequence of segments that also carries the parcel's merchant, declared weight and
    promised time. Raises BrokenCustodyChain when the events are not one parcel's chain: mixed
    subjects, no dispatch first, a second dispatch, custody or receipt events out of order.
    """
    events = sorted(parcel_events, key=lambda e: e.index)
    subjects = {e.subject for e in events}
    if len(subjects) != 1:
        raise BrokenCustodyChain(f"expected the events of one parcel, got {sorted(subjects)}")
    records = [e for e in events if e.type in CUSTODY_TYPES]
    if not records or records[0].type != "dispatch":
        raise BrokenCustodyChain(f"{events[0].subject} has no dispatch before its other records")
    dispatch = records[0]
    merchant, pickup = _dispatch_signers(dispatch)
    holding = _Opening("custody", pickup.id, pickup.company, _record(dispatch), True)
    segments: list[CustodySegment] = []
    delivery: LoggedEvent | None = None
    for event in records[1:]:
        if event.type == "dispatch":
            raise BrokenCustodyChain(f"{event.subject} is dispatched twice ({event.hash})")
        if delivery is not None:
            raise BrokenCustodyChain(f"{event.type} {event.hash} follows the parcel's delivery")
        record = _record(event)
        if event.type == "handoff":
            giver = str(event.payload["from"])
            receiver = _one(event, [s for s in event.signers if s.party_id != giver], "receiver")
            countersigned = any(s.party_id == giver for s in event.signers)
            if giver != holding.custodian:
                giver_company = next(
                    (s.company_id for s in event.signers if s.party_id == giver), None
                )
                segments.extend(_unrecorded(holding, _Party(giver, giver_company), record))
            else:
                segments.append(_close(holding, record))
                if not countersigned and receiver.company != holding.company:
                    marker = _Opening(
                        "gap", receiver.id, receiver.company, record, False, "unconfirmed_transfer"
                    )
                    segments.append(_close(marker, record))
            holding = _Opening("custody", receiver.id, receiver.company, record, countersigned)
        else:
            deliverer = _one(event, list(event.signers), "delivering staff")
            if deliverer.id != holding.custodian:
                segments.extend(_unrecorded(holding, deliverer, record))
            else:
                segments.append(_close(holding, record))
            delivery = event
    if delivery is None:
        segments.append(_close(holding, None))
    receipt = _receipt(events, delivery)
    p = dispatch.payload
    return CustodyChain(
        subject=dispatch.subject,
        merchant=merchant,
        courier=str(p["courier"]),
        items=tuple(str(i) for i in p["items"]),
        declared_weight_g=int(p["declared_weight_g"]),
        promised_by=parse_time(str(p["promised_by"])),
        origin_city=str(p["origin_city"]),
        destination_city=str(p["destination_city"]),
        segments=tuple(segments),
        records=tuple(records),
        delivery=delivery,
        receipt=receipt,
    )


def _dispatch_signers(dispatch: LoggedEvent) -> tuple[str, _Party]:
    merchants = [s for s in dispatch.signers if s.kind == "merchant"]
    staff = [s for s in dispatch.signers if s.kind != "merchant"]
    return _one(dispatch, merchants, "merchant").id, _one(dispatch, staff, "pickup staff")


def _one(event: LoggedEvent, signers: list[Signer], role: str) -> _Party:
    if len(signers) != 1 or signers[0].party_id is None:
        raise BrokenCustodyChain(f"{event.type} {event.hash} is not signed by exactly one {role}")
    return _Party(signers[0].party_id, signers[0].company_id)


def _record(event: LoggedEvent) -> _Record:
    p = event.payload
    if event.type == "dispatch":
        return _Record(event, "intact", int(p["declared_weight_g"]), None, str(p["origin_city"]))
    seal = p.get("seal")
    return _Record(
        event,
        str(p["condition"]),
        int(p["weight_g"]),
        None if seal is None else str(seal),
        str(p["location"]["city"]),
    )


def _close(holding: _Opening, record: _Record | None) -> CustodySegment:
    """The segment `holding` becomes when `record` ends it (None: still held)."""
    start = holding.record
    return CustodySegment(
        kind=holding.kind,
        custodian=holding.custodian,
        company=holding.company,
        start=start.event.time,
        end=None if record is None else record.event.time,
        start_condition=start.condition,
        end_condition=None if record is None else record.condition,
        start_weight_g=start.weight_g,
        end_weight_g=None if record is None else record.weight_g,
        start_city=start.city,
        end_city=None if record is None else record.city,
        opened_by=start.event.hash,
        closed_by=None if record is None else record.event.hash,
        confirmed=holding.confirmed,
        start_seal=start.seal,
        end_seal=None if record is None else record.seal,
        gap_reason=holding.gap_reason,
    )


def _unrecorded(
    holding: _Opening, party: _Party, revealed_by: _Record
) -> tuple[CustodySegment, CustodySegment]:
    """The holder's segment, never closed, and the gap in which `party` took the parcel unseen."""
    opened = holding.record
    never_closed = CustodySegment(
        kind="custody",
        custodian=holding.custodian,
        company=holding.company,
        start=opened.event.time,
        end=opened.event.time,
        start_condition=opened.condition,
        end_condition=None,
        start_weight_g=opened.weight_g,
        end_weight_g=None,
        start_city=opened.city,
        end_city=None,
        opened_by=opened.event.hash,
        closed_by=None,
        confirmed=holding.confirmed,
        start_seal=opened.seal,
    )
    gap = _Opening("gap", party.id, party.company, opened, False, "unrecorded_custody")
    return never_closed, _close(gap, revealed_by)


def _receipt(events: list[LoggedEvent], delivery: LoggedEvent | None) -> LoggedEvent | None:
    receipts = [e for e in events if e.type == "receipt"]
    if not receipts:
        return None
    if delivery is None or receipts[0].index < delivery.index or len(receipts) > 1:
        raise BrokenCustodyChain(f"receipt {receipts[0].hash} does not follow one delivery")
    return receipts[0]
