"""Time a rating snapshot on a simulated network, against the cost of reading its inputs once.

    scripts/benchmark-snapshot --database-url sqlite:////tmp/sim/sim.db [--instance DIR]

The database is one the simulator filled (`flask --app trace_service simulate --parcels N`).
Complaints not yet traced are traced first (timed apart). The baseline is one pass over the
inputs any snapshot must read: a GROUP BY over all custody records and a scan of the cases'
shares. The snapshot is computed twice (the second is the recomputation a regulator runs) and
the two content hashes must agree. Nothing is logged: this measures computation only.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from trace_service import create_app
from trace_service.credit.parameters import DEFAULT_PARAMETERS
from trace_service.credit.snapshot_inputs import (
    Cut,
    fault_rows,
    repaired_complaints,
    unit_exposures,
    unit_faults,
)
from trace_service.credit.snapshots import compute_snapshot
from trace_service.db import new_session
from trace_service.ledger import log
from trace_service.lifecycle.ingest import IngestContext
from trace_service.tracing.models import Case, CaseShare, CustodyRecord
from trace_service.tracing.operations import trace_pending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", type=Path, help="instance folder (keys) of that database")
    parser.add_argument("--as-of", help="RFC 3339 time of the cut (default: the last event)")
    args = parser.parse_args()
    config = {"DATABASE_URL": args.database_url}
    if args.instance:
        config["INSTANCE_PATH"] = str(args.instance)
    app = create_app(config)
    session = new_session(app)
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, {args.database_url.split(':')[0]}")  # fmt: skip
    parcels = session.scalar(select(func.count(func.distinct(CustodyRecord.parcel))))
    records = session.scalar(select(func.count()).select_from(CustodyRecord))
    last = session.scalar(select(func.max(CustodyRecord.at)))
    as_of = datetime.fromisoformat(args.as_of) if args.as_of else (last or datetime.now(UTC))
    as_of = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    started = time.perf_counter()
    traced = trace_pending(session, IngestContext.for_app(app), as_of)
    print(f"traced {traced} pending complaint(s) in {time.perf_counter() - started:.1f} s")
    cases = session.scalar(select(func.count()).select_from(Case))
    cut = Cut(as_of, log.tree_size(session))
    session.rollback()
    print(f"network: {parcels:,} parcels, {records:,} custody records, {cases:,} complaints, "
          f"log size {cut.tree_size:,}, as of {as_of.isoformat()}")  # fmt: skip

    started = time.perf_counter()
    session.execute(
        select(
            CustodyRecord.company_id, func.count(), func.count(func.distinct(CustodyRecord.parcel))
        ).group_by(CustodyRecord.company_id)
    ).all()
    session.execute(select(CaseShare.record_idx, CaseShare.party_id, CaseShare.share_micro)).all()
    baseline = time.perf_counter() - started
    print(f"baseline (one GROUP BY over custody records, one scan of shares): {baseline:.2f} s")

    params = DEFAULT_PARAMETERS
    started = time.perf_counter()
    exposures = unit_exposures(session, cut, params)
    exposure_s = time.perf_counter() - started
    started = time.perf_counter()
    faults = unit_faults(fault_rows(session, cut, params), repaired_complaints(session, cut), cut,
                         params)  # fmt: skip
    faults_s = time.perf_counter() - started
    print(f"  inputs: exposure of {len(exposures):,} units {exposure_s:.2f} s (SQL), "
          f"{len(faults):,} unit faults {faults_s:.2f} s")  # fmt: skip

    timings = []
    hashes = []
    for label in ("snapshot", "recompute"):
        started = time.perf_counter()
        content = compute_snapshot(session, cut, params)
        seconds = time.perf_counter() - started
        timings.append(seconds)
        hashes.append(content.content_hash)
        graded = sum(1 for r in content.ratings if r.grade.value != "insufficient_data")
        print(f"{label}: {seconds:.2f} s ({seconds / baseline:.1f}x baseline), "
              f"{len(content.ratings):,} units ({graded:,} graded), "
              f"{len(content.body) / 1e6:.1f} MB content, hash {content.content_hash}")  # fmt: skip
    print("recomputed hash matches" if hashes[0] == hashes[1] else "HASH MISMATCH")
    session.close()
    if hashes[0] != hashes[1]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
