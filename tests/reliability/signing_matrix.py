"""Who may sign what: the events each role signs, now, on a fresh subject (an accepted one disturbs
no other), and what the service must answer.

Signed event writes (``POST /events``, ``POST /events/batch``) are authorised by the signatures
alone, so the access table (`access_matrix.TABLE`) marks their rows ``EVENTS`` and the cases are
here: a key the service does not know is 422 ``unknown_key``; a signer not entitled to the event
is 403 with the lifecycle rule's code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.reliability.access_matrix import Expect, Scene

Event = Callable[[Scene, str], Any]
SHANGHAI = {"city": "上海"}


def delivery(s: Scene, role: str) -> Any:
    return s.envelope("delivery", s.held_parcel(), role, method="in_person", consent=True,
                      location={"name": "长宁投递段", **SHANGHAI}, condition="intact",
                      weight_g=500)  # fmt: skip


def receipt(s: Scene, role: str) -> Any:
    return s.envelope("receipt", s.delivered_parcel(), role, condition="intact")


def takeover(s: Scene, *signers: str) -> Any:
    """A handoff from the holder (`staff_holding`) to the first signer."""
    return s.envelope("handoff", s.held_parcel(), *signers, from_=s.ids["staff_holding"],
                      location={"name": "长宁分拨中心", **SHANGHAI}, condition="intact",
                      weight_g=500)  # fmt: skip


def countersigned_takeover(s: Scene, role: str) -> Any:
    return takeover(s, role, "staff_holding")


def listing(s: Scene, role: str) -> Any:
    gtin = s.ids["suspended_gtin13"] if role == "suspended" else None
    return s.envelope("listing", s.item(gtin), role, platform=s.ids["platform"],
                      listing_ref="L-AC", price={"amount": "9.90", "currency": "CNY"})  # fmt: skip


def commitment_for(party_role: str | None) -> Event:
    """A credit commitment (信用承诺) in the name of `party_role` (None: the signer's own)."""

    def build(s: Scene, role: str) -> Any:
        party = s.ids[party_role or role]
        return s.envelope("commitment", f"party/{party}", role, standard="信用承诺书 v1",
                          text="依法经营，保护用户个人信息。")  # fmt: skip

    return build


def complaint(s: Scene, role: str) -> Any:
    return s.envelope("complaint", s.held_parcel(), role, category="delayed",
                      description="超过承诺时限仍未送达。")  # fmt: skip


@dataclass(frozen=True)
class EventCase:
    """An event a role signs, and what the service must answer."""

    role: str
    event: str
    build: Event
    expect: Expect


EVENT_CASES: tuple[EventCase, ...] = (
    EventCase("anonymous", "delivery of a parcel by an unregistered key", delivery,
              Expect(422, "unknown_key")),
    EventCase("buyer", "receipt of its delivered parcel", receipt, Expect(201)),
    EventCase("buyer", "handoff taking custody of a parcel", takeover,
              Expect(403, "wrong_signer")),
    EventCase("merchant", "listing of its own product", listing, Expect(201)),
    EventCase("merchant", "delivery of its parcel", delivery, Expect(403, "wrong_signer")),
    EventCase("staff_holding", "delivery of the parcel it holds", delivery, Expect(201)),
    EventCase("staff_holding", "receipt in the buyer's place", receipt,
              Expect(403, "not_buyer")),
    EventCase("staff_not_holding", "handoff: takes custody from its colleague", takeover,
              Expect(201)),
    EventCase("staff_not_holding", "delivery of a parcel its colleague holds", delivery,
              Expect(403, "not_holder")),
    EventCase("courier_company", "its own credit commitment", commitment_for(None), Expect(201)),
    EventCase("courier_company", "delivery of its staff's parcel", delivery,
              Expect(403, "wrong_signer")),
    EventCase("other_company", "its own credit commitment", commitment_for(None), Expect(201)),
    EventCase("other_company", "a commitment in the parcel's courier's name",
              commitment_for("courier_company"), Expect(403, "wrong_signer")),
    EventCase("other_staff", "handoff countersigned by the holder (interline transfer)",
              countersigned_takeover, Expect(201)),
    EventCase("other_staff", "handoff naming the holder, without its countersignature",
              takeover, Expect(403, "countersignature_required")),
    EventCase("other_staff", "delivery of a parcel it never held", delivery,
              Expect(403, "not_holder")),
    EventCase("platform", "complaint about a parcel", complaint, Expect(201)),
    EventCase("platform", "listing of a merchant's product", listing,
              Expect(403, "wrong_signer")),
    EventCase("regulator", "complaint about a parcel", complaint, Expect(201)),
    EventCase("regulator", "delivery of a parcel", delivery, Expect(403, "wrong_signer")),
    EventCase("revoked_key", "handoff it could sign before its key was revoked", takeover,
              Expect(403, "key_revoked")),
    EventCase("revoked_key", "its own credit commitment", commitment_for(None),
              Expect(403, "key_revoked")),
    EventCase("revoked_credential", "complaint (signatures alone authorise events)",
              complaint, Expect(201)),
    EventCase("suspended", "listing of its own product", listing,
              Expect(403, "party_inactive")),
)  # fmt: skip
