"""GS1 Digital Link subjects: the canonical keys of items, lots and parcels, and their URIs.

A subject is the path part of a GS1 Digital Link URI (https://ref.gs1.org/standards/digital-link/):
``01/<gtin14>/21/<serial>`` for a serialised item, ``01/<gtin14>/10/<lot>`` for a lot and
``00/<sscc>`` for a parcel, with values percent-encoded so that every subject has one spelling.

Input is read as GS1 defines it (element strings, scanner data, Digital Link URIs: see
element_strings and dl_uri) and validated against GS1's Syntax Dictionary (ai_values) before it
is mapped to a subject; nothing is dropped or repaired on the way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal
from urllib.parse import quote

from trace_service.codes.ai_table import ai_table
from trace_service.codes.ai_values import Element, check_message
from trace_service.codes.dl_uri import check_path_gtin, parse_path, parse_uri
from trace_service.codes.element_strings import (
    parse_bracketed,
    parse_unbracketed,
    read_scan,
)
from trace_service.codes.identifiers import (
    GTIN_LENGTHS,
    SSCC_LENGTH,
    InvalidSubject,
    is_ascii_digits,
    parse_gtin,
    parse_lot,
    parse_serial,
    parse_sscc,
)

__all__ = [
    "Gs1Reading",
    "InvalidSubject",
    "SubjectRef",
    "UnsupportedSubject",
    "digital_link_uri",
    "item_subject",
    "lot_subject",
    "parse_gs1",
    "parse_route_subject",
    "parse_subject",
    "sscc_subject",
]

SubjectKind = Literal["item", "lot", "parcel"]

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_PATH_START = re.compile(r"/?[0-9]{2,4}/")
# A router has already percent-decoded the path, so the value of the last key takes the rest.
_DECODED_PATH = re.compile(
    r"/?(?:00/(?P<sscc>[^/]*)|01/(?P<gtin>[^/]*)/(?P<ai>10|21)/(?P<value>.*))"
)


class UnsupportedSubject(InvalidSubject):
    """Valid GS1 data that names something the service does not key: no item, lot or parcel."""

    code = "unsupported_subject"
    title = "Valid GS1 data that names no item, lot or parcel"


def _encode(value: str) -> str:
    # Only URI-unreserved characters stay literal, so "A/B%1" has exactly one spelling.
    return quote(value, safe="")


@dataclass(frozen=True)
class SubjectRef:
    """A validated item, lot or parcel identity.

    Construction raises InvalidSubject for a wrong shape and the identifier errors for bad parts.
    """

    kind: SubjectKind
    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    sscc: str | None = None

    def __post_init__(self) -> None:
        # Checked here, not only in the parsers, so a renderer can trust any SubjectRef it gets.
        present = {f.name for f in fields(self) if getattr(self, f.name) is not None} - {"kind"}
        if self.kind not in _SHAPES:
            raise InvalidSubject(f"Kind {self.kind!r} is not item, lot or parcel.")
        required, allowed = _SHAPES[self.kind]
        if not required <= present <= allowed:
            raise InvalidSubject(
                f"A {self.kind} needs {sorted(required)} and allows {sorted(allowed)}; "
                f"got {sorted(present)}."
            )
        if self.gtin is not None and parse_gtin(self.gtin) != self.gtin:
            raise InvalidSubject(f"GTIN {self.gtin!r} must be written as a GTIN-14.")
        if self.serial is not None:
            parse_serial(self.serial)
        if self.lot is not None:
            parse_lot(self.lot)
        if self.sscc is not None:
            parse_sscc(self.sscc)

    @classmethod
    def for_item(cls, gtin: str, serial: str, lot: str | None = None) -> SubjectRef:
        """A serialised item; raises InvalidGtin, InvalidSerial or InvalidLot."""
        return cls("item", gtin=parse_gtin(gtin), serial=serial, lot=lot)

    @classmethod
    def for_lot(cls, gtin: str, lot: str) -> SubjectRef:
        """A lot (batch) of a product; raises InvalidGtin or InvalidLot."""
        return cls("lot", gtin=parse_gtin(gtin), lot=lot)

    @classmethod
    def for_parcel(cls, sscc: str) -> SubjectRef:
        """A parcel identified by its SSCC; raises InvalidSscc."""
        return cls("parcel", sscc=sscc)

    @property
    def element_fields(self) -> list[tuple[str, str]]:
        """(AI, value) pairs in Digital Link order, e.g. [("01", gtin), ("21", serial)]."""
        pairs = [("00", self.sscc), ("01", self.gtin), ("10", self.lot), ("21", self.serial)]
        return [(ai, value) for ai, value in pairs if value is not None]

    @property
    def element_string(self) -> str:
        """The human-readable GS1 element string, e.g. "(01)09506000134352(21)ABC"."""
        return "".join(f"({ai}){value}" for ai, value in self.element_fields)

    @property
    def subject(self) -> str:
        """The canonical subject id: the service's key for this item, lot or parcel."""
        if self.kind == "parcel":
            return f"00/{self.sscc}"
        if self.kind == "lot":
            return f"01/{self.gtin}/10/{_encode(self.lot or '')}"
        # The serial alone identifies the unit, so the lot never enters the key.
        return f"01/{self.gtin}/21/{_encode(self.serial or '')}"

    def uri(self, base_url: str) -> str:
        """The GS1 Digital Link URI of this subject on the given resolver."""
        return digital_link_uri(base_url, self.subject)


