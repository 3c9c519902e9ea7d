"""GS1 Digital Link subjects: the canonical keys of items, lots and parcels, and their URIs.

A subject is the path part of a GS1 Digital Link URI (https://ref.gs1.org/standards/digital-link/):
``01/<gtin14>/21/<serial>`` for a serialised item, ``01/<gtin14>/10/<lot>`` for a lot and
``00/<sscc>`` for a parcel, with values percent-encoded so that every subject has one spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Literal
from urllib.parse import quote, unquote, urlsplit

import biip
from biip.gs1_messages import GS1Message

from trace_service.codes.identifiers import (
    GTIN_LENGTHS,
    SSCC_LENGTH,
    is_ascii_digits,
    parse_gtin,
    parse_lot,
    parse_serial,
    parse_sscc,
)
from trace_service.errors import DomainError

SubjectKind = Literal["item", "lot", "parcel"]

# GTIN key qualifiers that would change which thing is named; the service keys only by 10 and 21.
_UNSUPPORTED_QUALIFIERS = {"22": "consumer product variant", "235": "third-party serial"}
_IDENTITY_AIS = ("00", "01", "10", "21")
# Digital Link requires the GTIN qualifiers in this order (lot before serial).
_GTIN_QUALIFIER_ORDER = ("10", "21")

_PATH_START = re.compile(r"/?[0-9]{2,4}/")
# A router has already percent-decoded the path, so the value of the last key takes the rest.
_DECODED_PATH = re.compile(
    r"/?(?:00/(?P<sscc>[^/]*)|01/(?P<gtin>[^/]*)/(?P<ai>10|21)/(?P<value>.*))"
)


class InvalidSubject(DomainError):
    code = "invalid_subject"
    status = 422
    title = "Invalid item or parcel identifier"


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


def parse_subject(text: str) -> SubjectRef:
    """Parse a subject path, a Digital Link URI, a "(01)…(21)…" element string or scanned GS1 data.

    Raises InvalidSubject when the text names no item, lot or parcel, and InvalidGtin,
    InvalidSscc, InvalidSerial or InvalidLot when it does but a part is invalid.
    """
    if not text:
        raise InvalidSubject("Nothing to parse.")
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError as exc:  # e.g. an unclosed "[" IPv6 host
            raise InvalidSubject(f"{text!r} is not a URI: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise InvalidSubject(f"A Digital Link URI must be http or https, not {parts.scheme!r}.")
        return _from_encoded_path(parts.path)
    if _PATH_START.match(text):
        return _from_encoded_path(text)
    if text.startswith("("):
        return _from_element_string(text)
    return _from_scan(text)


def parse_route_subject(path: str) -> SubjectRef:
    """Parse a subject from a URL path variable that the router has already percent-decoded.

    The value of the last key takes the rest of the path, so serials and lots may contain "/";
    a lot and a serial together are therefore not accepted here. Element strings and scanned
    data are accepted as in parse_subject; full URIs are not.
    Raises as parse_subject does.
    """
    if "://" in path:
        raise InvalidSubject("Give a subject path such as 01/<gtin>/21/<serial>, not a URI.")
    if _PATH_START.match(path):
        match = _DECODED_PATH.fullmatch(path)
        if match is None:
            raise InvalidSubject(
                f"{path!r} is not 00/<sscc>, 01/<gtin>/21/<serial> or 01/<gtin>/10/<lot>."
            )
        if match["sscc"] is not None:
            return _from_ais([("00", match["sscc"])])
        return _from_ais([("01", match["gtin"]), (match["ai"], match["value"])])
    return parse_subject(path)


def _from_encoded_path(path: str) -> SubjectRef:
    segments = path.lstrip("/").split("/")
    # A resolver may put its own path before the primary key; the key starts the (AI, value) pairs.
    for start, segment in enumerate(segments):
        if segment in ("00", "01") and (len(segments) - start) % 2 == 0:
            break
    else:
        raise InvalidSubject(
            f"{path!r} is not 00/<sscc> or 01/<gtin>/… with a value after each key "
            "(write '/' inside a value as %2F)."
        )
    keys = segments[start::2]
    qualifiers = keys[1:]
    if keys[0] == "01" and qualifiers != [q for q in _GTIN_QUALIFIER_ORDER if q in qualifiers]:
        raise InvalidSubject(
            f"{path!r}: after 01/<gtin> only 10/<lot> then 21/<serial> may follow."
        )
    pairs = []
    for ai, raw in zip(keys, segments[start + 1 :: 2], strict=True):
        try:
            pairs.append((ai, unquote(raw, errors="strict")))
        except UnicodeDecodeError:
            raise InvalidSubject(f"{path!r}: {raw!r} is not percent-encoded UTF-8.") from None
    return _from_ais(pairs)


def _from_element_string(text: str) -> SubjectRef:
    try:
        message = GS1Message.parse_hri(text)
    except biip.ParseError as exc:
        raise InvalidSubject(f"{text!r} is not a GS1 element string: {exc}") from None
    return _from_ais((e.ai.ai, e.value) for e in message.element_strings)


def _from_scan(text: str) -> SubjectRef:
    # Bare digits are ambiguous to biip (18 digits also parse as AI 10); a person typing
    # 18 digits means an SSCC, and a GTIN alone names a product, not an item.
    if is_ascii_digits(text):
        if len(text) == SSCC_LENGTH:
            return SubjectRef.for_parcel(text)
        if len(text) in GTIN_LENGTHS:
            return _from_ais([("01", text)])
    try:
        result = biip.parse(text)
    except (biip.ParseError, IndexError, ValueError) as exc:
        # biip 5.2 raises IndexError on a bare symbology prefix such as "]".
        raise InvalidSubject(f"{text!r} is not GS1 data: {exc}") from None
    if result.gs1_message is None:
        reason = result.gs1_message_error or "unrecognised"
        raise InvalidSubject(f"{text!r} is not GS1 data: {reason}")
    return _from_ais((e.ai.ai, e.value) for e in result.gs1_message.element_strings)


def _from_ais(pairs: Iterable[tuple[str, str]]) -> SubjectRef:
    ais: dict[str, str] = {}
    for ai, value in pairs:
        if ai in _UNSUPPORTED_QUALIFIERS:
            raise InvalidSubject(f"AI ({ai}) {_UNSUPPORTED_QUALIFIERS[ai]} is not supported.")
        if ai not in _IDENTITY_AIS:
            continue  # data attributes such as (17) expiry do not change which thing is named
        if ai in ais:
            raise InvalidSubject(f"AI ({ai}) appears more than once.")
        ais[ai] = value
    if "00" in ais:
        if len(ais) > 1:
            raise InvalidSubject("An SSCC (00) names a parcel on its own; drop the other keys.")
        return SubjectRef.for_parcel(ais["00"])
    if "01" not in ais:
        raise InvalidSubject("No GTIN (01) or SSCC (00) found.")
    if "21" in ais:
        return SubjectRef.for_item(ais["01"], ais["21"], lot=ais.get("10"))
    if "10" in ais:
        return SubjectRef.for_lot(ais["01"], ais["10"])
    parse_gtin(ais["01"])
    raise InvalidSubject(
        "A GTIN alone names a product, not an item: add a serial (21) or lot (10)."
    )
