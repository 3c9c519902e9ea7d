"""The fields every signed payload carries, whatever its record type: version, type (one of the
registered record types), subject, chain link and signing time. Each domain's payload schemas
extend `EventBase`."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from trace_service.ledger.payload_fields import Strict, Timestamp, hex64, text
from trace_service.ledger.records import record_type_names


class RegisteredType(validate.OneOf):
    """One of the record types registered so far (read when validating, so every domain's
    registration counts, whatever the import order)."""

    def __init__(self, names: Any) -> None:
        self._names = names
        super().__init__(())

    @property
    def choices(self) -> Any:
        return tuple(self._names())

    @choices.setter
    def choices(self, value: Any) -> None:
        pass

    @property
    def choices_text(self) -> str:
        return ", ".join(str(c) for c in self.choices)

    @choices_text.setter
    def choices_text(self, value: Any) -> None:
        pass


class EventBase(Strict):
    """What every signed payload carries: version, type, subject, chain link and signing time."""

    v = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    type = fields.String(required=True, validate=RegisteredType(record_type_names))
    subject = text(200, required=True)
    prev = hex64(required=True, allow_none=True)
    time = Timestamp(required=True)
