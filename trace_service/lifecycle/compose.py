"""Composing and signing event payloads, as a client does (used by the CLI, demo and tests)."""

from __future__ import annotations

import base64
import os
from datetime import datetime
from typing import Any

from trace_service.ledger.envelope import Envelope, envelope_json, sign_payload
from trace_service.ledger.key_holder import KeyHolder
from trace_service.lifecycle.personal_data import commitment
from trace_service.plumbing.timestamps import format_time


def payload(
    kind: str, subject: str, prev: str | None, time: datetime, **fields: Any
) -> dict[str, Any]:
    """An event payload with the common members; type-specific members come as keywords.

    `from_` is written as "from" (a Python keyword).
    """
    body: dict[str, Any] = {
        "v": 1,
        "type": kind,
        "subject": subject,
        "prev": prev,
        "time": format_time(time),
    }
    for name, value in fields.items():
        body[name.rstrip("_")] = format_time(value) if isinstance(value, datetime) else value
    return body


def sign(body: dict[str, Any], *holders: KeyHolder) -> Envelope:
    return sign_payload(body, [h.signing_key for h in holders])


def submission(envelope: Envelope, personal: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON a client posts to /events."""
    data = envelope_json(envelope)
    if personal is not None:
        data["personal_data"] = personal
    return data


def recipient(name: str, phone: str, address: str) -> tuple[dict[str, Any], str]:
    """A personal_data member with a fresh salt, and the commitment the payload must carry."""
    salt = os.urandom(16)
    fields_ = {"name": name, "phone": phone, "address": address}
    return (
        {"salt": base64.b64encode(salt).decode(), "recipient": fields_},
        commitment(salt, fields_),
    )
