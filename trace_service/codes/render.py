"""Render Digital Link QR codes and GS1 barcodes as PNG or SVG bytes.

Only validated identifiers reach the encoders: callers pass a SubjectRef (valid by construction) or
a GTIN that is validated here, because python-barcode would silently "fix" a bad check digit.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any, Literal

import qrcode
from barcode.codex import Gs1_128
from barcode.ean import EuropeanArticleNumber13
from barcode.writer import ImageWriter, SVGWriter
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from qrcode.image.svg import SvgPathImage

from trace_service.codes.digital_link import SubjectRef
from trace_service.codes.identifiers import ean13_digits

ImageFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[ImageFormat, str] = {"png": "image/png", "svg": "image/svg+xml"}

# Bounded so a crawler walking many serials cannot grow memory without limit; an SVG is ~15 kB.
_CACHE_SIZE = 1024
_QR_BORDER_MODULES = 4
_QR_PNG_MODULE_PX = 10
_PNG_DPI = 300

# GS1 General Specifications 5.2.3.4: EAN-13 at 100% has a 0.33 mm module; 80% is the minimum,
# used on labels with truncated bars. GS1-128 on logistic labels uses at least 0.495 mm.
_EAN13_OPTIONS: dict[str, Any] = {"module_width": 0.33, "module_height": 22.85, "quiet_zone": 3.63}
_EAN13_COMPACT_OPTIONS: dict[str, Any] = {
    "module_width": 0.264,
    "module_height": 9.0,
    "quiet_zone": 2.9,
    "font_size": 6,
    "text_distance": 2.5,
    "margin_top": 0,
    "margin_bottom": 0,
}
_GS1_128_OPTIONS: dict[str, Any] = {
    "module_width": 0.495,
    "module_height": 31.75,
    "quiet_zone": 4.95,
    "font_size": 9,
}

_SVG_PROLOG = re.compile(rb"\A.*?(?=<svg)", re.DOTALL)
_SVG_ID = re.compile(rb' id="[^"]*"')
_SVG_COMMENT = re.compile(rb"<!--.*?-->\s*", re.DOTALL)


def qr_code(base_url: str, ref: SubjectRef, fmt: ImageFormat) -> bytes:
    """QR code (error correction M, 4-module quiet zone) of the subject's Digital Link URI."""
    return _qr_code(ref.uri(base_url), fmt)


def ean13_barcode(gtin: str, fmt: ImageFormat, *, compact: bool = False) -> bytes:
    """EAN-13 symbol of a GTIN-12/13 (or its GTIN-14 form); compact is the 80% label size.

    Raises InvalidGtin for a bad GTIN and NotEan13 for a GTIN an EAN-13 cannot carry.
    """
    return _ean13(ean13_digits(gtin), fmt, compact)


def gs1_128_barcode(ref: SubjectRef, fmt: ImageFormat) -> bytes:
    """GS1-128 symbol of the subject's element string, e.g. (00)<sscc> or (01)<gtin>(21)<serial>."""
    return _gs1_128(ref, fmt)


def gs1_128_data(ref: SubjectRef) -> str:
    """The data a GS1-128 symbol encodes for the subject, with FNC1 ending variable-length fields.

    The leading FNC1 is added by the symbol itself; the text carries no brackets, which are only
    for people (python-barcode would otherwise encode them as literal characters).
    """
    parts = []
    fields = ref.element_fields
    for index, (ai, value) in enumerate(fields):
        parts.append(ai + value)
        is_last = index == len(fields) - 1
        if not is_last and GS1ApplicationIdentifier.extract(ai).separator_required:
            parts.append(Gs1_128.FNC1_CHAR)
    return "".join(parts)


def svg_fragment(svg: bytes) -> str:
    """An SVG document as markup for inlining into HTML: no prolog, comments or element ids.

    Ids are dropped because every symbol on a label sheet would otherwise repeat the same one.
    """
    svg = _SVG_PROLOG.sub(b"", svg)
    svg = _SVG_COMMENT.sub(b"", svg)
    return _SVG_ID.sub(b"", svg).decode("utf-8").strip()


@lru_cache(maxsize=_CACHE_SIZE)
def _qr_code(uri: str, fmt: ImageFormat) -> bytes:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=_QR_BORDER_MODULES,
        box_size=_QR_PNG_MODULE_PX,
    )
    code.add_data(uri)
    code.make(fit=True)
    if fmt == "svg":
        svg: bytes = code.make_image(image_factory=SvgPathImage).to_string()
        return svg_fragment(svg).encode("utf-8")
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=_CACHE_SIZE)
def _ean13(digits: str, fmt: ImageFormat, compact: bool) -> bytes:
    # no_checksum: the digits are already validated; the library must print them unchanged.
    symbol = EuropeanArticleNumber13(digits, writer=_writer(fmt), no_checksum=True)
    return _write(symbol, fmt, _EAN13_COMPACT_OPTIONS if compact else _EAN13_OPTIONS)


@lru_cache(maxsize=_CACHE_SIZE)
def _gs1_128(ref: SubjectRef, fmt: ImageFormat) -> bytes:
    symbol = Gs1_128(gs1_128_data(ref), writer=_writer(fmt))
    return _write(symbol, fmt, _GS1_128_OPTIONS, text=ref.element_string)


def _writer(fmt: ImageFormat) -> Any:
    return SVGWriter() if fmt == "svg" else ImageWriter(format="PNG", dpi=_PNG_DPI)


def _write(
    symbol: Any, fmt: ImageFormat, options: dict[str, Any], text: str | None = None
) -> bytes:
    out = io.BytesIO()
    symbol.write(out, options=options, text=text)
    data = out.getvalue()
    return svg_fragment(data).encode("utf-8") if fmt == "svg" else data
