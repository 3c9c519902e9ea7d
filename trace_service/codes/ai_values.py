"""GS1 AI data as GS1 validates it: each value against its AI's format, and the message as a whole
against repeated AIs, invalid pairings (ex) and mandatory associations (req).

Every fault is a DomainError naming the AI and the 1-based position in the text the user gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trace_service.codes.ai_linters import LINTERS, UNCHECKED_LINTERS
from trace_service.codes.ai_table import AiEntry, ai_table, matches
from trace_service.codes.identifiers import (
    CS82,
    InvalidGtin,
    InvalidLot,
    InvalidSerial,
    InvalidSscc,
    InvalidSubject,
)
from trace_service.errors import DomainError

CHARSETS = {
    "N": (frozenset("0123456789"), "a digit"),
    "X": (CS82, "in GS1 character set 82"),
    "Y": (frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "in GS1 character set 39"),
    "Z": (
        frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="),
        "in GS1 character set 64 (base64url)",
    ),
}

# The identifier errors the service has always reported for its own keys' values.
_ERRORS: dict[str, type[DomainError]] = {
    "00": InvalidSscc,
    "01": InvalidGtin,
    "02": InvalidGtin,
    "10": InvalidLot,
    "21": InvalidSerial,
}


@dataclass(frozen=True)
class Element:
    """One AI and its value, with where each value character sits in the input (0-based)."""

    ai: str
    value: str
    positions: tuple[int, ...]  # len(value) + 1 entries: the last is just past the value

    @classmethod
    def at(cls, ai: str, value: str, start: int) -> Element:
        """An element whose value was read unchanged from input index `start` onwards."""
        return cls(ai, value, tuple(range(start, start + len(value) + 1)))

    def position(self, offset: int = 0) -> int:
        """The 1-based input position of value character `offset` (or of the value's end)."""
        return self.positions[min(offset, len(self.positions) - 1)] + 1


def element_error(
    element: Element, offset: int, reason: str, error: type[DomainError] | None = None
) -> DomainError:
    """A fault in an element's value, as the error its AI calls for unless `error` is given."""
    entry = ai_table().get(element.ai)
    title = f" {entry.title}" if entry else ""
    position = element.position(offset)
    error = error or _ERRORS.get(element.ai, InvalidSubject)
    return error(
        f"({element.ai}){title} {element.value!r}: {reason} (position {position}).",
        position=position,
        ai=element.ai,
    )


def _char_fault(component: str, part: str) -> tuple[int, str] | None:
    allowed, name = CHARSETS[component]
    for i, ch in enumerate(part):
        if ch not in allowed:
            shown = repr(ch) if ch.isprintable() else f"U+{ord(ch):04X}"
            return i, f"{shown} is not {name}"
    return None


def check_value(entry: AiEntry, element: Element) -> None:
    """Check one value against its AI's components; raises the AI's error naming the position."""
    value = element.value
    if not value:
        raise element_error(element, 0, "the value is empty")
    if len(value) > entry.max_length:
        raise element_error(element, entry.max_length, f"longer than {entry.max_length}")
    start = 0
    for component in entry.components:
        left = len(value) - start
        if left == 0 and component.optional:
            break
        if left < component.min_length:
            need = sum(c.min_length for c in entry.components if not c.optional)
            raise element_error(element, len(value), f"too short; needs {need} characters")
        part = value[start : start + min(left, component.max_length)]
        fault = _char_fault(component.charset, part)
        for name in component.linters:
            if fault is not None:
                break
            if name not in UNCHECKED_LINTERS:
                fault = LINTERS[name](part)
        if fault is not None:
            raise element_error(element, start + fault[0], fault[1])
        start += len(part)
    if start < len(value):
        raise element_error(element, start, f"longer than {start} characters")


def check_message(elements: Sequence[Element]) -> list[Element]:
    """Validate AI data as one message; returns it without repeats of an identical AI and value.

    Raises InvalidSubject (or the AI's identifier error) for an unknown AI, a bad value, an AI
    repeated with a different value, an invalid pairing (ex) or a missing association (req).
    """
    table = ai_table()
    unique: dict[str, Element] = {}
    for element in elements:
        entry = table.get(element.ai)
        if entry is None:
            raise InvalidSubject(
                f"({element.ai}) is not a GS1 Application Identifier "
                f"(position {element.position() - len(element.ai)}).",
                position=element.position() - len(element.ai),
                ai=element.ai,
            )
        check_value(entry, element)
        first = unique.setdefault(element.ai, element)
        if first.value != element.value:
            raise element_error(
                element,
                0,
                f"({element.ai}) already given as {first.value!r} with another value",
                InvalidSubject,
            )
    present = list(unique)
    for element in unique.values():
        entry = table.get(element.ai)
        assert entry is not None  # checked above
        for pattern in entry.excludes:
            clash = next((ai for ai in present if ai != element.ai and matches(pattern, ai)), None)
            if clash is not None:
                raise element_error(
                    element, 0, f"({element.ai}) may not appear with ({clash})", InvalidSubject
                )
        for alternatives in entry.requires:
            if not any(
                all(any(matches(p, ai) for ai in present) for p in alternative)
                for alternative in alternatives
            ):
                wanted = " or ".join("+".join(f"({p})" for p in alt) for alt in alternatives)
                raise element_error(
                    element, 0, f"({element.ai}) needs {wanted} with it", InvalidSubject
                )
    return list(unique.values())
