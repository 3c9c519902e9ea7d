"""Scoring the service against a simulation's hidden truth: does back-tracing blame the party at
fault, do the published ratings rank units by their true fault rates, do malicious complaints
move grades, are the 空包 merchants and the fabricating courier caught, and does a grade predict
the faults that follow?

Reads the truth file (format ``trace-sim-truth/1``, see `trace_service.simulate.truth`) and the
database the simulation ran into; writes nothing. Rank correlations are Spearman's rho (average
ranks for ties, `rank_agreement`).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.credit.faults import months_before
from trace_service.credit.method import exposure as rating_exposure
from trace_service.credit.models import Snapshot, SnapshotRating
from trace_service.credit.parameters import DEFAULT_PARAMETERS
from trace_service.credit.snapshot_inputs import Cut, fault_rows, unit_exposures
from trace_service.credit.snapshots import compute_snapshot
from trace_service.ledger import log
from trace_service.simulate.rank_agreement import rank_agreement, spearman
from trace_service.simulate.truth import Truth
from trace_service.tracing.models import Case, CaseRecord, CaseShare

# Findings a fabricated in-person delivery leaves behind (a delivery the buyer never signed for
# and says never came): how often a unit collects them is the trace of fabrication.
DISPUTED_DELIVERY_RULES = (
    "lost.delivery_unconfirmed",
    "signoff.in_person_disputed",
    "lost.delivered_full_weight",
)
PREDICTION_MONTHS = 6


@dataclass(frozen=True)
class Finding:
    """A case's current finding: its outcome, rule, standing and shares (party, millionths)."""

    outcome: str
    rule: str | None
    standing: bool | None
    shares: tuple[tuple[str, int], ...]

    @property
    def top_party(self) -> str | None:
        if not self.shares:
            return None
        best = max(micro for _, micro in self.shares)
        leaders = [party for party, micro in self.shares if micro == best]
        return leaders[0] if len(leaders) == 1 else None


def current_findings(session: Session) -> dict[str, Finding]:
    """Every case's current finding (its latest attribution or decision)."""
    shares: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for record_idx, party, micro in session.execute(
        select(CaseShare.record_idx, CaseShare.party_id, CaseShare.share_micro)
        .join(Case, Case.current_idx == CaseShare.record_idx)
    ):  # fmt: skip
        shares[record_idx].append((party, micro))
    return {
        complaint: Finding(outcome or "", rule, standing, tuple(shares.get(idx, ())))
        for complaint, idx, outcome, rule, standing in session.execute(
            select(
                Case.complaint,
                CaseRecord.idx,
                CaseRecord.outcome,
                CaseRecord.rule,
                CaseRecord.standing,
            ).join(CaseRecord, CaseRecord.idx == Case.current_idx)
        )
    }


