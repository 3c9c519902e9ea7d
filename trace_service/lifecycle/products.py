"""Registering the products a merchant sells (source: 来源可查)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from trace_service.codes.identifiers import parse_gtin
from trace_service.errors import Conflict, Forbidden, NotFound
from trace_service.identity.models import Party
from trace_service.lifecycle.models import Product


def register_product(
    session: Session, merchant: Party, data: dict[str, Any], now: datetime
) -> Product:
    """Register a GTIN to a merchant; raises Forbidden, InvalidGtin, Conflict."""
    if merchant.kind != "merchant":
        raise Forbidden("only a merchant registers products")
    gtin = parse_gtin(data["gtin"])
    existing = session.get(Product, gtin)
    if existing is not None:
        raise Conflict(f"product {gtin} is already registered", owner=existing.merchant_id)
    product = Product(
        gtin=gtin,
        merchant_id=merchant.id,
        name=data["name"],
        origin=data["origin"],
        producer=data["producer"],
        licences=list(data.get("licences") or []),
        registered_at=now,
    )
    session.add(product)
    session.flush()
    return product


def get_product(session: Session, raw_gtin: str) -> Product:
    product = session.get(Product, parse_gtin(raw_gtin))
    if product is None:
        raise NotFound(f"product {raw_gtin} is not registered", code="unknown_product")
    return product
