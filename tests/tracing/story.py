"""A parcel's history written the way the log holds it (`Story`), and how the attribution tests
read and check it (`trace`, `expect`).

Every parcel leaves 杭州 for 上海 at hour 0, declared at 800 g and promised within 72 h unless the
story says otherwise; pickup, hub and lastmile work for one courier company (sto), partner for
another (yto). Weight tolerance is max(20 g, 5 %): 40 g at 800 g.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trace_service.ledger.envelope import key_id
from trace_service.ledger.transitions import Signer
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.attribution import (
    RULES_VERSION,
    Attribution,
    DataRead,
    attribute_complaint,
)
from trace_service.tracing.custody import LoggedEvent

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """`hours` after the parcel's dispatch."""
    return T0 + timedelta(hours=hours)


SHOP = Signer("k-shop", "shop", "merchant")
PICKUP = Signer("k-pickup", "pickup", "staff", "sto")  # 揽收员
HUB = Signer("k-hub", "hub", "staff", "sto")  # 分拣员
LAST_MILE = Signer("k-last", "lastmile", "staff", "sto")  # 派送员
STRANGER = Signer("k-stranger", "stranger", "staff", "sto")  # never accepted the parcel
PARTNER = Signer("k-partner", "partner", "outlet", "yto")  # another company's outlet (网点)
PLATFORM = Signer("k-mall", "mall", "platform")
BUYER_KEY = bytes(range(32))
BUYER = Signer(key_id(BUYER_KEY))  # the buyer's own key, named in the sale

PARCEL = "00/106141412345678908"
ITEM = "01/09506000134352/21/SN0001"
ITEM_2 = "01/09506000134352/21/SN0002"


@dataclass
class Story:
    """A parcel's history written event by event; hashes read '<index>-<type>'."""

    parcel: str = PARCEL
    items: tuple[str, ...] = (ITEM,)
    events: list[LoggedEvent] = field(default_factory=list)

    @property
    def parcel_events(self) -> list[LoggedEvent]:
        return [e for e in self.events if e.subject == self.parcel]

    @property
    def item_events(self) -> list[LoggedEvent]:
        return [e for e in self.events if e.subject in self.items]

    def record(
        self, kind: str, subject: str, hours: float, *signers: Signer, **fields: Any
    ) -> LoggedEvent:
        index = len(self.events)
        payload = {"v": 1, "type": kind, "subject": subject, "prev": None}
        payload |= {"time": format_time(at(hours)), **fields}
        event = LoggedEvent(f"{index:02d}-{kind}", index, kind, at(hours), payload, signers)
        self.events.append(event)
        return event

    def sell(self, item: str = ITEM, buyer_key: bytes = BUYER_KEY) -> tuple[LoggedEvent, ...]:
        price = {"amount": "88.00", "currency": "CNY"}
        return (
            self.record("listing", item, -48, SHOP, platform="mall", listing_ref="L1", price=price),
            self.record(
                "sale", item, -24, SHOP, platform="mall", order_ref="O1", price=price,
                buyer_key=base64.b64encode(buyer_key).decode(),
            ),
        )  # fmt: skip

    def dispatch(
        self, hours: float = 0, weight: int = 800, promised: float = 72, by: Signer = PICKUP
    ) -> LoggedEvent:
        return self.record(
            "dispatch", self.parcel, hours, SHOP, by, items=list(self.items), courier="sto",
            declared_weight_g=weight, promised_by=format_time(at(promised)),
            origin_city="杭州", destination_city="上海", recipient_commitment="ab" * 32,
        )  # fmt: skip

    def handoff(
        self, giver: Signer, receiver: Signer, hours: float, *, condition: str = "intact",
        weight: int = 800, city: str = "上海", seal: str | None = None,
        countersigned: bool = False,
    ) -> LoggedEvent:  # fmt: skip
        signers = (receiver, giver) if countersigned else (receiver,)
        extra = {} if seal is None else {"seal": seal}
        return self.record(
            "handoff", self.parcel, hours, *signers, **{"from": giver.party_id},
            location={"name": f"{city}站", "city": city}, condition=condition, weight_g=weight,
            **extra,
        )  # fmt: skip

    def deliver(
        self, by: Signer, hours: float, *, method: str = "in_person", consent: bool = False,
        condition: str = "intact", weight: int = 800,
    ) -> LoggedEvent:  # fmt: skip
        return self.record(
            "delivery", self.parcel, hours, by, method=method, consent=consent,
            location={"name": "世纪大道100号", "city": "上海"}, condition=condition,
            weight_g=weight,
        )  # fmt: skip

    def receive(self, hours: float, condition: str = "intact") -> LoggedEvent:
        return self.record("receipt", self.parcel, hours, BUYER, condition=condition)

    def complain(
        self, category: str, hours: float, by: Signer = BUYER, subject: str | None = None
    ) -> LoggedEvent:
        return self.record(
            "complaint", subject or self.parcel, hours, by, category=category, description="…"
        )


# --- reading a story's attribution -------------------------------------------------------------

NOW = at(200)


def trace(
    story: Story, complaint: LoggedEvent, now: datetime = NOW, reads: tuple[DataRead, ...] = ()
) -> Attribution:
    return attribute_complaint(complaint, story.parcel_events, story.item_events, now, reads=reads)


def expect(
    attribution: Attribution,
    outcome: str,
    rule: str,
    evidence: tuple[LoggedEvent, ...],
    shares: tuple[tuple[str, str, float], ...] = (),
) -> None:
    """The attribution has this outcome, rule, evidence and shares (party, role, share)."""
    assert (attribution.outcome, attribution.rule) == (outcome, rule)
    assert attribution.evidence == tuple(e.hash for e in evidence)
    assert [(s.party_id, s.role) for s in attribution.shares] == [(p, r) for p, r, _ in shares]
    assert [s.share for s in attribution.shares] == pytest.approx([s for _, _, s in shares])
    if outcome == "attributed":
        assert sum(s.share for s in attribution.shares) == pytest.approx(1.0)
    assert attribution.rules_version == RULES_VERSION == "2026.2"
    assert attribution.explanation_zh and attribution.explanation_en