def _ratings(session: Session, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    return {
        unit: json.loads(body)
        for unit, body in session.execute(
            select(SnapshotRating.unit_id, SnapshotRating.body).where(
                SnapshotRating.content_hash == snapshot.content_hash
            )
        )
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else math.nan


def attribution_accuracy(truth: Truth, findings: dict[str, Finding]) -> dict[str, Any]:
    """Of the faults the records can show (the truth expects a party to be blamed), how many
    the service attributed to the party truly at fault."""
    attributable = [
        c for c in truth.complaints
        if c.get("responsible") and (c.get("expected") or {}).get("party")
    ]  # fmt: skip
    correct = 0
    undecided = 0
    missing = 0
    wrong: Counter[str] = Counter()
    for complaint in attributable:
        finding = findings.get(complaint["hash"])
        if finding is None:
            missing += 1
        elif finding.top_party == complaint["responsible"]:
            correct += 1
        elif finding.outcome == "undecided":
            undecided += 1
        else:
            wrong[f"{complaint['category']}/{finding.rule}"] += 1
    return {
        "attributable": len(attributable),
        "correct": correct,
        "accuracy_percent": _percent(correct, len(attributable)),
        "undecided": undecided,
        "not_traced": missing,
        "wrong_by_category_rule": dict(wrong.most_common(10)),
    }


def malicious_effect(
    session: Session, truth: Truth, findings: dict[str, Finding], snapshot: Snapshot
) -> dict[str, Any]:
    """Malicious complaints (no verified purchase): how many weigh, how many grades they moved,
    and how many they would have moved had they counted."""
    malicious = [c for c in truth.complaints if c["kind"] == "malicious"]
    weighing = sum(1 for c in malicious if (findings.get(c["hash"]) or _NONE).standing)
    published = _ratings(session, snapshot)
    cut = Cut(_aware(snapshot.as_of), snapshot.tree_size)
    what_if = compute_snapshot(session, cut, standing_only=False)
    changed = sum(
        1 for r in what_if.ratings
        if published.get(r.unit_id, {}).get("grade") not in (None, r.grade.value)
    )  # fmt: skip
    return {
        "malicious_complaints": len(malicious),
        "with_standing": weighing,
        "grades_moved": 0 if weighing == 0 else None,
        "grades_moved_had_they_counted": changed,
        "units_rated": len(published),
    }


_NONE = Finding("", None, None, ())


def empty_parcel_merchants(truth: Truth, findings: dict[str, Finding]) -> dict[str, Any]:
    """Who the 空包 complaints were attributed to: the merchant, a courier, or nobody."""
    merchants = {m for m, r in truth.merchants.items() if "empty_parcel" in r.get("flags", [])}
    couriers = set(truth.units)
    tally: Counter[str] = Counter()
    caught: set[str] = set()
    for complaint in truth.complaints:
        if complaint["kind"] != "empty_parcel":
            continue
        top = (findings.get(complaint["hash"]) or _NONE).top_party
        if top is not None and top == complaint.get("responsible"):
            tally["merchant"] += 1
            caught.add(top)
        elif top in couriers:
            tally["courier"] += 1
        else:
            tally["nobody"] += 1
    return {
        "merchants": len(merchants),
        "merchants_caught": len(caught & merchants),
        "complaints_attributed_to_merchant": tally["merchant"],
        "complaints_attributed_to_courier": tally["courier"],
        "complaints_not_attributed": tally["nobody"],
    }


def fabricator(
    session: Session, truth: Truth, ratings: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Whether the courier that fabricated deliveries stands out: its grade and black-list
    reasons, and its rank among last-mile staff by disputed in-person deliveries per delivery."""
    fabricators = [u for u, r in truth.units.items() if "fabricator" in r.get("flags", [])]
    if not fabricators:
        return {"fabricators": 0}
    subjects = session.scalars(
        select(Case.subject)
        .join(CaseRecord, CaseRecord.idx == Case.current_idx)
        .where(CaseRecord.rule.in_(DISPUTED_DELIVERY_RULES))
    ).all()
    deliverer = _deliverers(session, set(subjects))
    disputed = Counter(deliverer[s] for s in subjects if s in deliverer)
    last_mile = {
        u: r for u, r in ratings.items()
        if truth.units.get(u, {}).get("duty") == "last_mile" and int(r.get("deliveries", 0)) > 0
    }  # fmt: skip
    scores = sorted(
        ((disputed[u] / int(r["deliveries"]), u) for u, r in last_mile.items()), reverse=True
    )
    ranked = [u for _, u in scores]
    out = []
    for unit in fabricators:
        rating = ratings.get(unit, {})
        out.append(
            {
                "party_id": unit,
                "grade": rating.get("grade"),
                "black_list_reasons": [
                    r["code"] for r in rating.get("lists", {}).get("black_list_reasons", [])
                ],
                "disputed_deliveries": disputed[unit],
                "rank_by_disputed_rate": ranked.index(unit) + 1 if unit in ranked else None,
                "last_mile_staff": len(ranked),
            }
        )
    return {"fabricators": len(fabricators), "units": out}


def _deliverers(session: Session, parcels: Iterable[str]) -> dict[str, str]:
    from trace_service.tracing.models import CustodyRecord

    wanted = list(parcels)
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        for parcel, party in session.execute(
            select(CustodyRecord.parcel, CustodyRecord.party_id).where(
                CustodyRecord.parcel.in_(wanted[start : start + 500]),
                CustodyRecord.kind == "delivery",
            )
        ):
            found[parcel] = party
    return found


def prediction(session: Session, end: datetime) -> dict[str, Any]:
    """How a snapshot's grades predict the next months' attributed-fault rates: the mean rate per
    grade and Spearman between the published posterior and the rate that followed."""
    horizon = months_before(end, PREDICTION_MONTHS)
    snapshot = session.scalar(
        select(Snapshot).where(Snapshot.as_of <= horizon).order_by(Snapshot.as_of.desc()).limit(1)
    )
    if snapshot is None:
        return {"snapshot": None}
    as_of = _aware(snapshot.as_of)
    params = replace(DEFAULT_PARAMETERS, time_weights=((PREDICTION_MONTHS, 1),))
    cut = Cut(months_after(as_of, PREDICTION_MONTHS), log.tree_size(session))
    exposures = {u.unit_id: u for u in unit_exposures(session, cut, params)}
    realized: dict[str, float] = defaultdict(float)
    for row in fault_rows(session, cut, params):
        weight = params.severity[row.category] * row.share_micro / 1_000_000
        for unit in {row.party_id, row.outlet_id, row.company_id} - {None}:
            realized[str(unit)] += weight
    by_grade: dict[str, list[float]] = defaultdict(list)
    pairs = []
    # The grades as the current method gives them at that cut (a snapshot logged under an
    # earlier method version would measure that version instead).
    then = compute_snapshot(session, Cut(as_of, snapshot.tree_size))
    graded = {r.unit_id: r.as_dict() for r in then.ratings}
    for unit, rating in graded.items():
        exposure = exposures.get(unit)
        if rating["grade"] == "insufficient_data" or exposure is None:
            continue
        handled = float(rating_exposure(exposure, params))
        if handled <= 0:
            continue
        rate = realized.get(unit, 0.0) / handled * 1_000_000
        by_grade[rating["grade"]].append(rate)
        pairs.append((float(rating["posterior_mean_per_million"]), rate))
    return {
        "snapshot_as_of": as_of.isoformat(),
        "months_after": PREDICTION_MONTHS,
        "units": len(pairs),
        "mean_rate_per_million_by_grade": {
            g: sum(v) / len(v) for g, v in sorted(by_grade.items()) if v
        },
        "units_by_grade": {g: len(v) for g, v in sorted(by_grade.items())},
        "spearman_posterior_vs_next": spearman([p for p, _ in pairs], [r for _, r in pairs]),
    }


def months_after(moment: datetime, months: int) -> datetime:
    return months_before(moment, -months)


def evaluate(session: Session, truth: Truth) -> dict[str, Any]:
    """Every figure of the evaluation, as a JSON-ready dict."""
    findings = current_findings(session)
    latest = session.scalar(select(Snapshot).order_by(Snapshot.idx.desc()).limit(1))
    result: dict[str, Any] = {
        "parcels": truth.summary.get("parcels"),
        "complaints": truth.summary.get("complaints"),
        "attribution": attribution_accuracy(truth, findings),
        "empty_parcel": empty_parcel_merchants(truth, findings),
    }
    if latest is None:
        result["snapshot"] = None
        return result
    ratings = _ratings(session, latest)
    result["snapshot"] = {"index": latest.idx, "as_of": _aware(latest.as_of).isoformat(),
                          "content_hash": latest.content_hash, "units": latest.units}  # fmt: skip
    result["rank_agreement"] = rank_agreement(truth, ratings)
    result["malicious"] = malicious_effect(session, truth, findings, latest)
    result["fabricator"] = fabricator(session, truth, ratings)
    result["prediction"] = prediction(session, _aware(latest.as_of))
    return result
