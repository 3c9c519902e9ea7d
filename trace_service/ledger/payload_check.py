"""A fast path for payload validation: a plain-Python check that accepts only what a marshmallow
schema surely accepts, so the common, valid event skips marshmallow's slower machinery; anything
in doubt goes to marshmallow, which also words every refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields

from trace_service.ledger.payload_fields import StrictBoolean, Timestamp
from trace_service.plumbing.timestamps import parse_time

Check = Callable[[Any], bool]


def _field_check(field: fields.Field[Any]) -> Check | None:
    """A check that is true only for values `field` surely accepts; None if it cannot tell."""
    if field.pre_load or field.post_load:
        return None
    if isinstance(field, Timestamp):
        kind: Check | None = _is_timestamp
    elif isinstance(field, StrictBoolean):
        kind = _is_bool
    elif type(field) is fields.String:
        kind = _is_str
    elif type(field) is fields.Integer:
        kind = _is_int
    elif (
        type(field) is fields.Nested
        and isinstance(field.nested, type)
        and not (field.many or field.only or field.exclude)
    ):
        kind = schema_check(field.nested(), field.unknown)
    elif type(field) is fields.List:
        inner = _field_check(field.inner)
        kind = None if inner is None else (lambda v: type(v) is list and all(map(inner, v)))
    else:
        kind = None
    if kind is None:
        return None
    validators = tuple(field.validators)
    allow_none = field.allow_none

    def check(value: Any) -> bool:
        if value is None:
            return allow_none
        if not kind(value):
            return False
        try:
            return all(v(value) is not False for v in validators)
        except ValidationError:
            return False

    return check


def _is_timestamp(value: Any) -> bool:
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_int(value: Any) -> bool:
    return type(value) is int


def schema_check(schema: Schema, unknown: str | None = None) -> Check | None:
    """A fast check of a flat schema of the field types above: true only when `schema` would load
    the value without errors. Any doubt (an odd type, a failed rule) answers false, and the
    caller then asks marshmallow itself, which also words the errors."""
    if any(schema._hooks.values()):
        return None
    checks: dict[str, Check] = {}
    required: set[str] = set()
    for name, field in schema.load_fields.items():
        check = _field_check(field)
        if check is None:
            return None
        key = field.data_key or name
        checks[key] = check
        if field.required:
            required.add(key)
    strict = (unknown or schema.unknown) == RAISE

    def check_schema(value: Any) -> bool:
        if type(value) is not dict or not required.issubset(value):
            return False
        for key, item in value.items():
            check = checks.get(key)
            if check is None:
                if strict:
                    return False
            elif not check(item):
                return False
        return True

    return check_schema
