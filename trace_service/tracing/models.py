"""Storage derived from the log for back-tracing: custody records, complaint cases, their records.

Every row here is written in the same transaction as the log entry it comes from and names that
entry's index, so a snapshot "as of tree size N" reads exactly the rows with idx < N.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trace_service.db import Base, UTCDateTime


class CustodyRecord(Base):
    """One custody record of a parcel (揽收、交接、投递): who held it from then on (DESIGN §5).

    The exposure of each rated unit is counted from these rows in SQL: pickups, the parcels it
    held, and the deliveries it attempted. The holder's outlet and company are those of the
    moment of the record.
    """

    __tablename__ = "custody_records"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    parcel: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # pickup, handoff, delivery
    party_id: Mapped[str] = mapped_column(String(32))
    outlet_id: Mapped[str | None] = mapped_column(String(32))
    company_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_custody_records_at", "at"),)


class Case(Base):
    """A complaint (投诉) and where its case stands; opened when the complaint is logged."""

    __tablename__ = "cases"

    complaint: Mapped[str] = mapped_column(String(64), primary_key=True)
    complaint_idx: Mapped[int] = mapped_column(BigInteger, unique=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)  # the complained item/parcel
    category: Mapped[str] = mapped_column(String(24))
    complainant: Mapped[str] = mapped_column(String(32))  # party id, or key id of a buyer key
    complainant_kind: Mapped[str] = mapped_column(String(24))  # buyer, merchant, platform...
    complained_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The latest attribution or decision (None until traced) and the pending objection.
    current_idx: Mapped[int | None] = mapped_column(BigInteger)
    objection_idx: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_idx: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_cases_current_idx", "current_idx"),)


class CaseRecord(Base):
    """One logged record of a case: attribution, objection, decision or resolution."""

    __tablename__ = "case_records"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    complaint: Mapped[str] = mapped_column(ForeignKey("cases.complaint"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(20))
    rule: Mapped[str | None] = mapped_column(String(100))
    rules_version: Mapped[str | None] = mapped_column(String(20))
    # 有效投诉: whether the complaint may weigh in ratings (tracing.standing).
    standing: Mapped[bool | None] = mapped_column(Boolean)
    verified_purchase: Mapped[bool | None] = mapped_column(Boolean)
    finding: Mapped[str | None] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str | None] = mapped_column(Text)


class CaseShare(Base):
    """One party's share of an attribution or decision, with the rated units answering for it."""

    __tablename__ = "case_shares"

    record_idx: Mapped[int] = mapped_column(
        ForeignKey("case_records.idx"), primary_key=True, autoincrement=False
    )
    party_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(40))
    share_micro: Mapped[int] = mapped_column(Integer)  # millionths; a record's shares sum to 10^6
    party_kind: Mapped[str] = mapped_column(String(24))
    outlet_id: Mapped[str | None] = mapped_column(String(32))
    company_id: Mapped[str | None] = mapped_column(String(32))
