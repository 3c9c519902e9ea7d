"""GTIN, SSCC, serial and lot validation: valid values normalise, invalid ones are never fixed."""

from __future__ import annotations

import re

import pytest

from trace_service.codes.identifiers import (
    CS82,
    InvalidGtin,
    InvalidLot,
    InvalidSerial,
    InvalidSscc,
    NotEan13,
    ean13_digits,
    gtin_check_digit,
    parse_gtin,
    parse_lot,
    parse_serial,
    parse_sscc,
)

VALID_GTINS = {
    "96385074": "00000096385074",  # GTIN-8
    "12345670": "00000012345670",
    "614141000036": "00614141000036",  # GTIN-12
    "036000291452": "00036000291452",
    "5901234123457": "05901234123457",  # GTIN-13
    "9506000134352": "09506000134352",
    "15901234123454": "15901234123454",  # GTIN-14
    "10614141123459": "10614141123459",
}
VALID_SSCCS = ["106141412345678908", "006141411234567890"]


def _wrong_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


@pytest.mark.parametrize(("raw", "gtin14"), VALID_GTINS.items())
def test_valid_gtins_normalise_to_gtin14(raw: str, gtin14: str) -> None:
    assert parse_gtin(raw) == gtin14


@pytest.mark.parametrize("raw", VALID_GTINS)
def test_wrong_gtin_check_digit_is_rejected_not_fixed(raw: str) -> None:
    with pytest.raises(InvalidGtin, match=f"expected {raw[-1]}") as caught:
        parse_gtin(_wrong_check_digit(raw))
    assert caught.value.code == "invalid_gtin"
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "raw", ["", "1234567", "123456789", "12345678901", "123456789012345", "0" * 20]
)
def test_gtin_of_wrong_length_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidGtin, match="digits"):
        parse_gtin(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "590123412345A",
        " 5901234123457",  # whitespace is not trimmed: that would be fixing
        "5901234123457\n",
        "5901-234123457",
        "５９０１２３４１２３４５７",  # full-width digits
        "٥٩٠١٢٣٤١٢٣٤٥٧",  # Arabic-Indic digits
    ],
)
def test_gtin_with_non_digits_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidGtin, match="only the digits"):
        parse_gtin(raw)


@pytest.mark.parametrize("raw", VALID_GTINS)
def test_check_digit_helper_completes_valid_gtins(raw: str) -> None:
    assert gtin_check_digit(raw[:-1]) == raw[-1]


@pytest.mark.parametrize("body", ["", "123456", "12345678", "59012341234A"])
def test_check_digit_helper_rejects_bad_bodies(body: str) -> None:
    with pytest.raises(InvalidGtin):
        gtin_check_digit(body)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("5901234123457", "5901234123457"),
        ("05901234123457", "5901234123457"),
        ("614141000036", "0614141000036"),
    ],
)
def test_ean13_digits_of_gtin12_and_gtin13(raw: str, digits: str) -> None:
    assert ean13_digits(raw) == digits


@pytest.mark.parametrize("raw", ["96385074", "15901234123454"])
def test_gtin8_and_gtin14_have_no_ean13(raw: str) -> None:
    with pytest.raises(NotEan13) as caught:
        ean13_digits(raw)
    assert caught.value.code == "not_ean13"


@pytest.mark.parametrize("raw", VALID_SSCCS)
def test_valid_sscc(raw: str) -> None:
    assert parse_sscc(raw) == raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_wrong_check_digit(VALID_SSCCS[0]), "expected 8"),
        (VALID_SSCCS[0][:-1], "17 digits"),
        (VALID_SSCCS[0] + "0", "19 digits"),
        ("10614141234567890X", "only the digits"),
        ("", "only the digits"),
    ],
)
def test_invalid_sscc_is_rejected(raw: str, message: str) -> None:
    with pytest.raises(InvalidSscc, match=message) as caught:
        parse_sscc(raw)
    assert caught.value.code == "invalid_sscc"


def test_character_set_82_has_82_characters() -> None:
    assert len(CS82) == 82


@pytest.mark.parametrize(
    "raw",
    [
        "A",
        "ABC123",
        "A/B%1",
        "x" * 20,
        "!\"%&'()*+,-./:;<=>?_",
        *("".join(sorted(CS82))[i : i + 20] for i in range(0, 82, 20)),
    ],
)
def test_valid_serials_and_lots(raw: str) -> None:
    assert parse_serial(raw) == raw
    assert parse_lot(raw) == raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("x" * 21, "21 characters"),
        ("A B", "position 2"),
        ("A#B", "'#'"),
        ("批次1", "U+6279"),
        ("Ä1", "U+00C4"),
        ("AB\x1dC", "U+001D"),  # a GS separator would end the field in a barcode
        ("A~", "'~'"),
    ],
)
def test_invalid_serials_and_lots_are_rejected(raw: str, message: str) -> None:
    with pytest.raises(InvalidSerial, match=re.escape(message)) as serial_error:
        parse_serial(raw)
    assert serial_error.value.code == "invalid_serial"
    with pytest.raises(InvalidLot, match=re.escape(message)) as lot_error:
        parse_lot(raw)
    assert lot_error.value.code == "invalid_lot"
