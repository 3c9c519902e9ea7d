"""The building blocks of every signed payload's schema (beside `ledger.event_base.EventBase`):
strict field types that keep the signed bytes untouched, and the patterns the published JSON
Schemas carry over.

Unknown members are refused: a signed public payload must not smuggle anything (personal data
least of all). Each domain builds its record types' schemas from these and registers them
(`ledger.records`).
"""

from __future__ import annotations

import re
from typing import Any, cast

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from trace_service.plumbing.timestamps import parse_time

HEX64 = re.compile(r"^[0-9a-f]{64}$")
PARTY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Timestamp(fields.String):
    """An RFC 3339 UTC timestamp kept as its string, so the signed bytes are untouched."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_time(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        return text


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not 1, 0 or "yes"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("must be true or false")
        return value


class FullMatch(validate.Regexp):
    """The whole value matches the pattern, as JSON Schema (ECMA 262) reads the same pattern in
    the published contracts: Python's `$` would also let a final newline through (and, without
    re.ASCII, `\\d` any script's digits)."""

    def __call__(self, value: Any) -> Any:
        regex = cast("re.Pattern[str]", self.regex)
        if not isinstance(value, str) or regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def hex64(**kwargs: Any) -> fields.String:
    """A SHA-256 hash as 64 lowercase hex digits (an event hash, a commitment)."""
    return fields.String(
        validate=FullMatch(HEX64, error="must be 64 lowercase hex digits"), **kwargs
    )


def party(**kwargs: Any) -> fields.String:
    """A registered party's id."""
    return fields.String(validate=FullMatch(PARTY_ID, error="not a party id"), **kwargs)


def text(limit: int, **kwargs: Any) -> fields.String:
    """Free text of 1 to `limit` characters."""
    return fields.String(validate=validate.Length(min=1, max=limit), **kwargs)


def hashes(limit: int, **kwargs: Any) -> fields.List[Any]:
    """Up to `limit` event hashes (the evidence a record rests on)."""
    return fields.List(hex64(), validate=validate.Length(max=limit), **kwargs)


class Strict(Schema):
    class Meta:
        unknown = RAISE
