"""Storage of parties, their signing keys and their API credentials."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from trace_service.db import Base, UTCDateTime


class PartyKind(enum.StrEnum):
    PLATFORM = "platform"
    MERCHANT = "merchant"
    COURIER_COMPANY = "courier_company"
    OUTLET = "outlet"  # 网点
    STAFF = "staff"  # 从业人员
    REGULATOR = "regulator"  # 邮政管理部门
    SERVICE = "service"  # trace_service itself: signs attributions, nominations and snapshots


class PartyStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    # 离职 / 撤销网点: a staff member or outlet its courier company has parted with. Its keys and
    # credentials are revoked at that moment; what it signed before stays valid.
    LEFT = "left"


class Party(Base):
    __tablename__ = "parties"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # 统一社会信用代码: the 18-character unified social credit code of an enterprise.
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    company_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), index=True)
    outlet_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    city: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=PartyStatus.ACTIVE.value)
    registered_by: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PartyKey(Base):
    """An Ed25519 public key; buyer keys (named in a sale) have no party."""

    __tablename__ = "party_keys"

    keyid: Mapped[str] = mapped_column(String(16), primary_key=True)
    party_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enrolled_by: Mapped[str | None] = mapped_column(ForeignKey("parties.id"))


class Credential(Base):
    """A bearer credential for non-public reads and registrations; only its hash is stored."""

    __tablename__ = "credentials"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
