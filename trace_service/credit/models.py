"""Storage of the credit system: rating snapshots, their ratings, and the records about parties."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trace_service.db import Base, UTCDateTime


class Snapshot(Base):
    """A rating snapshot (评级快照) as logged: as of a time, over the log's first `tree_size`."""

    __tablename__ = "snapshots"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    method_version: Mapped[str] = mapped_column(String(20))
    rules_version: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    units: Mapped[int] = mapped_column(BigInteger)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SnapshotRating(Base):
    """One unit's rating in a snapshot's content; `body` is its canonical JSON line (hashed).

    Keyed by the content hash: the ratings are stored before the snapshot is logged, so a
    logged snapshot always has them; content never logged is never served.
    """

    __tablename__ = "snapshot_ratings"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(12))
    grade: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)


class CreditRecord(Base):
    """A logged record about a rated party: nomination, decision, objection or rectification."""

    __tablename__ = "credit_records"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    party_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    on: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str | None] = mapped_column(String(12))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Nomination reasons, rectified complaints, or the decision's reasons, as logged.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
