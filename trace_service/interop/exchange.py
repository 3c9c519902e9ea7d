"""Credit data exchange with public credit platforms (公共信用信息平台): one export of the ratings
of a logged snapshot, the red list, the black list and the regulators' decisions, as JSON or as
CSV for Excel, each row checkable against the log (`exchange_verify`).

- ratings and the red list are the snapshot's content, exactly as hashed (its `content_hash`);
- the black list and the decisions are as logged up to `log_size`, the log's size at export:
  every decision by its event hash, log index, outcome and signed date.

Every export names the method and rules versions and the snapshot's log index and content hash.
The CSV is one table: a `record` column (rating, red_list, black_list, decision) says which
columns of a row are filled; the four naming columns repeat on every row; UTF-8 with a BOM so
Excel reads the Chinese names; the first row is the header.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.credit import list_queries, queries
from trace_service.credit.models import CreditRecord, Snapshot
from trace_service.credit.snapshots import get_snapshot, latest_snapshot, snapshot_content
from trace_service.identity.models import Party
from trace_service.ledger import log
from trace_service.plumbing.timestamps import format_time
from trace_service.tracing.models import CaseRecord

FORMAT = "trace_service credit exchange v1"
ROLES = {"courier_company": "company", "outlet": "outlet", "staff": "staff"}

# Where each kind of row lives in the JSON export, and the CSV's columns (README documents them).
SECTIONS = {"rating": "ratings", "red_list": "red_list", "black_list": "black_list",
            "decision": "decisions"}  # fmt: skip
META_COLUMNS = ("method_version", "rules_version", "snapshot_index", "snapshot_content_hash")
ROW_COLUMNS = (
    "unit_id",
    "name",
    "uscc",
    "role",
    "grade",
    "posterior_mean_per_million",
    "interval_low_per_million",
    "interval_high_per_million",
    "red_list",
    "since",
    "decision_hash",
    "decision_index",
    "scope",
    "subject",
    "outcome",
    "date",
)
CSV_COLUMNS = ("record", *ROW_COLUMNS, *META_COLUMNS)


def content_ratings(content: bytes) -> dict[str, dict[str, Any]]:
    """The rating lines of a snapshot's canonical content, by unit."""
    lines = [json.loads(line) for line in content.split(b"\n")[1:] if line]
    return {line["unit_id"]: line for line in lines}


def parties_by_id(session: Session, ids: set[str]) -> dict[str, Party]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(ids)))}


def rating_row(line: dict[str, Any], party: Party | None) -> dict[str, Any]:
    low, high = line["interval_per_million"]
    return {
        "unit_id": line["unit_id"],
        "name": party.name if party else None,
        "uscc": party.uscc if party else None,
        "role": line["role"],
        "grade": line["grade"],
        "posterior_mean_per_million": line["posterior_mean_per_million"],
        "interval_low_per_million": low,
        "interval_high_per_million": high,
        "red_list": bool(line.get("lists", {}).get("red_list")),
    }


def _decisions(session: Session, log_size: int) -> list[dict[str, Any]]:
    """Every regulator's decision logged before `log_size`: on parties' credit records (lists,
    repair) and on objections to attributions, in log order."""
    credit = session.execute(
        select(CreditRecord.hash, CreditRecord.idx, CreditRecord.party_id, CreditRecord.outcome,
               CreditRecord.at)
        .where(CreditRecord.kind == "decision", CreditRecord.idx < log_size)
    )  # fmt: skip
    cases = session.execute(
        select(CaseRecord.hash, CaseRecord.idx, CaseRecord.complaint, CaseRecord.outcome,
               CaseRecord.at)
        .where(CaseRecord.kind == "decision", CaseRecord.idx < log_size)
    )  # fmt: skip
    rows = [("credit", *row) for row in credit] + [("case", *row) for row in cases]
    return [
        {
            "decision_hash": hash_,
            "decision_index": idx,
            "scope": scope,
            "subject": subject,
            "outcome": outcome,
            "date": format_time(at),
        }
        for scope, hash_, idx, subject, outcome, at in sorted(rows, key=lambda r: r[2])
    ]


def _black_list(session: Session) -> list[dict[str, Any]]:
    listed = list_queries.black_list(session)
    parties = parties_by_id(session, {entry["party"] for entry in listed})
    return [
        {
            "unit_id": entry["party"],
            "name": entry["name"],
            "uscc": parties[entry["party"]].uscc if entry["party"] in parties else None,
            "role": ROLES.get(entry["kind"] or "", entry["kind"]),
            "since": entry["since"],
            "decision_hash": entry["decision"],
            "decision_index": entry["decision_index"],
        }
        for entry in listed
    ]


def snapshot_for_export(session: Session, index: int | None) -> Snapshot:
    """The snapshot at `index`, or the latest; raises UnknownSnapshot or NoSnapshot."""
    if index is not None:
        return get_snapshot(session, index)
    snapshot = latest_snapshot(session)
    if snapshot is None:
        raise queries.NoSnapshot("no rating snapshot has been taken yet")
    return snapshot


def credit_export(session: Session, index: int | None, now: datetime) -> dict[str, Any]:
    """The exchange document of the snapshot at `index` (default the latest) as of now.

    Raises UnknownSnapshot, NoSnapshot.
    """
    snapshot = snapshot_for_export(session, index)
    log_size = log.tree_size(session)
    lines = content_ratings(snapshot_content(session, snapshot.idx))
    parties = parties_by_id(session, set(lines))
    ratings = [
        rating_row(line, parties.get(unit))
        for unit, line in sorted(lines.items(), key=lambda kv: (kv[1]["role"], kv[0]))
    ]
    return {
        "format": FORMAT,
        "exported_at": format_time(now),
        "log_size": log_size,
        "method_version": snapshot.method_version,
        "rules_version": snapshot.rules_version,
        "snapshot": {
            "index": snapshot.idx,
            "hash": snapshot.hash,
            "as_of": format_time(snapshot.as_of),
            "tree_size": snapshot.tree_size,
            "content_hash": snapshot.content_hash,
        },
        "ratings": ratings,
        "red_list": [
            {k: r[k] for k in ("unit_id", "name", "uscc", "role", "grade")}
            for r in ratings
            if r["red_list"]
        ],
        "black_list": _black_list(session),
        "decisions": _decisions(session, log_size),
    }


def meta_of(export: dict[str, Any]) -> dict[str, Any]:
    """The four values naming what an export rests on."""
    return {
        "method_version": export["method_version"],
        "rules_version": export["rules_version"],
        "snapshot_index": export["snapshot"]["index"],
        "snapshot_content_hash": export["snapshot"]["content_hash"],
    }


def export_rows(export: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(record kind, row) of every row of a JSON export, in section order."""
    for record, section in SECTIONS.items():
        for row in export[section]:
            yield record, row


def cell(value: Any) -> str:
    """A value as the CSV writes it (and as verification compares it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def export_csv(export: dict[str, Any]) -> str:
    """The export as one CSV table (with the BOM Excel needs to read UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    meta = {k: cell(v) for k, v in meta_of(export).items()}
    for record, row in export_rows(export):
        writer.writerow({"record": record, **{k: cell(v) for k, v in row.items()}, **meta})
    return "\ufeff" + out.getvalue()
