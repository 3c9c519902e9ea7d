"""GS1 Application Identifiers as GS1's Barcode Syntax Dictionary defines them.

The dictionary (``gs1-syntax-dictionary.txt`` beside this module, shipped verbatim by
``scripts/gs1_dictionary.py``) is read as data: each AI's components (type, length, linters), its
mandatory associations (``req``), invalid pairings (``ex``) and, for GS1 Digital Link, whether it is
a primary key (``dlpkey``, with its ordered qualifiers) or a permitted data attribute (flag ``?``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import combinations

DICTIONARY = "gs1-syntax-dictionary.txt"

# "N6", "X..20", "[N3],iso3166", "N13,csum,gcppos1": optional brackets, type, length, linters.
_COMPONENT = re.compile(r"(\[)?([NXYZ])(\.\.)?(\d+)(\])?((?:,[a-z0-9]+)*)")
_AI_RANGE = re.compile(r"(\d{2,4})(?:-(\d{2,4}))?")

Pattern = str  # an AI or an AI pattern such as "31nn" ('n' stands for any digit)


@dataclass(frozen=True)
class Component:
    """One part of an AI's value: its character set, length bounds and content linters."""

    charset: str  # N numeric, X character set 82, Y character set 39, Z base64url
    min_length: int
    max_length: int
    optional: bool
    linters: tuple[str, ...]


@dataclass(frozen=True)
class AiEntry:
    """An Application Identifier's syntax and pairing rules."""

    ai: str
    title: str
    predefined_length: bool  # flag "*": never followed by an FNC1 separator
    dl_attribute: bool  # flag "?": may be a Digital Link query-string data attribute
    components: tuple[Component, ...]
    requires: tuple[tuple[tuple[Pattern, ...], ...], ...]  # every req: one alternative (all of +)
    excludes: tuple[Pattern, ...]
    dl_qualifiers: tuple[tuple[str, ...], ...] | None  # None unless a Digital Link primary key

    @property
    def max_length(self) -> int:
        return sum(c.max_length for c in self.components)


def matches(pattern: Pattern, ai: str) -> bool:
    """True if `ai` is `pattern`, where an 'n' in the pattern stands for any digit."""
    return len(pattern) == len(ai) and all(
        p == a or (p == "n" and a.isdigit()) for p, a in zip(pattern, ai, strict=True)
    )


class AiTable:
    """All AIs of one dictionary release, looked up by AI or by the start of raw AI data."""

    def __init__(self, entries: dict[str, AiEntry]) -> None:
        self.entries = entries
        self.dl_paths = frozenset(
            (entry.ai, *subset)
            for entry in entries.values()
            for qualifiers in entry.dl_qualifiers or ()
            for size in range(len(qualifiers) + 1)
            for subset in combinations(qualifiers, size)  # order-preserving subsequences
        )

    def get(self, ai: str) -> AiEntry | None:
        return self.entries.get(ai)

    def at_start(self, data: str) -> AiEntry | None:
        """The AI that `data` starts with; GS1 allocates AIs so at most one length matches."""
        for length in (2, 3, 4):
            entry = self.entries.get(data[:length])
            if entry is not None:
                return entry
        return None

    def is_dl_key(self, ai: str) -> bool:
        return (ai,) in self.dl_paths

    @property
    def linters(self) -> frozenset[str]:
        return frozenset(
            name for e in self.entries.values() for c in e.components for name in c.linters
        )


def _component(token: str, line: str) -> Component:
    match = _COMPONENT.fullmatch(token)
    if match is None or bool(match[1]) != bool(match[5]):
        raise ValueError(f"unreadable component {token!r} in {line!r}")
    length = int(match[4])
    linters = tuple(name for name in match[6].split(",") if name)
    return Component(match[2], 1 if match[3] else length, length, bool(match[1]), linters)


def _ais(spec: str, line: str) -> list[str]:
    match = _AI_RANGE.fullmatch(spec)
    if match is None:
        raise ValueError(f"unreadable AI {spec!r} in {line!r}")
    first, last = match[1], match[2] or match[1]
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


def parse_dictionary(text: str) -> AiTable:
    """Read the dictionary's entry lines; raises ValueError on a line it cannot read."""
    entries: dict[str, AiEntry] = {}
    for raw in text.splitlines():
        line, _, title = raw.partition("#")
        tokens = line.split()
        if not tokens:
            continue
        spec, rest = tokens[0], tokens[1:]
        flags = rest.pop(0) if rest and not any(ch.isalnum() for ch in rest[0]) else ""
        components: list[Component] = []
        requires: list[tuple[tuple[Pattern, ...], ...]] = []
        excludes: list[Pattern] = []
        qualifiers: list[tuple[str, ...]] | None = None
        for token in rest:
            key, _, value = token.partition("=")
            if key == "req":
                requires.append(tuple(tuple(alt.split("+")) for alt in value.split(",")))
            elif key == "ex":
                excludes.extend(value.split(","))
            elif key == "dlpkey":
                qualifiers = [tuple(q.split(",")) if q else () for q in value.split("|")]
            else:
                components.append(_component(token, raw))
        for ai in _ais(spec, raw):
            entries[ai] = AiEntry(
                ai=ai,
                title=title.strip(),
                predefined_length="*" in flags,
                dl_attribute="?" in flags,
                components=tuple(components),
                requires=tuple(requires),
                excludes=tuple(excludes),
                dl_qualifiers=None if qualifiers is None else tuple(qualifiers),
            )
    return AiTable(entries)


@cache
def ai_table() -> AiTable:
    """The AI table of the shipped dictionary release (read once)."""
    text = resources.files(__package__).joinpath(DICTIONARY).read_text(encoding="utf-8")
    return parse_dictionary(text)
