"""A randomized tampering campaign against the log verifier: hundreds of seeded edits made behind
the service's back (bytes of bodies and signatures, deleted, reordered and duplicated rows,
signing times and chain links, rewritten checkpoints, tree nodes, derived tables, party keys),
each on the populated database of `story`, and the verifier must report every one on a row it
names. tests/ledger/test_verify.py pins the exact report of hand-picked edits; this one measures
that nothing slips through.

Each mutation runs inside one transaction that is rolled back afterwards (on SQLite and on
PostgreSQL alike), so every edit starts from the same populated database.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from tests.reliability.forgery import Picture, Target
from tests.reliability.mutations import DRAWS, Tamper
from trace_service.audit.verify import verify_log
from trace_service.db import new_session

if TYPE_CHECKING:
    from tests.reliability.conftest import Story

pytestmark = pytest.mark.slow

MUTATIONS = 500
SEED = int(os.environ.get("TAMPER_SEED", "20260214"))  # another seed explores other edits


def _names(row: str, detail: str, target: Target) -> bool:
    """Whether a reported row is the target. A run of indices 'idx=4..9' names 4; a group such
    as 'snapshot_ratings content_hash=<h>' names its rows; a key is also named by its id in the
    detail ('key <keyid> was revoked at ...' on the entries it signed)."""
    key = target.key
    if target.table == "party_keys" and str(key[0][1]) in detail:
        return True
    if row == f"{target.table} " + " ".join(f"{name}={value}" for name, value in key):
        return True  # verbatim: values may hold spaces
    table, _, rest = row.partition(" ")
    found = dict(token.split("=", 1) for token in rest.split(" ") if "=" in token)
    given = [(name, value) for name, value in key if name in found]
    return table == target.table and bool(given) and all(_within(found[n], v) for n, v in given)


def _within(named: str, value: Any) -> bool:
    first, dots, last = named.partition("..")
    if not dots:
        return named == str(value)
    return isinstance(value, int) and int(first) <= value <= int(last)


def test_every_random_tampering_is_reported_on_its_row(
    app: Flask, story: Story, record_property: Any
) -> None:
    log_key = app.extensions["trace_log_key"]
    session = new_session(app)
    started, cpu = time.monotonic(), time.process_time()
    try:
        picture = Picture.load(session)
        session.rollback()
        tamper = Tamper(picture, story, random.Random(SEED))
        tried: Counter[str] = Counter()
        caught: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        missed: list[str] = []
        draw = 0
        while sum(tried.values()) < MUTATIONS:
            mutation = DRAWS[draw % len(DRAWS)](tamper)
            draw += 1
            try:
                for statement in mutation.statements:
                    session.execute(statement)
            except IntegrityError:
                # The schema itself refused the edit (a unique key or a foreign key).
                refused[mutation.kind] += 1
                session.rollback()
                continue
            report = verify_log(session, log_key.vkey, log_key.origin)
            session.rollback()
            tried[mutation.kind] += 1
            named = any(
                _names(p.row, p.detail, t) for p in report.problems for t in mutation.targets
            )
            if named:
                caught[mutation.kind] += 1
            else:
                seen = "; ".join(str(p) for p in report.problems[:4]) or "nothing reported"
                missed.append(f"{mutation.kind}: {mutation.how} -> {seen}")
        after = verify_log(session, log_key.vkey, log_key.origin)
    finally:
        session.close()
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu

    lines = [f"{'kind':28} tried caught refused-by-schema"]
    lines += [
        f"{kind:28} {tried[kind]:5} {caught[kind]:6} {refused[kind]:5}"
        for kind in sorted(tried | refused)
    ]
    lines.append(
        f"{'total':28} {sum(tried.values()):5} {sum(caught.values()):6} "
        f"{sum(refused.values()):5}   ({elapsed:.1f} s, {cpu:.1f} s of CPU)"
    )
    print("\n" + "\n".join(lines))
    record_property("tamper_tally", {k: (tried[k], caught[k]) for k in sorted(tried)})
    assert after.ok, "the campaign must leave the database as it found it"
    assert not missed, "\n".join(missed[:30])
