"""Factories for rating inputs: faults and unit exposures with sensible defaults; and, for the
credit stories over HTTP, the complaint case stories' `clock` and `world`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from tests.tracing.cases_flow import clock, world  # noqa: F401  # the fixtures, shared with tracing
from trace_service.credit.method import Fault, Role, UnitExposure

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
# 2025-01-15 is between 12 and 24 months before AS_OF: time weight 1.
OLD = datetime(2025, 1, 15, tzinfo=UTC)


@pytest.fixture(scope="session")
def as_of() -> datetime:
    """The rating time the tests use: 2026-06-01 00:00 UTC."""
    return AS_OF


@pytest.fixture
def make_fault() -> Callable[..., Fault]:
    """A fault of weight 1 by default: delayed (severity 1), 12–24 months old, whole, resolved."""
    counter = iter(range(1_000_000))

    def make(unit_id: str = "u1", **overrides: Any) -> Fault:
        values: dict[str, Any] = {
            "unit_id": unit_id,
            "category": "delayed",
            "occurred_at": OLD,
            "share": Fraction(1),
            "resolved_within_7_days": True,
            "repaired": False,
            "complaint_id": f"c{next(counter):06d}",
        }
        values.update(overrides)
        return Fault(**values)

    return make


@pytest.fixture
def make_unit() -> Callable[..., UnitExposure]:
    """A unit handling ``parcels`` parcels end to end, so its exposure is exactly ``parcels``."""

    def make(unit_id: str, parcels: int = 100_000, role: Role = Role.OUTLET) -> UnitExposure:
        return UnitExposure(unit_id, role, parcels, parcels, parcels)

    return make
