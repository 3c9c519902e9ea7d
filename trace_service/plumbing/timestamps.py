"""RFC 3339 UTC timestamps as the service signs and reads them ('Z' suffix, second precision
unless there are microseconds): the one time format of payloads, receipts and API responses."""

from __future__ import annotations

import re
from datetime import UTC, datetime

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


def parse_time(value: str) -> datetime:
    """An RFC 3339 UTC timestamp ('Z' suffix) as an aware datetime; raises ValueError."""
    if not isinstance(value, str) or not RFC3339_UTC.match(value):
        raise ValueError("not an RFC 3339 UTC timestamp like 2026-01-31T08:00:00Z")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def format_time(moment: datetime) -> str:
    """The RFC 3339 UTC form the service writes (second precision unless there are micros)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
