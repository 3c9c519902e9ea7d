"""The complaint case stories' fixtures (tests/tracing/cases_flow.py): `clock`, an hour in the
past, and the `world` built on it.

Every case story runs on that clock (or one set weeks in the past), so that reads at the real time
see deadlines pass.
"""

from __future__ import annotations

from tests.tracing.cases_flow import clock, world  # noqa: F401  # the fixtures, shared with credit
