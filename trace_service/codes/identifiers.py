"""GS1 identifier validation: GTIN, SSCC, serial (AI 21) and lot (AI 10).

Every function here validates and normalises; none "fixes" a bad value. python-barcode silently
replaces a wrong check digit, so validation is done with biip before anything is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gtin import Gtin, GtinFormat
from biip.sscc import Sscc

from trace_service.errors import DomainError

GTIN_LENGTHS = (8, 12, 13, 14)
SSCC_LENGTH = 18
MAX_SERIAL_LENGTH = 20

# GS1 General Specifications, figure 7.11-1: the 82 characters allowed in AI 10 and AI 21.
CS82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)

# str.isdigit() accepts non-ASCII digits such as "٣"; GS1 numbers are ASCII only.
_ASCII_DIGITS = re.compile(r"[0-9]+")


class InvalidSubject(DomainError):
    code = "invalid_subject"
    status = 422
    title = "Invalid item or parcel identifier"


class InvalidGtin(DomainError):
    code = "invalid_gtin"
    status = 422
    title = "Invalid GTIN"


class NotEan13(DomainError):
    code = "not_ean13"
    status = 422
    title = "GTIN cannot be an EAN-13"


class InvalidSscc(DomainError):
    code = "invalid_sscc"
    status = 422
    title = "Invalid SSCC"


class InvalidSerial(DomainError):
    code = "invalid_serial"
    status = 422
    title = "Invalid serial number"


class InvalidLot(DomainError):
    code = "invalid_lot"
    status = 422
    title = "Invalid lot number"


def is_ascii_digits(raw: str) -> bool:
    """True if the text is one or more of the ASCII digits 0-9 and nothing else."""
    return _ASCII_DIGITS.fullmatch(raw) is not None


def _parse_numeric_key(
    raw: str,
    name: str,
    lengths: tuple[int, ...],
    parse: Callable[[str], str],
    error: type[DomainError],
) -> str:
    if not is_ascii_digits(raw):
        raise error(f"{name} {raw!r} must contain only the digits 0-9.")
    if len(raw) not in lengths:
        allowed = " or ".join(", ".join(map(str, lengths)).rsplit(", ", 1))
        raise error(f"{name} {raw!r} has {len(raw)} digits; expected {allowed}.")
    try:
        return parse(raw)
    except ParseError:
        expected = gs1_standard_check_digit(raw[:-1])
        raise error(f"{name} {raw!r} has check digit {raw[-1]}; expected {expected}.") from None


def parse_gtin(raw: str) -> str:
    """Validate a GTIN-8/12/13/14 and return it as a GTIN-14 (left zero-padded).

    Raises InvalidGtin naming the fault: non-digits, wrong length or wrong check digit.
    """
    return _parse_numeric_key(
        raw, "GTIN", GTIN_LENGTHS, lambda value: Gtin.parse(value).as_gtin_14(), InvalidGtin
    )


def gtin_check_digit(body: str) -> str:
    """The mod-10 check digit that completes a GTIN body of 7, 11, 12 or 13 digits.

    Raises InvalidGtin if the body is not digits of one of those lengths.
    """
    if not is_ascii_digits(body) or len(body) + 1 not in GTIN_LENGTHS:
        raise InvalidGtin(f"GTIN body {body!r} must be 7, 11, 12 or 13 digits.")
    return str(gs1_standard_check_digit(body))


def ean13_digits(raw: str) -> str:
    """The 13 digits an EAN-13 symbol carries for a GTIN-12 or GTIN-13.

    Raises InvalidGtin for a bad GTIN and NotEan13 for a GTIN-8 (carried by EAN-8) or a GTIN-14
    (carried by ITF-14 or GS1-128), which an EAN-13 cannot represent.
    """
    gtin = Gtin.parse(parse_gtin(raw))
    if gtin.format not in (GtinFormat.GTIN_12, GtinFormat.GTIN_13):
        raise NotEan13(f"GTIN-{gtin.format.value} {raw!r} cannot be printed as an EAN-13.")
    return gtin.as_gtin_13()


def parse_sscc(raw: str) -> str:
    """Validate an SSCC-18 (serial shipping container code) and return it.

    Raises InvalidSscc naming the fault: non-digits, wrong length or wrong check digit.
    """
    return _parse_numeric_key(
        raw, "SSCC", (SSCC_LENGTH,), lambda value: Sscc.parse(value).value, InvalidSscc
    )


def _cs82_fault(raw: str, what: str) -> str | None:
    if not raw:
        return f"{what} must not be empty."
    if len(raw) > MAX_SERIAL_LENGTH:
        return f"{what} {raw!r} has {len(raw)} characters; at most {MAX_SERIAL_LENGTH} allowed."
    for position, char in enumerate(raw, start=1):
        if char not in CS82:
            return (
                f"{what} {raw!r} has {char!r} (U+{ord(char):04X}) at position {position}, "
                "outside the GS1 character set 82."
            )
    return None


def parse_serial(raw: str) -> str:
    """Validate a serial number (GS1 AI 21: 1-20 characters of character set 82) and return it.

    Raises InvalidSerial naming the fault.
    """
    fault = _cs82_fault(raw, "Serial")
    if fault:
        raise InvalidSerial(fault)
    return raw


def parse_lot(raw: str) -> str:
    """Validate a lot/batch number (GS1 AI 10: 1-20 characters of character set 82) and return it.

    Raises InvalidLot naming the fault.
    """
    fault = _cs82_fault(raw, "Lot")
    if fault:
        raise InvalidLot(fault)
    return raw
