"""GS1 element strings: bracketed "(01)…(21)…", unbracketed AI data separated by GS (FNC1), and
what scanners transmit: a symbology identifier (ISO/IEC 15424, as the GS1 General
Specifications list them for GS1 carriers) then the data.

Parsers here only split text into Elements, keeping every character (whitespace included) and
where it came from; ai_values.check_message judges them.
"""

from __future__ import annotations

from dataclasses import dataclass

from trace_service.codes.ai_linters import mod10_check_digit
from trace_service.codes.ai_table import ai_table
from trace_service.codes.ai_values import Element, element_error
from trace_service.codes.identifiers import InvalidSubject

GS = "\x1d"  # ASCII group separator: how a scanner transmits FNC1 as a field separator

# Symbology identifiers whose data is GS1 AI data (FNC1 in first position).
AI_SYMBOLOGIES = {
    "]C1": "GS1-128",
    "]e0": "GS1 DataBar / GS1 Composite",
    "]d2": "GS1 DataMatrix",
    "]Q3": "GS1 QR Code",
    "]J1": "GS1 DotCode",
}
# Plain-data symbologies: how a QR Code, Data Matrix or DotCode carries a Digital Link URI.
PLAIN_SYMBOLOGIES = {"]d1": "Data Matrix", "]Q1": "QR Code", "]J0": "DotCode"}
# EAN/UPC: the primary data is a GTIN-13 (]E0, also UPC-A/E as 13 digits) or a GTIN-8 (]E4).
EAN_SYMBOLOGIES = {"]E0": 13, "]E4": 8}


@dataclass(frozen=True)
class Scan:
    """What a symbology identifier says about its data: AI data, or plain text at an offset."""

    elements: list[Element] | None
    plain: str | None = None
    offset: int = 0


def _fault(position: int, reason: str) -> InvalidSubject:
    return InvalidSubject(f"{reason} (position {position + 1}).", position=position + 1)


def parse_bracketed(text: str) -> list[Element]:
    """Split "(01)09506000134352(10)L1" into elements; a literal "(" in a value is written "\\(".

    Raises InvalidSubject for an unknown or malformed AI, naming the position.
    """
    elements: list[Element] = []
    i = 0
    while i < len(text):
        if text[i] != "(":
            raise _fault(i, "an element string starts each AI with '('")
        close = text.find(")", i)
        ai = text[i + 1 : close] if close != -1 else text[i + 1 :]
        if close == -1 or not ai.isdigit() or not ai.isascii() or not 2 <= len(ai) <= 4:
            raise _fault(i, "expected an AI of 2-4 digits in brackets such as (01)")
        if ai_table().get(ai) is None:
            raise _fault(i + 1, f"({ai}) is not a GS1 Application Identifier")
        i = close + 1
        value: list[str] = []
        positions: list[int] = []
        while i < len(text) and text[i] != "(":
            if text.startswith("\\(", i):
                i += 1  # the escaped "(" is data
            value.append(text[i])
            positions.append(i)
            i += 1
        positions.append(i)
        elements.append(Element(ai, "".join(value), tuple(positions)))
    return elements


def parse_unbracketed(data: str, offset: int = 0) -> list[Element]:
    """Split raw AI data (FNC1 implied first, GS between fields) into elements.

    A predefined-length AI takes exactly its length; any other value runs to the next GS or the
    end. Raises InvalidSubject naming the position (offset is added to indices into `data`).
    """
    table = ai_table()
    elements: list[Element] = []
    i = 0
    if not data:
        raise _fault(offset, "no AI data")
    while i < len(data):
        entry = table.at_start(data[i:])
        if entry is None:
            raise _fault(offset + i, f"{data[i : i + 4]!r} does not start a GS1 AI")
        start = i + len(entry.ai)
        if entry.predefined_length:
            end = start + entry.max_length
            if end > len(data) or GS in data[start:end]:
                short = Element.at(entry.ai, data[start:end].split(GS)[0], offset + start)
                raise element_error(
                    short, len(short.value), f"needs {entry.max_length} characters before a GS"
                )
        else:
            found = data.find(GS, start)
            end = len(data) if found == -1 else found
        elements.append(Element.at(entry.ai, data[start:end], offset + start))
        i = end + 1 if data.startswith(GS, end) else end
    return elements


def read_scan(text: str) -> Scan:
    """Interpret a symbology identifier and return its AI data, or its plain data.

    Raises InvalidSubject for an unknown identifier or bad EAN/UPC data.
    """
    prefix = text[:3]
    if prefix in AI_SYMBOLOGIES:
        return Scan(parse_unbracketed(text[3:], offset=3))
    if prefix in PLAIN_SYMBOLOGIES:
        return Scan(None, plain=text[3:], offset=3)
    if prefix in EAN_SYMBOLOGIES:
        digits = text[3:]
        length = EAN_SYMBOLOGIES[prefix]
        if len(digits) != length or not (digits.isascii() and digits.isdigit()):
            raise _fault(3, f"{prefix} carries exactly {length} digits")
        if digits[-1] != str(mod10_check_digit(digits[:-1])):
            raise _fault(3 + length - 1, f"check digit {digits[-1]} is wrong")
        gtin = digits.zfill(14)
        return Scan([Element("01", gtin, tuple([3] * (14 - length) + list(range(3, 4 + length))))])
    raise _fault(0, f"unsupported symbology identifier {prefix!r}")
