"""What an event touches: the kind of its subject, and the subjects and parties it names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

State = dict[str, Any]


def subject_kind(subject: str) -> str:
    if subject.startswith("01/"):
        return "item"
    if subject.startswith("00/") or subject.startswith("wb/"):
        return "parcel"
    if subject.startswith("party/"):
        return "party"
    if subject.startswith("case/"):
        return "case"
    if subject == "ratings":
        return "ratings"
    return "unknown"


def referenced_subjects(
    payload: Mapping[str, Any], state_of: Callable[[str], State | None] | None = None
) -> set[str]:
    """Every subject whose state the rules need for this payload.

    A receipt changes the parcel's items too; they are found through `state_of` (the parcel's
    current state) when it is given.
    """
    subject = str(payload["subject"])
    subjects = {subject}
    if payload.get("type") == "dispatch":
        subjects.update(str(s) for s in payload.get("items", ()))
    elif payload.get("type") == "receipt" and state_of is not None:
        parcel = state_of(subject)
        if parcel is not None:
            subjects.update(parcel.get("items", ()))
    return subjects


def referenced_parties(payload: Mapping[str, Any]) -> set[str]:
    parties = set()
    for key in ("platform", "courier", "from"):
        if isinstance(payload.get(key), str):
            parties.add(payload[key])
    shares = payload.get("shares")
    if isinstance(shares, list):
        parties.update(s["party"] for s in shares if isinstance(s, dict) and "party" in s)
    subject = str(payload.get("subject", ""))
    if subject.startswith("party/"):
        parties.add(subject.removeprefix("party/"))
    return parties


def item_gtin(subject: str) -> str:
    return subject.split("/")[1]
