"""HTTP interface of the codes domain: QR codes, barcodes, label sheets and identifier parsing."""

# flask-smorest ships no type hints, so its decorators are untyped; the views stay annotated.

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from trace_service.codes.ai_table import ai_table
from trace_service.codes.digital_link import parse_gs1, parse_route_subject
from trace_service.codes.labels import label_sheet, serial_range
from trace_service.codes.render import (
    MEDIA_TYPES,
    ImageFormat,
    ean13_barcode,
    gs1_128_barcode,
    qr_code,
)
from trace_service.codes.schemas import LabelSheetQuery, ParsedSubject, ParseQuery
from trace_service.plumbing.openapi import ProblemSchema
from trace_service.plumbing.problems import PROBLEM_JSON

blp = Blueprint(
    "codes",
    __name__,
    url_prefix="/codes",
    description="GTIN/SSCC validation, GS1 Digital Link subjects, QR codes, barcodes and labels.",
)

# An image is a pure function of its URL (and of RESOLVER_BASE_URL, fixed per deployment).
_IMMUTABLE = "public, max-age=31536000, immutable"

_BINARY = {"schema": {"type": "string", "format": "binary"}}


def _image_doc(description: str) -> dict[str, Any]:
    content = {media: _BINARY for media in MEDIA_TYPES.values()}
    return {"200": {"description": description, "content": content}}


_PROBLEM_EXAMPLE = {
    "type": "/problems/invalid_gtin",
    "title": "Invalid GTIN",
    "status": 422,
    "detail": "GTIN '5901234123458' has check digit 8; expected 7.",
    "code": "invalid_gtin",
}


_PROBLEM_CODES = (
    "invalid_gtin, invalid_sscc, invalid_serial, invalid_lot, invalid_subject, "
    "unsupported_subject, not_ean13, too_many_labels, validation_failed; a GS1 syntax fault "
    "also carries `position` (1-based, in the text given) and `ai`"
)


def _documents_problems(view: Any) -> Any:
    """Document the 422 problem response every codes view can return."""
    return blp.alt_response(
        422,
        schema=ProblemSchema,
        description=f"Invalid input; code is one of {_PROBLEM_CODES}",
        example=_PROBLEM_EXAMPLE,
        content_type=PROBLEM_JSON,
    )(view)


def _base_url() -> str:
    return str(current_app.config["RESOLVER_BASE_URL"])


def _image_response(data: bytes, fmt: ImageFormat) -> Response:
    response = Response(data, mimetype=MEDIA_TYPES[fmt])
    response.headers["Cache-Control"] = _IMMUTABLE
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.make_conditional(request)  # answers If-None-Match with 304
    return response


@blp.route("/qr/<path:subject>.<any(png, svg):fmt>")
class QrCode(MethodView):
    @blp.response(200)
    @blp.doc(
        responses=_image_doc("QR code of the subject's GS1 Digital Link URI"),
        parameters=[
            {
                "in": "path",
                "name": "subject",
                "required": True,
                "schema": {"type": "string"},
                "description": "Subject id such as 01/<gtin14>/21/<serial> or 00/<sscc>; "
                "may contain '/' (percent-encode '/' inside a serial as %2F)",
            }
        ],
    )
    @_documents_problems
    def get(self, subject: str, fmt: ImageFormat) -> Response:
        """QR code (PNG or SVG) of a subject's Digital Link URI."""
        ref = parse_route_subject(subject)
        return _image_response(qr_code(_base_url(), ref, fmt), fmt)


@blp.route("/barcode/<any(ean13, 'gs1-128'):kind>/<path:value>.<any(png, svg):fmt>")
class Barcode(MethodView):
    @blp.response(200)
    @blp.doc(responses=_image_doc("EAN-13 of a GTIN-12/13, or GS1-128 of an item, lot or SSCC"))
    @_documents_problems
    def get(self, kind: str, value: str, fmt: ImageFormat) -> Response:
        """Linear barcode: ean13 takes a GTIN; gs1-128 takes (00)<sscc>, (01)…(21)… or a subject."""
        if kind == "ean13":
            data = ean13_barcode(value, fmt)
        else:
            data = gs1_128_barcode(parse_route_subject(value), fmt)
        return _image_response(data, fmt)


@blp.route("/labels")
class LabelSheet(MethodView):
    @blp.arguments(LabelSheetQuery, location="query")
    @blp.response(200)
    @blp.doc(
        responses={
            "200": {
                "description": "Printable A4 label sheet (HTML, no external assets)",
                "content": {"text/html": {"schema": {"type": "string"}}},
            }
        }
    )
    @_documents_problems
    def get(self, args: dict[str, Any]) -> Response:
        """An HTML sheet of Digital Link QR labels for serials, a numeric serial range or a lot."""
        serials = args.get("serials", [])
        if "serial_from" in args:
            serials = serial_range(args["serial_from"], args["count"])
        html = label_sheet(
            _base_url(),
            args["gtin"],
            serials=serials,
            lot=args.get("lot"),
            copies=args.get("count", 1),
            product_name=args["name"],
        )
        return Response(html, mimetype="text/html")


@blp.route("/parse")
class ParseSubject(MethodView):
    @blp.arguments(ParseQuery, location="query")
    @blp.response(200, ParsedSubject)
    @_documents_problems
    def get(self, args: dict[str, str]) -> dict[str, Any]:
        """Validate what a scanner read as GS1 defines it, and name its canonical subject and
        Digital Link URI; the resolver reads every Digital Link the same way."""
        reading = parse_gs1(args["text"])
        ref = reading.ref
        table = ai_table()
        return {
            "kind": ref.kind,
            "gtin": ref.gtin,
            "serial": ref.serial,
            "lot": ref.lot,
            "sscc": ref.sscc,
            "subject": ref.subject,
            "uri": ref.uri(_base_url()),
            "elements": [
                {"ai": e.ai, "title": table.entries[e.ai].title, "value": e.value}
                for e in reading.elements
            ],
        }
