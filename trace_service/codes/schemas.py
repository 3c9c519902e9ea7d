"""Request and response schemas of the codes API (query strings in, JSON out)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.fields import DelimitedList

MAX_TEXT_LENGTH = 2048


class ParseQuery(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_TEXT_LENGTH),
        metadata={
            "description": "A subject path, GS1 Digital Link URI, element string such as "
            "(01)09506000134352(21)ABC, or scanned data: AI data with GS (FNC1) separators, "
            "optionally after a symbology identifier (]C1, ]e0, ]d2, ]Q3, ]J1; ]Q1, ]d1 or ]J0 "
            "with a Digital Link URI; ]E0/]E4 EAN/UPC). Nothing is trimmed.",
        },
    )


class ParsedElement(Schema):
    ai = fields.String(required=True, metadata={"description": "GS1 Application Identifier"})
    title = fields.String(required=True, metadata={"description": "GS1's short title of the AI"})
    value = fields.String(required=True, metadata={"description": "The value, exactly as read"})


class ParsedSubject(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["item", "lot", "parcel"]))
    gtin = fields.String(allow_none=True, metadata={"description": "GTIN-14"})
    serial = fields.String(allow_none=True)
    lot = fields.String(allow_none=True)
    sscc = fields.String(allow_none=True)
    subject = fields.String(
        required=True,
        metadata={"description": "Canonical subject id, e.g. 01/<gtin14>/21/<serial>"},
    )
    uri = fields.String(required=True, metadata={"description": "GS1 Digital Link URI"})
    elements = fields.List(
        fields.Nested(ParsedElement),
        required=True,
        metadata={
            "description": "Every GS1 element the text carries, in order, validated against "
            "GS1's Syntax Dictionary: the keys and also attributes such as (17) expiry"
        },
    )


class LabelSheetQuery(Schema):
    gtin = fields.String(required=True, metadata={"description": "GTIN-8, -12, -13 or -14"})
    serials = DelimitedList(
        fields.String(),
        metadata={
            "description": "Comma-separated serials (a serial containing ',' cannot be used)"
        },
    )
    serial_from = fields.String(
        metadata={"description": "First serial of a numeric range; its width sets the zero padding"}
    )
    lot = fields.String(metadata={"description": "Lot number: `count` copies of one lot label"})
    count = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "Number of serials from serial_from, or copies of the lot label"},
    )
    name = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Product name printed on each label"},
    )

    @validates_schema
    def _one_source(self, data: dict[str, Any], **_: Any) -> None:
        sources = [key for key in ("serials", "serial_from", "lot") if key in data]
        if len(sources) != 1:
            raise ValidationError("Give exactly one of serials, serial_from or lot.")
        if "serial_from" in data and "count" not in data:
            raise ValidationError("serial_from needs count.", field_name="count")
        if "serials" in data and "count" in data:
            raise ValidationError("count goes with serial_from or lot, not serials.", "count")
