"""One parcel's life, planned at its dispatch: timings, the fault it suffers, delivery, receipt.

Each holder on the route may commit one fault drawn from its hidden rates (at most one per
parcel); the fault is planted as the evidence the attribution rules read (tracing/custody_rules,
delay_budget, service_rules):

- lost: no record after the holder accepted it (lost.last_custodian), or, by a last-mile courier,
  a drop without consent that the buyer never signs for (lost.unconsented_drop);
- short / empty_parcel: the next receiver weighs less than the holder received, beyond the scale
  tolerance (weight_lost_in_custody). Never by the last-mile courier: its own delivery record
  would be the only later weighing, and a thief does not weigh its own theft;
- damaged: the next receiver notes "damaged" (damaged.last_intact_custodian); by the last-mile
  courier, the buyer's receipt does (damaged.noted_at_receipt);
- delayed: the holder keeps it past its leg budget so the promise is missed (segment_overrun);
- station_drop / unauthorised_signoff: a locker/station or proxy delivery without consent;
- service_attitude / illegal_fee: nothing in the records (conduct.delivering_staff).

The fabricating courier records some deliveries it never made (see complaints.fabricated).
Raises nothing.
"""

from __future__ import annotations

import random

from trace_service.simulate import names, texts
from trace_service.simulate.complaints import DAY, Complaints
from trace_service.simulate.params import BEHAVIOUR
from trace_service.simulate.parcel import Parcel, Step
from trace_service.simulate.timing import HOUR, budgets, noisy

B = BEHAVIOUR
_METHODS = (("in_person", True), ("locker", True), ("station", True), ("proxy", True))


