"""Who complains about a parcel, when, and the truth behind each complaint.

Genuine faults are complained about by the verified buyer (with the category's probability);
empty parcels of 刷单 merchants by the platform's audit or by the merchant itself; a victim
company's fine parcels falsely by a competitor, relayed by a platform (sometimes first tried by
the competitor itself, which the rules refuse); now and then a buyer complains though nothing
went wrong. Raises nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from trace_service.simulate import texts
from trace_service.simulate.params import BEHAVIOUR, COMPLAINT_PROBABILITY
from trace_service.simulate.parcel import Parcel, Step
from trace_service.simulate.timing import HOUR

DAY = 24 * HOUR
B = BEHAVIOUR

# What a genuine fault leaves in the records, and the rule that should read it.
EVIDENCE = {
    "short": ("weight_lost_between_records", "lost.weight_lost_in_custody"),
    "empty_parcel": ("contents_removed_between_records", "empty.weight_lost_in_custody"),
    "damaged": ("damage_noted_by_next_receiver", "damaged.last_intact_custodian"),
    "delayed": ("held_past_leg_budget", "delayed.segment_overrun"),
    "station_drop": ("drop_without_consent", "signoff.delivering_staff"),
    "unauthorised_signoff": ("proxy_without_consent", "signoff.delivering_staff"),
    "service_attitude": ("no_record_evidence", "conduct.delivering_staff"),
    "illegal_fee": ("no_record_evidence", "conduct.delivering_staff"),
}

# A competitor's false complaints: category, weight, and the rule that should answer it.
MALICIOUS = (
    ("lost", 30, "lost.delivered_full_weight"),
    ("damaged", 25, "damaged.not_recorded"),
    ("short", 15, "lost.delivered_full_weight"),
    ("delayed", 15, "delayed.promise_kept"),
    ("station_drop", 5, "signoff.consent_recorded"),
    ("service_attitude", 10, "conduct.delivering_staff"),
)


@dataclass(frozen=True)
class Claim:
    """A complaint as planned: who files it, about what, and the truth behind it."""

    category: str
    kind: str  # genuine, malicious, empty_parcel, fabricated, unfounded
    signer: str  # buyer, platform, merchant
    evidence: str  # what the records show
    rule: str  # the attribution rule that evidence should trigger
    party: str | None  # whom that rule should blame
    responsible: str | None  # who truly is at fault (None: nobody)
    stage: int | None = None  # the route position at fault


class Complaints:
    """Plans the complaints of one parcel into its list of steps."""

    def __init__(self, rng: random.Random, parcel: Parcel, out: list[Step]) -> None:
        self.rng = rng
        self.parcel = parcel
        self.out = out

    def file(
        self, when: int, claim: Claim, *, force: bool = False, text: str | None = None
    ) -> None:
        """Plan `claim` at `when`: always if `force`, else with its category's probability."""
        if not force and self.rng.random() >= COMPLAINT_PROBABILITY[claim.category]:
            return
        if self.parcel.fake and claim.signer == "buyer":
            return  # a sockpuppet never complains, whatever happened to the empty box
        parcel = self.parcel
        role = None
        if claim.responsible is not None:
            merchant = parcel.merchant.principal.party_id
            role = "merchant" if claim.responsible == merchant else "staff"
        truth: dict[str, Any] = {
            "category": claim.category,
            "kind": claim.kind,
            "responsible": claim.responsible,
            "responsible_role": role,
            "stage": None if claim.stage is None else parcel.stage(claim.stage),
            "evidence": claim.evidence,
            "expected": {"rule": claim.rule, "party": claim.party},
        }
        self.out.append(
            Step(
                when,
                "complaint",
                category=claim.category,
                signer=claim.signer,
                truth=truth,
                text=text or texts.complaint(self.rng, claim.category),
            )
        )

    def courier_fault(
        self, when: int, stage: int, category: str, evidence: str = "", rule: str = ""
    ) -> None:
        """The buyer complains about a fault of the courier at route position `stage`."""
        if not evidence:
            evidence, rule = EVIDENCE[category]
        party = self.parcel.route[stage].party_id
        self.file(when, Claim(category, "genuine", "buyer", evidence, rule, party, party, stage))

    def goods(self, when: int, category: str) -> None:
        """The buyer complains about the goods: the merchant's fault, weight and seal intact."""
        merchant = self.parcel.merchant.principal.party_id
        claim = Claim(
            category,
            "genuine",
            "buyer",
            "weight_and_seal_intact",
            "goods.merchant",
            merchant,
            merchant,
        )
        self.file(when, claim)

    def fabricated(self, when: int, in_person: bool) -> None:
        """The buyer of a parcel whose delivery was invented complains it never came."""
        last = len(self.parcel.route) - 1
        courier = self.parcel.route[last].party_id
        # Either way the buyer never signs for it: a drop without consent is the courier's
        # (lost.unconsented_drop), and so is an in-person hand-over the buyer never confirmed
        # (lost.delivery_unconfirmed, rules 2026.2; before, the courier's word left it undecided).
        if in_person:
            claim = Claim(
                "lost",
                "fabricated",
                "buyer",
                "fabricated_in_person_no_receipt",
                "lost.delivery_unconfirmed",
                courier,
                courier,
                last,
            )
        else:
            claim = Claim(
                "lost",
                "fabricated",
                "buyer",
                "fabricated_drop_no_receipt",
                "lost.unconsented_drop",
                courier,
                courier,
                last,
            )
        self.file(when, claim)

    def empty_parcel(self, received: int) -> None:
        """A 刷单 parcel: maybe the platform's audit flags it, maybe the merchant blames us."""
        rng, merchant = self.rng, self.parcel.merchant.principal.party_id
        draw = rng.random()
        if draw < B.platform_audit:
            when = received + int(rng.uniform(3, 30) * DAY)
            signer, text = "platform", texts.PLATFORM_AUDIT
        elif draw < B.platform_audit + B.merchant_self_blame:
            when = received + int(rng.uniform(1, 5) * DAY)
            signer, text = "merchant", texts.MERCHANT_BLAME
        else:
            return
        claim = Claim(
            "empty_parcel",
            "empty_parcel",
            signer,
            "declared_below_threshold",
            "empty.declared_empty",
            merchant,
            merchant,
        )
        self.file(when, claim, force=True, text=text)

    def nothing_wrong(self, since: int, received: bool, in_person: bool) -> None:
        """A fine parcel, delivered at or received at `since`: a competitor's false complaint
        (on the victim company's parcels), or rarely its buyer's unfounded one."""
        rng, parcel = self.rng, self.parcel
        courier = parcel.route[-1].party_id
        if "victim" in parcel.company.unit.hidden.flags and rng.random() < B.malicious:
            weights = [w for _, w, _ in MALICIOUS]
            category, _, rule = rng.choices(MALICIOUS, weights=weights)[0]
            when = since + int(rng.uniform(1, 10) * DAY)
            if rng.random() < B.malicious_direct_attempt:
                text = texts.complaint(rng, category)
                self.out.append(Step(when, "attempt", category=category, text=text))
            # Where nothing in the records clears the courier, the complaint lands on it: a
            # conduct complaint always, and "lost" on an in-person delivery nobody signed for.
            party = courier if category == "service_attitude" else None
            if category == "lost" and in_person and not received:
                rule, party = "lost.delivery_unconfirmed", courier
            evidence = "nothing_wrong_in_records"
            claim = Claim(category, "malicious", "platform", evidence, rule, party, None)
            text = texts.MALICIOUS_PREFIX + texts.complaint(rng, category)
            self.file(when, claim, force=True, text=text)
        elif received and rng.random() < B.unfounded:
            category = rng.choice(("delayed", "delayed", "damaged"))
            rule = "delayed.promise_kept" if category == "delayed" else "damaged.not_recorded"
            when = since + int(rng.uniform(1, 72) * HOUR)
            claim = Claim(
                category, "unfounded", "buyer", "nothing_wrong_in_records", rule, None, None
            )
            self.file(when, claim, force=True)
