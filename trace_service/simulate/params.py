"""The simulation's parameters: what the operator chooses, and every rate and size it draws from.

The hidden fault rates are per million parcels a unit handled in its duty (揽收 pickup, 分拨
sorting, 派送 last mile). The numbers are far above real complaint rates on purpose: a rating needs
enough faults per unit over 24 months to tell units apart, and the simulator exists to test that.
Raises nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from trace_service.plumbing.timestamps import format_time

DUTIES = ("pickup", "sorter", "last_mile")

# Median hidden rate (per million parcels handled) per duty and complaint category. Each unit's
# rates are these times its own multiplier (see SPREAD) times a small per-category jitter. Only
# the categories whose evidence a duty can leave are listed (see plan.py for how each is planted).
BASE_RATES: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        "pickup": MappingProxyType(
            {"lost": 500, "short": 600, "empty_parcel": 120, "damaged": 1500, "delayed": 2500}
        ),
        "sorter": MappingProxyType(
            {"lost": 300, "short": 500, "empty_parcel": 100, "damaged": 1800, "delayed": 1800}
        ),
        "last_mile": MappingProxyType(
            {
                "lost": 600,
                "damaged": 900,
                "delayed": 2500,
                "station_drop": 3000,
                "unauthorised_signoff": 1200,
                "service_attitude": 1200,
                "illegal_fee": 400,
            }
        ),
    }
)

# Merchants' own faults (goods not as sold: 图物不符、假冒伪劣), per million orders.
MERCHANT_RATES: MappingProxyType[str, float] = MappingProxyType(
    {"wrong_item": 1500, "not_as_described": 2500, "counterfeit": 500}
)

# Chance that a buyer who suffered a fault files a complaint (the rest shrug it off).
COMPLAINT_PROBABILITY: MappingProxyType[str, float] = MappingProxyType(
    {
        "lost": 0.9,
        "short": 0.85,
        "empty_parcel": 0.9,
        "damaged": 0.85,
        "delayed": 0.7,
        "station_drop": 0.75,
        "unauthorised_signoff": 0.8,
        "service_attitude": 0.7,
        "illegal_fee": 0.8,
        "wrong_item": 0.85,
        "not_as_described": 0.75,
        "counterfeit": 0.9,
    }
)


@dataclass(frozen=True)
class Spread:
    """How units' hidden multipliers are drawn: most log-uniform over a 20× range, a few far out."""

    typical: tuple[float, float] = (0.25, 5.0)  # log-uniform: 20×
    bad: tuple[float, float] = (10.0, 14.0)
    good: tuple[float, float] = (0.04, 0.08)
    bad_share: float = 0.05
    good_share: float = 0.05
    category_jitter: float = 0.3  # each category's rate × exp(U(−j, j))


SPREAD = Spread()


@dataclass(frozen=True)
class Behaviour:
    """Probabilities of ordinary and adversarial behaviour, per parcel unless said otherwise."""

    receipt: float = 0.85  # the buyer confirms receipt (签收) of a delivered parcel
    review: float = 0.25  # a buyer who confirmed receipt reviews the item
    unfounded: float = 0.002  # a buyer complains though nothing went wrong
    fake_order_share: float = 0.35  # of an empty-parcel merchant's orders, fake (刷单)
    fake_review: float = 0.9  # a sockpuppet reviews (5 stars)
    platform_audit: float = 0.12  # a fake parcel gets an empty_parcel complaint by the platform
    merchant_self_blame: float = 0.06  # ... or by the merchant itself, shifting the blame
    malicious: float = 0.03  # of the victim company's fine parcels, falsely complained about
    malicious_direct_attempt: float = 0.25  # the competitor first signs one itself (refused)
    fabrication: float = 0.04  # of the fabricating courier's parcels, a delivery it never made
    fabricated_in_person: float = 0.2  # of those, claimed in person (others: a drop)


BEHAVIOUR = Behaviour()

# Network size. Last-mile couriers each handle about LOAD_PER_COURIER parcels over the period
# (fewer in a small demo network, where every (company, city) still needs one).
LOAD_PER_COURIER = 3500
LOAD_PER_PICKUP = 9000
LOAD_PER_SORTER = 30000
MIN_PAIR_VOLUME = 2500  # a company serves a city when it would deliver about this many there
# (parcels at least, companies, cities)
SIZE_TIERS = ((0, 3, 4), (10_000, 4, 6), (50_000, 6, 8), (300_000, 7, 10), (600_000, 8, 12))


def size_tier(parcels: int) -> tuple[int, int]:
    """(courier companies, cities) for a run of `parcels`."""
    companies, cities = SIZE_TIERS[0][1:]
    for floor, n_companies, n_cities in SIZE_TIERS:
        if parcels >= floor:
            companies, cities = n_companies, n_cities
    return companies, cities


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months later, the day clamped to month end."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class SimulationParams:
    """What one run simulates. `batch_size` and `max_batch_span` shape ingest calls only."""

    parcels: int
    months: int = 24
    seed: int = 1
    start: datetime = datetime(2024, 11, 1, tzinfo=UTC)
    batch_size: int = 1000
    max_batch_span: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.parcels < 1 or self.months < 1 or self.batch_size < 1:
            raise ValueError("parcels, months and batch_size must be positive")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")

    @property
    def end(self) -> datetime:
        return add_months(self.start, self.months)

    @property
    def skew_seconds(self) -> int:
        """The clock bound ingest needs: a batch spans up to max_batch_span, and a sale is
        dated up to ORDER_LEAD before the dispatch that follows it."""
        return int((self.max_batch_span + ORDER_LEAD).total_seconds()) + 60

    def as_json(self) -> dict[str, Any]:
        return {
            "parcels": self.parcels,
            "months": self.months,
            "seed": self.seed,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "batch_size": self.batch_size,
            "max_batch_span_s": int(self.max_batch_span.total_seconds()),
        }


# A sale is recorded up to this long before its dispatch (when the lot's chain allows).
ORDER_LEAD = timedelta(hours=2)