class Life:
    """The steps of one parcel; every choice draws from the run's stream, in a fixed order."""

    def __init__(self, rng: random.Random, parcel: Parcel, t0: int, content_g: int) -> None:
        self.rng = rng
        self.parcel = parcel
        self.t0 = t0
        self.content_g = content_g  # 0 for a fake parcel: an empty box
        self.out: list[Step] = []
        self.complaints = Complaints(rng, parcel, self.out)
        self.loss = 0

    def steps(self) -> list[Step]:
        """The parcel's steps, in time order."""
        self._plan()
        return sorted(self.out, key=lambda s: s.time)

    def _plan(self) -> None:
        rng, parcel = self.rng, self.parcel
        n = len(parcel.route)
        promise = parcel.promised_by - self.t0
        budget = budgets(parcel.places, parcel.destination.name, promise)
        # On time, every holder stays well inside its budget, so only a faulty one overruns.
        durations = [int(b * rng.uniform(0.2, 0.7)) for b in budget]
        stage, category = self._fault()
        if category in ("short", "empty_parcel") and not self._loss(category):
            category = "damaged"  # too light to lose weight beyond the scales' tolerance
        if category == "delayed":
            others = sum(d for i, d in enumerate(durations) if i != stage)
            late = promise - others + int(rng.uniform(2, 30) * HOUR)
            durations[stage] = max(int(budget[stage] * rng.uniform(1.2, 2.0)), late)
        merchant_fault = None
        if category is None and not parcel.fake:
            merchant_fault = parcel.merchant.hidden.sample(rng.random())
        order = Step(self.t0, "order", 0, fault=category if stage == 0 else None)
        order.category = merchant_fault or ""  # the merchant's own fault (the goods)
        self.out.append(order)
        weight, condition = parcel.declared_g, "intact"
        t = self.t0
        for i in range(1, n):
            t += durations[i - 1]
            if stage == i - 1 and category == "lost":
                return self._lost(stage)
            if stage == i - 1 and category in ("short", "empty_parcel"):
                weight -= self.loss
            if stage == i - 1 and category == "damaged":
                condition = "damaged"
            fault = category if stage == i else None
            self.out.append(Step(t, "handoff", i, noisy(rng, weight), condition, fault=fault))
        t += durations[-1]
        fabricator = "fabricator" in parcel.route[-1].hidden.flags
        if category is None and not parcel.fake and fabricator and rng.random() < B.fabrication:
            self.out[-1].fault = "fabricated_delivery"
            return self._fabricated(t)
        if stage == n - 1 and category == "lost":
            if rng.random() < 0.5:
                return self._lost(stage)
            return self._unconsented_loss(t)
        return self._delivered(t, weight, condition, stage, category, merchant_fault)

    def _fault(self) -> tuple[int, str | None]:
        """The first holder that commits a fault, and which."""
        for index, unit in enumerate(self.parcel.route):
            category = unit.hidden.sample(self.rng.random())
            if category is not None:
                return index, category
        return -1, None

    def _loss(self, category: str) -> bool:
        """Decide the grams taken; False when no loss could show beyond the tolerance."""
        # Records vary by NOISE_G either way at most; 20 g over the tolerance covers both ends.
        needed = max(20.0, 0.05 * self.parcel.declared_g) + 20
        if category == "empty_parcel":
            self.loss = self.content_g
        else:
            self.loss = max(int(needed), int(self.content_g * self.rng.uniform(0.3, 0.7)))
        return needed < self.loss <= self.content_g

    def _lost(self, stage: int) -> None:
        when = self.parcel.promised_by + int(self.rng.uniform(1, 5) * DAY)
        self.complaints.courier_fault(
            when, stage, "lost", "no_onward_record", "lost.last_custodian"
        )

    def _unconsented_loss(self, t: int) -> None:
        self._deliver(t, self.rng.choice(("station", "locker")), False, self.parcel.declared_g)
        when = t + int(self.rng.uniform(1, 5) * DAY)
        self.complaints.courier_fault(
            when,
            len(self.parcel.route) - 1,
            "lost",
            "drop_without_consent_no_receipt",
            "lost.unconsented_drop",
        )

    def _fabricated(self, t: int) -> None:
        """A delivery the courier records but never made: the buyer never gets the parcel."""
        in_person = self.rng.random() < B.fabricated_in_person
        method = "in_person" if in_person else self.rng.choice(("station", "locker"))
        self._deliver(t, method, in_person, self.parcel.declared_g)
        self.complaints.fabricated(t + int(self.rng.uniform(1, 4) * DAY), in_person)

    def _delivered(
        self,
        t: int,
        weight: int,
        condition: str,
        stage: int,
        category: str | None,
        merchant_fault: str | None,
    ) -> None:
        rng, parcel = self.rng, self.parcel
        courier_fault = category if stage == len(parcel.route) - 1 else None
        method, consent = rng.choices(_METHODS, weights=(55, 20, 20, 5))[0]
        if courier_fault == "station_drop":
            method, consent = rng.choice(("station", "locker")), False
        elif courier_fault == "unauthorised_signoff":
            method, consent = "proxy", False
        elif courier_fault == "damaged":
            # In person: a consented drop would leave the damage's holder unknown (undecided).
            method, consent = "in_person", True
        if parcel.fake and courier_fault is None:  # the sockpuppet agreed to anything
            method, consent = rng.choice((("in_person", True), ("locker", True)))
        # The courier records its own word: a parcel it damaged itself is "intact".
        self._deliver(t, method, consent, weight, condition)
        damaged = condition == "damaged" or courier_fault == "damaged"
        wanted = parcel.fake or category is not None or merchant_fault is not None
        received = wanted or rng.random() < B.receipt
        if courier_fault in ("station_drop", "unauthorised_signoff"):
            received = rng.random() < 0.95
        done = t
        if received:
            lag = rng.uniform(60, 5400) if method == "in_person" else rng.uniform(HOUR, 36 * HOUR)
            done = t + int(lag)
            self.out.append(Step(done, "receipt", condition="damaged" if damaged else "intact"))
            self._review(done, happy=category is None and merchant_fault is None)
        when = done + int(rng.uniform(1, 72) * HOUR)
        if parcel.fake:
            self.complaints.empty_parcel(done)
        elif category is not None:
            if category == "damaged" and courier_fault == "damaged":
                self.complaints.courier_fault(
                    when, stage, category, "damage_noted_in_receipt", "damaged.noted_at_receipt"
                )
            else:
                self.complaints.courier_fault(when, stage, category)
        elif merchant_fault is not None:
            self.complaints.goods(when, merchant_fault)
        else:
            self.complaints.nothing_wrong(done, received, method == "in_person")

    def _deliver(
        self, t: int, method: str, consent: bool, weight: int, condition: str = "intact"
    ) -> None:
        place = names.drop_point(self.rng, self.parcel.destination, method)
        weight = noisy(self.rng, weight)
        step = Step(t, "delivery", weight_g=weight, condition=condition, place=place)
        step.method, step.consent = method, consent
        self.out.append(step)

    def _review(self, after: int, happy: bool) -> None:
        rng = self.rng
        if self.parcel.fake:
            if rng.random() < B.fake_review:
                at = after + int(rng.uniform(1, 48) * HOUR)
                self.out.append(Step(at, "review", score=5, text=rng.choice(texts.FAKE_REVIEWS)))
            return
        if rng.random() < (B.review if happy else 0.5):
            score, text = texts.review(rng, happy)
            at = after + int(rng.uniform(2, 120) * HOUR)
            self.out.append(Step(at, "review", score=score, text=text))