_SHAPES: dict[str, tuple[set[str], set[str]]] = {
    "item": ({"gtin", "serial"}, {"gtin", "serial", "lot"}),
    "lot": ({"gtin", "lot"}, {"gtin", "lot"}),
    "parcel": ({"sscc"}, {"sscc"}),
}


def item_subject(gtin14: str, serial: str) -> str:
    """The subject id "01/<gtin14>/21/<serial>"; raises InvalidGtin or InvalidSerial."""
    return SubjectRef.for_item(gtin14, serial).subject


def lot_subject(gtin14: str, lot: str) -> str:
    """The subject id "01/<gtin14>/10/<lot>"; raises InvalidGtin or InvalidLot."""
    return SubjectRef.for_lot(gtin14, lot).subject


def sscc_subject(sscc: str) -> str:
    """The subject id "00/<sscc>"; raises InvalidSscc."""
    return SubjectRef.for_parcel(sscc).subject


def digital_link_uri(base_url: str, subject: str) -> str:
    """The Digital Link URI for a subject id on a resolver base URL (no trailing slash)."""
    return f"{base_url.rstrip('/')}/{subject.lstrip('/')}"


@dataclass(frozen=True)
class Gs1Reading:
    """What a text names (ref) and every GS1 element it carries, attributes included."""

    ref: SubjectRef
    elements: tuple[Element, ...]


def parse_gs1(text: str) -> Gs1Reading:
    """Read a subject path, Digital Link URI, element string or scanned GS1 data, as GS1 does.

    Raises InvalidSubject (or InvalidGtin, InvalidSscc, InvalidSerial, InvalidLot for those AIs'
    values) naming the position of the first fault, and UnsupportedSubject for valid GS1 data
    that names no item, lot or parcel.
    """
    return _reading(_elements(text))


def parse_subject(text: str) -> SubjectRef:
    """The item, lot or parcel a text names; raises as parse_gs1 does."""
    return parse_gs1(text).ref


