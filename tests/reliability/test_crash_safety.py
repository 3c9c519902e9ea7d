"""Crash safety under SIGKILL: what a client was told survives every crash of the server.

The suite's database (SQLite file in WAL mode, or PostgreSQL under TEST_DATABASE_URL) is served
by gunicorn with 2 workers while client threads submit batches; the master and every worker are
killed with SIGKILL at 10 seeded random moments and restarted (scripts/crash_test.py, the same
code as `scripts/crash-test`). After each restart every receipt a client holds must still be in
the log at its index, the log must verify, and every checkpoint handed out or stored must be
consistent with the tree that survived. A second test edits the database behind a crash and
shows that those checks catch it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from scripts.crash_test import Settings, run_crash_cycles
from trace_service.db import make_engine, serialized_write
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle import personal_data

pytestmark = pytest.mark.slow

# Short lives between kills keep 10 cycles (restarts included) to about a minute on 2 cores.
CYCLES = Settings(cycles=10, seed=20261127, workers=2, clients=3, pairs=5, uptime=(0.2, 1.0))


@pytest.fixture
def crash_app(app: Flask) -> Flask:
    # gunicorn's workers share the fixture app's instance folder: its data key must exist
    # before they start together.
    personal_data.load_key(app)
    return app


def test_acknowledged_events_survive_sigkill_of_master_and_workers(
    crash_app: Flask, database_url: str
) -> None:
    summary = run_crash_cycles(crash_app, database_url, CYCLES)

    assert summary.problems == []
    assert len(summary.cycles) == 10
    # Every cycle killed the master and both workers, and the kills cut requests in flight.
    assert all(c.killed >= 3 for c in summary.cycles)
    assert summary.cut_off > 0
    assert summary.acknowledged > 0
    assert summary.lost == 0
    assert summary.bad_checkpoints == 0
    assert all(c.verify_ok for c in summary.cycles)
    # Clients retried until acknowledged: the log holds exactly the events they hold receipts for.
    assert summary.final_size == summary.acknowledged


def _roll_back_tail(url: str, events: int) -> Callable[[], None]:
    """Delete the last `events` entries with their nodes and checkpoints while the server is down:
    what a receipt handed out before its transaction was durable would leave behind."""

    def roll_back() -> None:
        engine = make_engine(url)
        with Session(engine) as session, serialized_write(session):
            size = session.scalar(select(func.count()).select_from(LogEntry))
            cut = max(0, int(size or 0) - events)
            session.execute(text("DELETE FROM log_entries WHERE idx >= :cut"), {"cut": cut})
            session.execute(text("DELETE FROM checkpoints WHERE size > :cut"), {"cut": cut})
            nodes = text("DELETE FROM log_nodes WHERE level = :level AND (idx + 1) * :width > :cut")
            for level in range(32):  # every node covering a deleted leaf (logs under 2^31)
                session.execute(nodes, {"level": level, "width": 1 << level, "cut": cut})
        engine.dispose()

    return roll_back


def test_the_checks_catch_acknowledged_events_that_did_not_survive(
    crash_app: Flask, database_url: str
) -> None:
    # 3 clients hold at most 3 unanswered batches of 10 events: 40 deleted events include
    # acknowledged ones, and the checkpoints signed over them.
    settings = Settings(cycles=1, seed=5, workers=2, clients=3, pairs=5, uptime=(0.5, 1.0))
    summary = run_crash_cycles(
        crash_app, database_url, settings, after_kill=_roll_back_tail(database_url, 40)
    )

    assert summary.lost > 0
    assert summary.bad_checkpoints > 0
    assert not summary.cycles[0].verify_ok
    assert any("is not at index" in p for p in summary.problems)
