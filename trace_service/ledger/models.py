"""Storage of the transparency log: entries, complete Merkle nodes and signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trace_service.db import Base, UTCDateTime


class LogEntry(Base):
    """One accepted signed envelope at its log index; `body` is the exact leaf entry bytes."""

    __tablename__ = "log_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(24))
    # "" for the first event of a subject, so (subject, prev) can be unique on every backend.
    prev: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    integrated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checkpoint_size: Mapped[int] = mapped_column(BigInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        # A fork (two events claiming one predecessor) cannot be stored, whatever the code does.
        Index("uq_log_entries_subject_prev", "subject", "prev", unique=True),
        # A subject's events in log order (a lot's last sale before a dispatch, timelines).
        Index("ix_log_entries_subject_idx", "subject", "idx"),
    )


class LogNode(Base):
    """A complete aligned Merkle subtree: leaves [idx·2^level, (idx+1)·2^level)."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(Base):
    """A signed tree head in C2SP signed-note form."""

    __tablename__ = "checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