def _elements(text: str) -> list[Element]:
    if not text:
        raise InvalidSubject("Nothing to parse.")
    if _SCHEME.match(text):
        link = parse_uri(text)
        return [*link.path, *link.attributes]
    if _PATH_START.match(text):
        # A subject path is Digital Link path info without the resolver's scheme and host.
        link = parse_path(text if text.startswith("/") else "/" + text, 0 if text[0] == "/" else -1)
        return [*link.path, *link.attributes]
    if text.startswith("("):
        return parse_bracketed(text)
    if text.startswith("]"):
        scan = read_scan(text)
        if scan.elements is not None:
            return scan.elements
        plain = scan.plain or ""
        if not _SCHEME.match(plain):
            raise InvalidSubject(
                f"{text[: scan.offset]} carries plain data, and this is no Digital Link URI "
                f"(position {scan.offset + 1}).",
                position=scan.offset + 1,
            )
        link = parse_uri(plain, scan.offset)
        return [*link.path, *link.attributes]
    # Bare digits are ambiguous (18 digits are also AI 10 and a value): a person typing
    # 18 digits means an SSCC, and a GTIN alone names a product, not an item.
    if is_ascii_digits(text) and len(text) == SSCC_LENGTH:
        return [Element.at("00", text, 0)]
    if is_ascii_digits(text) and len(text) in GTIN_LENGTHS:
        parse_gtin(text)
        raise InvalidSubject(
            "A GTIN alone names a product, not an item: add a serial (21) or lot (10)."
        )
    return parse_unbracketed(text)


def _reading(elements: Sequence[Element]) -> Gs1Reading:
    unique = check_message(elements)
    ais = {e.ai: e.value for e in unique}
    if "00" in ais:
        # The SSCC names the logistic unit; (02) content, (37) count, (10) lot... describe it.
        ref = SubjectRef.for_parcel(ais["00"])
    elif "01" in ais and ("22" in ais or "235" in ais):
        qualifier = "22" if "22" in ais else "235"
        raise UnsupportedSubject(
            f"({qualifier}) {_title(qualifier)} qualifies the GTIN; the service names items by "
            "(01)+(21) and lots by (01)+(10) only.",
            ai=qualifier,
        )
    elif "01" in ais and "21" in ais:
        ref = SubjectRef.for_item(ais["01"], ais["21"], lot=ais.get("10"))
    elif "01" in ais and "10" in ais:
        ref = SubjectRef.for_lot(ais["01"], ais["10"])
    elif "01" in ais:
        raise InvalidSubject(
            "A GTIN alone names a product, not an item: add a serial (21) or lot (10)."
        )
    else:
        keys = [ai for ai in ais if ai_table().is_dl_key(ai)]
        if keys:
            raise UnsupportedSubject(
                f"({keys[0]}) {_title(keys[0])} is a GS1 key, but not of an item, lot or parcel.",
                ai=keys[0],
            )
        raise InvalidSubject("No GTIN (01) or SSCC (00) found.")
    return Gs1Reading(ref, tuple(unique))


def _title(ai: str) -> str:
    entry = ai_table().get(ai)
    return entry.title if entry else ""


def parse_route_subject(path: str) -> SubjectRef:
    """Parse a subject from a URL path variable that the router has already percent-decoded.

    The value of the last key takes the rest of the path, so serials and lots may contain "/";
    a lot and a serial together are therefore not accepted here (the resolver reads the raw
    request URI instead). Element strings and scanned data are accepted as in parse_subject;
    full URIs are not. Raises as parse_subject does.
    """
    if "://" in path:
        raise InvalidSubject("Give a subject path such as 01/<gtin>/21/<serial>, not a URI.")
    if not _PATH_START.match(path):
        return parse_subject(path)
    match = _DECODED_PATH.fullmatch(path)
    if match is None:
        raise InvalidSubject(
            f"{path!r} is not 00/<sscc>, 01/<gtin>/21/<serial> or 01/<gtin>/10/<lot>."
        )
    if match["sscc"] is not None:
        elements = [Element.at("00", match["sscc"], match.start("sscc"))]
    else:
        gtin = Element.at("01", match["gtin"], match.start("gtin"))
        check_path_gtin(gtin)
        elements = [gtin, Element.at(match["ai"], match["value"], match.start("value"))]
    return _reading(elements).ref
