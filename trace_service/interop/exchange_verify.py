"""Check a credit exchange export (JSON or CSV) against the log, row by row.

What holds when nothing is reported: the snapshot is logged at the named index with the named
content hash and versions; the stored content still hashes to it; every rating and red-list row
says what that content says (and nothing is left out); every black-list and decision row names a
logged regulator's decision with that index, subject, outcome and date. Names and USCCs are
compared with the party registry.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.credit.snapshots import UnknownSnapshot, snapshot_content
from trace_service.interop.exchange import (
    CSV_COLUMNS,
    META_COLUMNS,
    SECTIONS,
    cell,
    content_ratings,
    export_rows,
    meta_of,
    parties_by_id,
    rating_row,
)
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.resolve import read_entry
from trace_service.plumbing.timestamps import parse_time

Cells = dict[str, str]


@dataclass
class ParsedExport:
    """An export read back as text cells: what it rests on, and its rows with where they are."""

    meta: Cells
    rows: list[tuple[str, str, Cells]] = field(default_factory=list)  # (where, record, cells)
    problems: list[str] = field(default_factory=list)


def _label(record: str, cells: Cells) -> str:
    return f"{record} {cells.get('unit_id') or cells.get('decision_hash') or '?'}"


def read_export(text: str) -> ParsedExport:
    """Parse an export written by /exchange/credit.json or /exchange/credit.csv."""
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("{"):
        return _read_json(json.loads(text))
    return _read_csv(text)


def _read_json(export: dict[str, Any]) -> ParsedExport:
    parsed = ParsedExport({k: cell(v) for k, v in meta_of(export).items()})
    counters = dict.fromkeys(SECTIONS, 0)
    for record, row in export_rows(export):
        cells = {k: cell(v) for k, v in row.items()}
        where = f"{SECTIONS[record]}[{counters[record]}] ({_label(record, cells)})"
        counters[record] += 1
        parsed.rows.append((where, record, cells))
    return parsed


def _read_csv(text: str) -> ParsedExport:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    parsed = ParsedExport({})
    if missing:
        parsed.problems.append(f"header: missing columns {', '.join(missing)}")
        return parsed
    for number, row in enumerate(reader, start=2):  # row 1 is the header
        cells = {k: v or "" for k, v in row.items() if k in CSV_COLUMNS}
        meta = {k: cells.pop(k) for k in META_COLUMNS}
        record = cells.pop("record")
        where = f"row {number} ({_label(record, cells)})"
        if not parsed.meta:
            parsed.meta = meta
        elif meta != parsed.meta:
            parsed.problems.append(f"{where}: names another snapshot or version than row 2")
        if record not in SECTIONS:
            parsed.problems.append(f"{where}: unknown record kind {record!r}")
            continue
        parsed.rows.append((where, record, cells))
    return parsed


def _compare(where: str, cells: Cells, want: dict[str, Any], source: str) -> Iterator[str]:
    for column, value in want.items():
        if cells.get(column, "") != cell(value):
            yield (f"{where}: {column} is {cells.get(column, '')!r}, {source} says {cell(value)!r}")


def _logged(session: Session, event_hash: str) -> tuple[LogEntry, dict[str, Any]] | None:
    entry = session.scalar(select(LogEntry).where(LogEntry.hash == event_hash))
    if entry is None:
        return None
    read = read_entry(entry)
    return (entry, read.payload) if read.problem is None else None


def _snapshot_lines(session: Session, meta: Cells) -> tuple[dict[str, Any] | None, list[str]]:
    """The snapshot content's rating lines, if the export's snapshot checks out."""
    try:
        index = int(meta.get("snapshot_index", ""))
    except ValueError:
        return None, [f"snapshot_index {meta.get('snapshot_index')!r} is not a log index"]
    entry = session.get(LogEntry, index)
    read = read_entry(entry) if entry is not None else None
    if read is None or read.problem or read.entry.type != "snapshot":
        return None, [f"snapshot_index {index}: no logged snapshot at that index"]
    logged = {k: read.payload.get(k) for k in ("method_version", "rules_version")}
    logged["snapshot_content_hash"] = read.payload.get("content_hash")
    problems = [
        f"{column}: the export says {meta.get(column)!r}, the snapshot logged at {index} "
        f"says {value!r}"
        for column, value in logged.items()
        if meta.get(column) != value
    ]
    try:
        content = snapshot_content(session, index)
    except UnknownSnapshot:
        return None, [*problems, f"snapshot {index}: its content is not stored here"]
    if hashlib.sha256(content).hexdigest() != read.payload.get("content_hash"):
        return None, [*problems, f"snapshot {index}: the stored content does not hash to the "
                      "logged content hash (run recompute-snapshot)"]  # fmt: skip
    return content_ratings(content), problems


def _check_ratings(session: Session, parsed: ParsedExport, lines: dict[str, Any]) -> list[str]:
    parties = parties_by_id(session, set(lines))
    expected = {unit: rating_row(line, parties.get(unit)) for unit, line in lines.items()}
    red = {unit for unit, row in expected.items() if row["red_list"]}
    problems: list[str] = []
    seen: dict[str, set[str]] = {"rating": set(), "red_list": set()}
    for where, record, cells in parsed.rows:
        if record not in seen:
            continue
        unit = cells.get("unit_id", "")
        if unit in seen[record]:
            problems.append(f"{where}: a second {record} row for {unit}")
        seen[record].add(unit)
        if unit not in (expected if record == "rating" else red):
            what = "rated" if record == "rating" else "on the red list"
            problems.append(f"{where}: {unit} is not {what} in the snapshot")
            continue
        want = dict(expected[unit])
        if record == "red_list":
            want = {k: want[k] for k in ("unit_id", "name", "uscc", "role", "grade")}
        registry = {k: want.pop(k) for k in ("name", "uscc")}
        problems += _compare(where, cells, want, "the snapshot")
        problems += _compare(where, cells, registry, "the party registry")
    for unit in sorted(set(expected) - seen["rating"]):
        problems.append(f"ratings: the snapshot rates {unit}, the export has no row for it")
    for unit in sorted(red - seen["red_list"]):
        problems.append(f"red_list: {unit} is on the snapshot's red list, not in the export")
    return problems


def _check_decisions(session: Session, parsed: ParsedExport) -> list[str]:
    problems: list[str] = []
    for where, record, cells in parsed.rows:
        if record not in ("black_list", "decision"):
            continue
        found = _logged(session, cells.get("decision_hash", ""))
        if found is None or found[0].type != "decision":
            problems.append(f"{where}: {cells.get('decision_hash')!r} is no logged decision")
            continue
        entry, payload = found
        if record == "black_list":
            want = {"decision_index": entry.idx, "unit_id": payload["subject"].removeprefix(
                "party/"), "since": payload["time"]}  # fmt: skip
            problems += _compare(where, cells, want, "the logged decision")
            if payload.get("outcome") != "confirmed":
                problems.append(f"{where}: the decision's outcome is {payload.get('outcome')!r}")
            continue
        want = {"decision_index": entry.idx, "outcome": payload.get("outcome")}
        problems += _compare(where, cells, want, "the logged decision")
        prefix = "party/" if cells.get("scope") == "credit" else "case/"
        if payload["subject"] != prefix + cells.get("subject", ""):
            problems.append(f"{where}: the decision is about {payload['subject']}")
        try:
            same_date = parse_time(cells.get("date", "")) == parse_time(payload["time"])
        except ValueError:
            same_date = False
        if not same_date:
            problems.append(f"{where}: date is {cells.get('date')!r}, logged {payload['time']}")
    return problems


def verify_export(session: Session, parsed: ParsedExport) -> list[str]:
    """Every way the export differs from the log (empty when it holds)."""
    problems = list(parsed.problems)
    lines, found = _snapshot_lines(session, parsed.meta)
    problems += found
    if lines is not None:
        problems += _check_ratings(session, parsed, lines)
    return problems + _check_decisions(session, parsed)
