"""A parcel under way and the steps planned for it (see life.py for how they are chosen).
Raises nothing."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from trace_service.ledger.key_holder import KeyHolder
from trace_service.simulate.names import City
from trace_service.simulate.world import Company, Merchant, Product, Unit


@dataclass(slots=True)
class Step:
    """One thing that happens to the parcel at `time` (epoch seconds), and what it records."""

    time: int
    kind: str  # order, handoff, delivery, receipt, review, complaint, attempt
    index: int = 0  # order/handoff: the route position that takes custody here
    weight_g: int = 0
    condition: str = "intact"
    method: str = ""
    consent: bool = True
    place: str = ""
    score: int = 0
    text: str = ""
    category: str = ""
    signer: str = ""  # complaint: buyer, platform or merchant; attempt: the aggressor company
    truth: dict[str, Any] | None = None  # complaint: its line in the truth file
    fault: str | None = None  # the fault the party taking custody here will commit


@dataclass(eq=False)
class Parcel:
    waybill: str
    merchant: Merchant
    company: Company
    buyer: KeyHolder
    fake: bool  # a 刷单 order to a sockpuppet
    products: list[Product]
    origin: City
    destination: City
    route: list[Unit]  # custodians in order: pickup, sorter(s), last-mile courier
    places: list[tuple[str, str]]  # (location, city) of the handoff to route[i]; [0] unused
    declared_g: int
    promised_by: int
    recipient: tuple[str, str, str]
    steps: deque[Step] = field(default_factory=deque)
    head: str | None = None
    lots: list[str] = field(default_factory=list)  # set when the order is recorded

    def stage(self, index: int) -> str:
        """The truth file's name for route position `index`."""
        if index == 0:
            return "pickup"
        if index == len(self.route) - 1:
            return "last_mile"
        if len(self.route) == 3:
            return "hub"
        return "origin_hub" if index == 1 else "destination_hub"
