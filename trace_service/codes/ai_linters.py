"""Content checks ("linters") that GS1's Syntax Dictionary names for AI value components.

Each linter takes one component's text and returns None, or the offset of the first offending
character and why. Linters that need reference lists the service does not carry (ISO country and
currency codes, GS1 Company Prefix allocations, coupon and package-type code lists, IBAN country
formats) are listed in UNCHECKED_LINTERS: those components are still checked for character set and
length, and a dictionary release naming a linter in neither set fails a test.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable

Fault = tuple[int, str] | None
Linter = Callable[[str], Fault]

UNCHECKED_LINTERS = frozenset(
    {
        "couponcode",
        "couponposoffer",
        "gcppos1",
        "gcppos2",
        "iban",
        "iso3166",
        "iso3166999",
        "iso3166alpha2",
        "iso4217",
        "mediatype",
        "packagetype",
    }
)

# GS1 General Specifications 7.9.5: character set 32, the check-character pair alphabet.
_CSET32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
_HEX_PAIR = re.compile("[0-9A-Fa-f]{2}")
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83)


def mod10_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for a string of digits (weights 3, 1, ... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _csum(text: str) -> Fault:
    expected = mod10_check_digit(text[:-1])
    if text[-1] != str(expected):
        return len(text) - 1, f"check digit is {text[-1]}; expected {expected}"
    return None


def _csumalpha(text: str) -> Fault:
    # GS1 General Specifications 7.9.5: a check-character pair over the preceding characters.
    if len(text) < 3:
        return 0, "too short for a check-character pair"
    body = text[:-2]
    if len(body) > len(_PRIMES):
        return len(_PRIMES), "too long for a check-character pair"
    total = sum(
        _CSET82.index(ch) * weight for ch, weight in zip(reversed(body), _PRIMES, strict=False)
    )
    total %= 1021
    expected = _CSET32[total // 32] + _CSET32[total % 32]
    if text[-2:] != expected:
        return len(text) - 2, f"check characters are {text[-2:]!r}; expected {expected!r}"
    return None


def _date(text: str, century: bool, zero_day: bool) -> Fault:
    year_len = 4 if century else 2
    year = int(text[:year_len])
    month, day = int(text[year_len : year_len + 2]), int(text[year_len + 2 : year_len + 4])
    if not 1 <= month <= 12:
        return year_len, f"month {month:02d} is not 01-12"
    # GS1 General Specifications 7.12 puts a two-digit year within -49..+50 years of now; only
    # leap years matter here, and they fall alike in either century.
    full_year = year if century else 2000 + year
    last = calendar.monthrange(full_year, month)[1]
    if day == 0 and zero_day:
        return None
    if not 1 <= day <= last:
        return year_len + 2, f"day {day:02d} is not in month {month:02d}"
    return None


def _bounded(limit: int, what: str) -> Linter:
    def check(text: str) -> Fault:
        return None if int(text) <= limit else (0, f"{what} {text} is above {limit:02d}")

    return check


def _one_of(allowed: str, what: str) -> Linter:
    def check(text: str) -> Fault:
        return None if text in allowed.split() else (0, f"{text!r} is not {what}")

    return check


def _hhmi(text: str) -> Fault:
    return _bounded(23, "hour")(text[:2]) or _shift(_bounded(59, "minute")(text[2:4]), 2)


def _shift(fault: Fault, by: int) -> Fault:
    return None if fault is None else (fault[0] + by, fault[1])


def _pieceoftotal(text: str) -> Fault:
    half = len(text) // 2
    piece, total = int(text[:half]), int(text[half:])
    if piece == 0:
        return 0, "piece number is zero"
    if total == 0:
        return half, "total number of pieces is zero"
    if piece > total:
        return 0, f"piece {piece} exceeds the total {total}"
    return None


def _pcenc(text: str) -> Fault:
    for match in re.finditer("%", text):
        if _HEX_PAIR.fullmatch(text[match.end() : match.end() + 2]) is None:
            return match.start(), "'%' must start a percent-encoded byte such as %2F"
    return None


def _posinseqslash(text: str) -> Fault:
    if len(text) != 3 or text[1] != "/" or not (text[0].isdigit() and text[2].isdigit()):
        return 0, "must be <position>/<count>, e.g. 1/2"
    if not 0 < int(text[0]) <= int(text[2]):
        return 0, f"position {text[0]} is not within 1-{text[2]}"
    return None


def _coordinate(limit: int, what: str) -> Linter:
    def check(text: str) -> Fault:
        return None if int(text) <= limit else (0, f"{what} {text} is above {limit}")

    return check


LINTERS: dict[str, Linter] = {
    "csum": _csum,
    "csumalpha": _csumalpha,
    "yymmd0": lambda t: _date(t, century=False, zero_day=True),
    "yymmdd": lambda t: _date(t, century=False, zero_day=False),
    "yyyymmdd": lambda t: _date(t, century=True, zero_day=False),
    "yyyymmd0": lambda t: _date(t, century=True, zero_day=True),
    "hh": _bounded(23, "hour"),
    "mi": _bounded(59, "minute"),
    "ss": _bounded(59, "second"),
    "hhmi": _hhmi,
    "nonzero": lambda t: (0, "must not be zero") if int(t) == 0 else None,
    "zero": lambda t: None if t == "0" else (0, "must be 0"),
    "yesno": _one_of("0 1", "0 (no) or 1 (yes)"),
    "winding": _one_of("0 1 9", "a winding direction (0, 1 or 9)"),
    "iso5218": _one_of("0 1 2 9", "an ISO/IEC 5218 sex code (0, 1, 2 or 9)"),
    "hyphen": lambda t: None if t == "-" else (0, "must be '-'"),
    "pieceoftotal": _pieceoftotal,
    "nozeroprefix": lambda t: (0, "must not start with 0") if len(t) > 1 and t[0] == "0" else None,
    "hasnondigit": lambda t: None if not t.isdigit() else (0, "must contain a non-digit"),
    "pcenc": _pcenc,
    "posinseqslash": _posinseqslash,
    "importeridx": lambda t: (
        None if t.isascii() and (t.isalnum() or t in "-_") else (0, "not -, _, 0-9, A-Z or a-z")
    ),
    "latitude": _coordinate(1800000000, "latitude"),
    "longitude": _coordinate(3600000000, "longitude"),
}
