"""Fixtures for the simulator: a small run's truth file and a reader for the log it wrote."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from trace_service import create_app
from trace_service.db import new_session
from trace_service.identity.models import Party, PartyKey
from trace_service.ledger.models import LogEntry
from trace_service.ledger.transitions import Signer
from trace_service.plumbing.timestamps import parse_time
from trace_service.tracing.custody import LoggedEvent

SMALL = ["--parcels", "300", "--months", "3", "--seed", "7", "--start", "2025-10-01"]


def read_truth(path: Path) -> dict[str, list[dict[str, Any]]]:
    """The truth file's records, grouped by their "record" kind."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        grouped.setdefault(record["record"], []).append(record)
    return grouped


@pytest.fixture
def second_app(tmp_path: Path, sqlite_template: Path) -> Iterator[Flask]:
    """Another app on its own fresh SQLite database (the simulator does not depend on the
    backend; a second database shows what one seed produces from scratch)."""
    folder = tmp_path / "second"
    (folder / "instance").mkdir(parents=True)
    shutil.copy(sqlite_template, folder / "trace.db")
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'trace.db'}",
            "INSTANCE_PATH": str(folder / "instance"),
        }
    )
    yield application
    application.extensions["trace_engine"].dispose()


class Log:
    """The accepted events, as back-tracing reads them (hash, index, type, time, signers)."""

    def __init__(self, app: Flask) -> None:
        session = new_session(app)
        try:
            self.entries = list(session.scalars(select(LogEntry).order_by(LogEntry.idx)))
            parties = {p.id: p for p in session.scalars(select(Party))}
            self.keys = {k.keyid: k.party_id for k in session.scalars(select(PartyKey))}
        finally:
            session.close()
        self.parties = parties
        self.by_subject: dict[str, list[LogEntry]] = {}
        for entry in self.entries:
            self.by_subject.setdefault(entry.subject, []).append(entry)

    def payload(self, entry: LogEntry) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(entry.body)["payload"]
        return body

    def event(self, entry: LogEntry) -> LoggedEvent:
        envelope = json.loads(entry.body)
        signers = []
        for signature in envelope["signatures"]:
            party = self.parties.get(self.keys.get(signature["keyid"]) or "")
            if party is None:
                signers.append(Signer(signature["keyid"]))
            else:
                signers.append(Signer(signature["keyid"], party.id, party.kind, party.company_id))
        payload = envelope["payload"]
        return LoggedEvent(
            entry.hash, entry.idx, entry.type, parse_time(payload["time"]), payload, tuple(signers)
        )

    def events(self, subject: str) -> list[LoggedEvent]:
        return [self.event(e) for e in self.by_subject.get(subject, [])]


def end_of(truth: dict[str, list[dict[str, Any]]]) -> datetime:
    return parse_time(truth["simulation"][0]["params"]["end"]).astimezone(UTC)
