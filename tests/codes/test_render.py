"""Rendered symbols decode (with zxing-cpp) to exactly the data they were made from."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import zxingcpp

from trace_service.codes.digital_link import SubjectRef, parse_subject
from trace_service.codes.identifiers import InvalidGtin, NotEan13
from trace_service.codes.render import ean13_barcode, gs1_128_barcode, gs1_128_data, qr_code

Decode = Callable[[bytes], zxingcpp.Barcode]
GTIN = "09506000134352"
SSCC = "106141412345678908"
BASE = "https://resolver.example"


@pytest.mark.parametrize("serial", ["ABC", "A/B%1", "!\"%&'()*+,-./:;<=>?_"])
def test_qr_png_carries_the_exact_digital_link_uri(decode_png: Decode, serial: str) -> None:
    ref = SubjectRef.for_item(GTIN, serial)
    symbol = decode_png(qr_code(BASE, ref, "png"))
    assert symbol.format == zxingcpp.BarcodeFormat.QRCode
    assert symbol.text == ref.uri(BASE)
    assert symbol.ec_level == "M"


def test_qr_svg_is_a_scalable_standalone_svg() -> None:
    svg = qr_code(BASE, SubjectRef.for_parcel(SSCC), "svg").decode()
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "viewBox" in svg and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert " id=" not in svg  # ids would collide when many codes share one page


def test_qr_images_are_cached() -> None:
    ref = SubjectRef.for_item(GTIN, "CACHE1")
    assert qr_code(BASE, ref, "png") is qr_code(BASE, ref, "png")


@pytest.mark.parametrize(
    ("gtin", "digits"),
    [("5901234123457", "5901234123457"), ("05901234123457", "5901234123457")],
)
@pytest.mark.parametrize("compact", [False, True])
def test_ean13_png_decodes_to_the_gtin(
    decode_png: Decode, gtin: str, digits: str, compact: bool
) -> None:
    symbol = decode_png(ean13_barcode(gtin, "png", compact=compact))
    assert symbol.format == zxingcpp.BarcodeFormat.EAN13
    assert symbol.text == digits


def test_ean13_of_a_gtin12_carries_a_leading_zero(decode_png: Decode) -> None:
    symbol = decode_png(ean13_barcode("614141000036", "png"))
    assert symbol.text.lstrip("0") == "614141000036".lstrip("0")
    assert symbol.text.endswith("614141000036")


def test_ean13_refuses_a_wrong_check_digit_instead_of_fixing_it() -> None:
    with pytest.raises(InvalidGtin):
        ean13_barcode("5901234123458", "png")
    with pytest.raises(NotEan13):
        ean13_barcode("15901234123454", "svg")


def test_ean13_svg() -> None:
    svg = ean13_barcode("5901234123457", "svg").decode()
    assert svg.startswith("<svg") and "5901234123457" in svg
    assert "<?xml" not in svg and "DOCTYPE" not in svg


@pytest.mark.parametrize(
    ("text", "data"),
    [
        (f"(01){GTIN}(21)A/B%1", f"01{GTIN}21A/B%1".encode()),
        (f"(00){SSCC}", f"00{SSCC}".encode()),
        # a variable-length lot before the serial must end with a GS (FNC1)
        (f"(01){GTIN}(10)L1(21)S1", f"01{GTIN}10L1\x1d21S1".encode()),
    ],
)
def test_gs1_128_png_decodes_to_the_element_string(
    decode_png: Decode, text: str, data: bytes
) -> None:
    symbol = decode_png(gs1_128_barcode(parse_subject(text), "png"))
    assert symbol.format == zxingcpp.BarcodeFormat.Code128
    assert symbol.symbology_identifier == "]C1"  # FNC1 first: a GS1-128, not plain Code 128
    assert symbol.content_type == zxingcpp.ContentType.GS1
    assert symbol.bytes == data
    assert symbol.text == text


def test_gs1_128_data_has_no_brackets() -> None:
    assert gs1_128_data(SubjectRef.for_parcel(SSCC)) == f"00{SSCC}"


def test_gs1_128_svg_prints_the_human_readable_string() -> None:
    svg = gs1_128_barcode(SubjectRef.for_item(GTIN, "S1"), "svg").decode()
    assert svg.startswith("<svg") and f"(01){GTIN}(21)S1" in svg
