"""Group commit: concurrent single submissions of one worker share one ingest transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from trace_service.lifecycle.ingest import IngestContext, ingest
from trace_service.lifecycle.receipts import Outcome


@dataclass(eq=False)
class _Waiter:
    raw: Any
    done: bool = False
    outcome: Outcome | None = None
    error: BaseException | None = None


class GroupCommit:
    """Concurrent single submissions of one process share one `ingest` call (group commit).

    A request thread that finds no group being ingested becomes the leader: it ingests everything
    queued so far as one batch (one write lock, one checkpoint) and hands each waiting thread its
    own outcome. Each outcome is the one that submission gets in a batch: accepted event by event,
    so a fork's loser still gets 409 naming the winner. Workers are still serialised by the
    database, and a failure of the database itself is raised in every thread of the group.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Waiter] = []
        self._busy = False

    def submit(
        self, session: Session, raw: Any, ctx: IngestContext, clock: Callable[[], datetime]
    ) -> Outcome:
        me = _Waiter(raw)
        with self._cond:
            self._queue.append(me)
            while self._busy and not me.done:
                self._cond.wait()
            leader = not me.done
            if leader:
                self._busy = True
                group, self._queue = self._queue, []
        if leader:
            try:
                outcomes = ingest(session, [w.raw for w in group], ctx, clock())
                for waiter, outcome in zip(group, outcomes, strict=True):
                    waiter.outcome = outcome
            except BaseException as exc:
                for waiter in group:
                    waiter.error = exc
            finally:
                with self._cond:
                    for waiter in group:
                        waiter.done = True
                    self._busy = False
                    self._cond.notify_all()
        if me.error is not None:
            raise me.error
        assert me.outcome is not None
        return me.outcome
