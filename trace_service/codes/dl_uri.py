"""GS1 Digital Link URI syntax 1.x: scheme and host, the path's primary key and qualifiers, and
query-string data attributes, each value percent-decoded and located in the input.

Rules follow the GS1 Digital Link Standard: URI Syntax (release 1.x) as GS1's reference syntax
engine applies it: RFC 3986 characters, an http(s) scheme written in one case, a host without
userinfo or zone id, the path ending in a primary key and its qualifiers in the dictionary's order
(anything before the rightmost key is the resolver's stem), numeric query parameters as validated
data attributes, and percent-encoding ('+' is a space only in the query string).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trace_service.codes.ai_table import ai_table
from trace_service.codes.ai_values import Element
from trace_service.codes.identifiers import GTIN_LENGTHS, InvalidSubject, is_ascii_digits

# RFC 3986 characters: unreserved, reserved and "%" (which must start a percent-encoded byte).
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
# GS1's engine accepts the scheme in lower or upper case, never mixed.
_SCHEMES = ("https://", "http://", "HTTPS://", "HTTP://")
# Reserved characters with no place in a host name (this also refuses userinfo and IPv6 zone ids).
_BAD_HOST_CHARS = frozenset("_~?#@!$&'()*+,;=%")
_HEX_PAIR = re.compile("[0-9A-Fa-f]{2}")
# Host and port (RFC 3986 3.2.2-3.2.3); like GS1's engine, the name itself is not judged further.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\[\]:]+)(?::[0-9]*)?")


@dataclass(frozen=True)
class DigitalLink:
    """A parsed Digital Link: the key and qualifiers of its path, then its query attributes."""

    path: list[Element]
    attributes: list[Element]
    other_params: list[str] = field(default_factory=list)  # e.g. linkType=all, kept undecoded
    stem: str = ""  # scheme, host and any path before the primary key


def _fault(index: int, reason: str) -> InvalidSubject:
    position = max(index, 0) + 1  # a subject path given without its leading "/" starts at -1
    return InvalidSubject(f"{reason} (position {position}).", position=position)


def _decode(raw: str, start: int, query: bool) -> tuple[str, tuple[int, ...]]:
    # Percent-decoding that remembers where each decoded character was written.
    chars: list[str] = []
    positions: list[int] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "%":
            if _HEX_PAIR.fullmatch(raw[i + 1 : i + 3]) is None:
                raise _fault(start + i, "'%' must start a percent-encoded byte such as %2F")
            byte = int(raw[i + 1 : i + 3], 16)
            if byte == 0 or byte > 0x7E:
                raise _fault(start + i, f"%{raw[i + 1 : i + 3]} is not a GS1 character")
            chars.append(chr(byte))
            positions.append(start + i)
            i += 3
            continue
        # "+" is a space only in a query string (application/x-www-form-urlencoded).
        chars.append(" " if query and ch == "+" else ch)
        positions.append(start + i)
        i += 1
    positions.append(start + len(raw))
    return "".join(chars), tuple(positions)


def check_path_gtin(element: Element) -> None:
    """Refuse a GTIN-8/12/13 as the (01) of a Digital Link path, pointing at its 14-digit form.

    GS1 Digital Link 1.x writes the GTIN as 14 digits, and GS1's reference engine refuses
    zero-suppressed GTINs there by default; so does the service (one spelling per item).
    """
    value = element.value
    if element.ai == "01" and len(value) in GTIN_LENGTHS[:-1] and is_ascii_digits(value):
        raise InvalidSubject(
            f"(01) {value!r}: a Digital Link path carries the GTIN as 14 digits; "
            f"write /01/{value.zfill(14)} (position {element.position()}).",
            position=element.position(),
            ai="01",
        )


def _path(path: str, start: int) -> tuple[list[Element], int]:
    # Walk back from the end over /AI/value pairs: the rightmost primary key starts
    # the Digital Link path and anything before it is the resolver's own stem.
    table = ai_table()
    segments: list[tuple[str, int]] = []
    offset = start + 1
    for segment in path[1:].split("/"):
        segments.append((segment, offset))
        offset += len(segment) + 1
    root = None
    i = len(segments) - 2
    while i >= 0:
        ai = segments[i][0]
        if not (ai.isascii() and ai.isdigit()) or table.get(ai) is None:
            break
        if table.is_dl_key(ai):
            root = i
            break
        i -= 2
    if root is None:
        raise _fault(
            start,
            "no GS1 Digital Link primary key such as /01/<gtin> or /00/<sscc> ends the path "
            "(write '/' inside a value as %2F)",
        )
    elements = []
    for (ai, _), (raw, at) in zip(segments[root::2], segments[root + 1 :: 2], strict=True):
        if not raw:
            raise _fault(at, f"/{ai}/ has an empty value")
        value, positions = _decode(raw, at, query=False)
        element = Element(ai, value, positions)
        check_path_gtin(element)
        elements.append(element)
    sequence = tuple(e.ai for e in elements)
    if sequence not in table.dl_paths:
        key = table.get(sequence[0])
        allowed = " or ".join("/".join(q) or "none" for q in (key and key.dl_qualifiers) or ())
        raise _fault(
            elements[1].position() - 1 if len(elements) > 1 else segments[root][1],
            f"after /{sequence[0]}/… the qualifiers allowed, in this order, are {allowed}; "
            f"got /{'/'.join(sequence[1:])}",
        )
    return elements, segments[root][1] - 1


def _query(query: str, start: int, path: list[Element]) -> tuple[list[Element], list[str]]:
    # Numeric keys are AIs (and must be known ones); other parameters (linkType...) pass through.
    table = ai_table()
    attributes: list[Element] = []
    others: list[str] = []
    at = start
    for param in query.split("&"):
        param_start, at = at, at + len(param) + 1
        if not param:
            continue
        key, eq, raw = param.partition("=")
        if not (eq and key.isascii() and key.isdigit()):
            others.append(param)
            continue
        entry = table.get(key)
        if entry is None:
            raise _fault(param_start, f"?{key}= is not a GS1 Application Identifier")
        value_start = param_start + len(key) + 1
        if not raw:
            raise _fault(value_start, f"?{key}= has an empty value")
        value, positions = _decode(raw, value_start, query=True)
        if key == "01" and len(value) in GTIN_LENGTHS[:-1] and value.isdigit():
            # A zero-suppressed GTIN in the query string is padded (GS1's reference engine does).
            positions = (value_start,) * (14 - len(value)) + positions
            value = value.zfill(14)
        element = Element(key, value, positions)
        if any(e.ai == key for e in (*path, *attributes)):
            raise _fault(param_start, f"({key}) is given twice")
        if not entry.dl_attribute:
            raise _fault(param_start, f"({key}) {entry.title} is not a Digital Link data attribute")
        keys = [e.ai for e in path]
        for i in range(1, len(keys) + 1):
            if (*keys[:i], key, *keys[i:]) in table.dl_paths:
                raise _fault(
                    param_start, f"({key}) {entry.title} is a key qualifier: put it in the path"
                )
        attributes.append(element)
    return attributes, others


def parse_path(text: str, start: int = 0) -> DigitalLink:
    """Parse Digital Link path info ("/01/…/21/…", optionally "?…" and "#…") at input `start`.

    Raises InvalidSubject naming the position of the first fault.
    """
    for i, ch in enumerate(text):
        if ch not in _URI_CHARS:
            shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            raise _fault(start + i, f"{shown} may not appear in a URI; percent-encode it")
    path_info = text.split("#", 1)[0]
    path, question, query = path_info.partition("?")
    if not path.startswith("/"):
        raise _fault(start, "the path must start with '/'")
    elements, stem_end = _path(path, start)
    attributes, others = _query(query, start + len(path) + 1, elements) if question else ([], [])
    return DigitalLink(elements, attributes, others, stem=text[: stem_end - start])


def parse_uri(text: str, start: int = 0) -> DigitalLink:
    """Parse an http(s) GS1 Digital Link URI found at input index `start`.

    Raises InvalidSubject naming the position of the first fault.
    """
    scheme = next((s for s in _SCHEMES if text.startswith(s)), None)
    if scheme is None:
        raise _fault(start, "a Digital Link URI starts with https:// or http:// (one case only)")
    host_end = text.find("/", len(scheme))
    host = text[len(scheme) : host_end if host_end != -1 else len(text)]
    if host_end == -1 or not host:
        raise _fault(start + len(scheme), "a Digital Link URI needs a host and then a path")
    for i, ch in enumerate(host):
        if ch in _BAD_HOST_CHARS or ch not in _URI_CHARS:
            raise _fault(start + len(scheme) + i, f"{ch!r} may not appear in the host")
    if _HOST.fullmatch(host) is None:
        raise _fault(start + len(scheme), f"{host!r} is not a host name, [IPv6] or IPv4 address")
    link = parse_path(text[host_end:], start + host_end)
    return DigitalLink(link.path, link.attributes, link.other_params, text[:host_end] + link.stem)
