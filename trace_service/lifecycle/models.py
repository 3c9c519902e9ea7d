"""Storage derived from the log: products, per-subject chain heads and state, personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trace_service.db import Base, UTCDateTime


class Product(Base):
    __tablename__ = "products"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(200))  # 产地
    producer: Mapped[str] = mapped_column(String(200))  # 生产者
    # 营业执照/许可: licence references, [{"kind": ..., "number": ..., "url": ...}]
    licences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subject(Base):
    """The head of one item's or parcel's chain and the lifecycle state its events led to."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    head: Mapped[str] = mapped_column(String(64))
    head_idx: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)


class ParcelItem(Base):
    """Which items a dispatch packed into which parcel (an item's route follows its parcels)."""

    __tablename__ = "parcel_items"

    item: Mapped[str] = mapped_column(String(200), primary_key=True)
    parcel: Mapped[str] = mapped_column(String(200), primary_key=True)


class PersonalData(Base):
    """A recipient's name, phone and address, AES-GCM encrypted; the payload holds a commitment."""

    __tablename__ = "personal_data"

    parcel: Mapped[str] = mapped_column(String(200), primary_key=True)
    commitment: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersonalDataRead(Base):
    """Every read of personal data: who, when, which parcel (what leak back-tracing rests on)."""

    __tablename__ = "personal_data_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parcel: Mapped[str] = mapped_column(String(200), index=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
    purpose: Mapped[str] = mapped_column(Text)
