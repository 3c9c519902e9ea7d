"""The chains of the lifecycle: items and lots (GS1 keys), parcels (SSCC or waybill) and parties,
as subject kinds registered in `lifecycle.record_types`."""

from __future__ import annotations

import re
from functools import lru_cache

from trace_service.codes.digital_link import parse_subject
from trace_service.errors import DomainError
from trace_service.ledger.record_errors import InvalidPayload
from trace_service.ledger.records import SubjectKind

# 运单号: a courier's waybill number, qualified by the courier company's party id.
WAYBILL = re.compile(r"^wb/[A-Za-z0-9_-]{1,32}/[A-Za-z0-9]{6,30}\Z")
PARTY = re.compile(r"^party/[A-Za-z0-9_-]{1,32}\Z")


@lru_cache(maxsize=65536)
def _canonical_gs1(subject: str) -> str:
    return parse_subject(subject).subject


def _gs1_key(subject: str) -> None:
    """A GS1 key subject (item, lot, SSCC) in its canonical form."""
    try:
        canonical = _canonical_gs1(subject)
    except DomainError as exc:
        raise InvalidPayload(
            f"{subject!r} is not a subject id: {exc.detail}", code="invalid_subject"
        ) from exc
    if canonical != subject:
        raise InvalidPayload(
            f"{subject!r} is not in canonical form; write {canonical!r}", code="invalid_subject"
        )


def _parcel(subject: str) -> None:
    if subject.startswith("wb/"):
        if not WAYBILL.match(subject):
            raise InvalidPayload(f"{subject!r} is not a subject id", code="invalid_subject")
        return
    _gs1_key(subject)


def _party(subject: str) -> None:
    if not PARTY.match(subject):
        raise InvalidPayload(f"{subject!r} is not a subject id", code="invalid_subject")


ITEM = SubjectKind("item", lambda s: s.startswith("01/"), _gs1_key)
PARCEL = SubjectKind("parcel", lambda s: s.startswith(("00/", "wb/")), _parcel)
PARTY_KIND = SubjectKind("party", lambda s: s.startswith("party/"), _party)
