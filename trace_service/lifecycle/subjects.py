"""Which strings name a subject: items and lots (GS1 keys), parcels (SSCC or waybill), parties,
complaint cases and the ratings series."""

from __future__ import annotations

import re
from functools import lru_cache

from trace_service.codes.digital_link import parse_subject
from trace_service.errors import DomainError
from trace_service.lifecycle.errors import InvalidPayload

# 运单号: a courier's waybill number, qualified by the courier company's party id.
WAYBILL = re.compile(r"^wb/[A-Za-z0-9_-]{1,32}/[A-Za-z0-9]{6,30}\Z")
PARTY = re.compile(r"^party/[A-Za-z0-9_-]{1,32}\Z")
# A complaint case (投诉案件): the attribution, objection and decisions about one complaint.
CASE = re.compile(r"^case/[0-9a-f]{64}\Z")
RATINGS = "ratings"  # the chain of rating snapshots


@lru_cache(maxsize=65536)
def _canonical_gs1(subject: str) -> str:
    return parse_subject(subject).subject


def validate_subject(subject: str, event_type: str) -> None:
    """Check that `subject` is a canonical subject id; raises InvalidPayload (invalid_subject)."""
    if subject.startswith("wb/"):
        if WAYBILL.match(subject):
            return
    elif subject.startswith("party/"):
        if PARTY.match(subject):
            return
    elif subject.startswith("case/"):
        if CASE.match(subject):
            return
    elif subject == RATINGS:
        return
    else:
        try:
            canonical = _canonical_gs1(subject)
        except DomainError as exc:
            raise InvalidPayload(
                f"{subject!r} is not a subject id: {exc.detail}", code="invalid_subject"
            ) from exc
        if canonical == subject:
            return
        raise InvalidPayload(
            f"{subject!r} is not in canonical form; write {canonical!r}", code="invalid_subject"
        )
    raise InvalidPayload(f"{subject!r} is not a subject id", code="invalid_subject")
