"""Which complaints may weigh in a rating (有效投诉): those a party to the purchase stands behind.

A complaint signed by the buyer key that the sale named (a verified purchase), by the selling
merchant (the sender: lost or short parcels are its loss too) or by a regulator (after its own
investigation) has standing. A complaint relayed by a platform from someone it cannot tie to the
purchase is recorded, traced and shown to regulators as a lead, but moves no grade: otherwise a
competitor could file its way to another courier's black listing.
"""

from __future__ import annotations

STANDING_COMPLAINANTS = ("merchant", "regulator")


def has_standing(complainant_kind: str, verified_purchase: bool) -> bool:
    """Whether a complaint by a `complainant_kind` signer weighs in ratings."""
    return verified_purchase or complainant_kind in STANDING_COMPLAINANTS
