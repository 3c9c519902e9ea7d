"""Rating snapshots over the demo world, driven through the real ingest path in simulated time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from trace_service.credit.models import SnapshotRating
from trace_service.credit.snapshots import (
    SnapshotInFuture,
    recompute,
    snapshot_content,
    take_snapshot,
)
from trace_service.db import new_session
from trace_service.demo.actors import Demo, gtin13, sscc
from trace_service.demo.story import populate
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.ingest import IngestContext
from trace_service.lifecycle.models import Subject
from trace_service.tracing.models import Case
from trace_service.tracing.operations import trace_pending

START = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.fixture
def demo(app: Any) -> Iterator[Demo]:
    session = new_session(app)
    world = Demo(session, IngestContext.for_app(app), START)
    populate(world)
    yield world
    session.close()


def snap(demo: Demo, as_of: datetime | None = None) -> Any:
    return take_snapshot(demo.session, demo.ctx, as_of or demo.clock, demo.clock)


def ratings(demo: Demo, taken: Any) -> dict[str, dict[str, Any]]:
    rows = demo.session.scalars(
        select(SnapshotRating).where(SnapshotRating.content_hash == taken.content_hash)
    )
    return {row.unit_id: json.loads(row.body) for row in rows}


def pid(demo: Demo, role: str) -> str:
    return demo.parties[role].party_id


def case_of(demo: Demo, category: str) -> str:
    complaint = demo.session.scalar(select(Case.complaint).where(Case.category == category))
    assert complaint is not None
    return complaint


def case_state(demo: Demo, complaint: str) -> dict[str, Any]:
    """The case's state once traced; the demo's chain head of the case follows the service's."""
    trace_pending(demo.session, demo.ctx, demo.clock)
    subject = demo.session.get(Subject, f"case/{complaint}")
    assert subject is not None
    demo.heads[subject.id] = subject.head
    return dict(subject.state)


def test_demo_faults_are_weighted_by_hand_computed_values(demo: Demo) -> None:
    taken = snap(demo, demo.tick(days=8))
    by_unit = ratings(demo, taken)
    hub = by_unit[pid(demo, "sd_hub")]
    # damaged: severity 6 × time weight 3 (under 6 months) × share 1 × unresolved surcharge 3/2
    assert hub["weighted_faults"] == "27.000000"
    [row] = hub["explanation"]
    assert (row["severity"], row["time_weight"], row["share"], row["surcharge"]) == (
        6,
        3,
        "1",
        "3/2",
    )
    # The staff member's fault is also its outlet's and its company's.
    for unit in ("sd_hz", "sd"):
        assert by_unit[pid(demo, unit)]["weighted_faults"] == "27.000000"
    # station drop without consent: severity 4 × 3 × 1 × 3/2 = 18, on the delivering staff
    assert by_unit[pid(demo, "ty_last")]["weighted_faults"] == "18.000000"
    assert by_unit[pid(demo, "sd_last")]["weighted_faults"] == "0.000000"
    assert by_unit[pid(demo, "sd_last")]["deliveries"] == 2


def test_every_explanation_sums_to_the_published_weighted_faults(demo: Demo) -> None:
    taken = snap(demo)
    for rating in ratings(demo, taken).values():
        total = sum((Decimal(r["contribution"]) for r in rating["explanation"]), Decimal(0))
        assert total == Decimal(rating["weighted_faults"]), rating["unit_id"]


def test_content_hash_is_the_hash_of_the_served_content_and_recomputes(demo: Demo) -> None:
    taken = snap(demo)
    assert hashlib.sha256(snapshot_content(demo.session, taken.index)).hexdigest() == (
        taken.content_hash
    )
    assert recompute(demo.session, taken.index).matches


def test_a_reversed_attribution_changes_later_snapshots_not_earlier_ones(demo: Demo) -> None:
    first = snap(demo)
    damaged = case_of(demo, "damaged")
    attribution = case_state(demo, damaged)["record"]
    demo.record("objection", f"case/{damaged}", "sd_hub", on=attribution,
                reason="交接时已注明外箱受压，损坏发生在上一环节", evidence=[])  # fmt: skip
    objection = case_state(demo, damaged)["objection"]["record"]
    demo.record("decision", f"case/{damaged}", "regulator", hours=48, on=objection,
                outcome="reversed", reasons="证据不足以认定损坏发生在分拣环节")  # fmt: skip
    second = snap(demo)
    assert ratings(demo, second)[pid(demo, "sd_hub")]["weighted_faults"] == "0.000000"
    # 6 × 3 × 1, still within the 7 days before the unresolved surcharge applies
    assert ratings(demo, first)[pid(demo, "sd_hub")]["weighted_faults"] == "18.000000"
    assert first.content_hash != second.content_hash
    assert recompute(demo.session, first.index).matches
    assert recompute(demo.session, second.index).matches


def test_a_snapshot_as_of_before_the_complaint_does_not_count_it(demo: Demo) -> None:
    complained = demo.session.scalar(select(Case.complained_at).where(Case.category == "damaged"))
    assert complained is not None
    taken = snap(demo, complained - timedelta(seconds=1))
    assert ratings(demo, taken)[pid(demo, "sd_hub")]["weighted_faults"] == "0.000000"


def test_a_snapshot_cannot_be_as_of_the_future(demo: Demo) -> None:
    with pytest.raises(SnapshotInFuture):
        snap(demo, demo.clock + timedelta(hours=1))


def test_a_platform_relayed_complaint_moves_no_rating(demo: Demo) -> None:
    p1 = f"00/{sscc(1)}"
    demo.record("complaint", p1, "platform", category="service_attitude",
                description="热线转来的投诉：投递员态度恶劣")  # fmt: skip
    relayed = snap(demo)
    assert ratings(demo, relayed)[pid(demo, "sd_last")]["weighted_faults"] == "0.000000"
    demo.record("complaint", p1, "buyer_a", category="service_attitude",
                description="投递员态度恶劣")  # fmt: skip
    verified = snap(demo)
    # service attitude: severity 1 × time weight 3 × share 1, within its 7 days: no surcharge
    assert ratings(demo, verified)[pid(demo, "sd_last")]["weighted_faults"] == "3.000000"


def test_a_complaint_resolved_within_seven_days_carries_no_surcharge(demo: Demo) -> None:
    signoff = case_of(demo, "unauthorised_signoff")
    case_state(demo, signoff)
    demo.record("resolution", f"case/{signoff}", "buyer_b", note="快递员已致歉并送货上门")
    taken = snap(demo, demo.tick(days=10))
    [row] = ratings(demo, taken)[pid(demo, "ty_last")]["explanation"]
    assert (row["surcharge"], row["contribution"]) == ("1", "12.000000")


def test_credit_repair_weighs_a_fault_zero_after_the_minimum_period(demo: Demo) -> None:
    damaged = case_of(demo, "damaged")
    demo.record("rectification", f"party/{pid(demo, 'sd_hub')}", "sd_hub",
                complaints=[damaged], measures="分拣线加装缓冲垫，员工重新培训")  # fmt: skip
    rectification = demo.heads[f"party/{pid(demo, 'sd_hub')}"]
    demo.record("decision", f"party/{pid(demo, 'sd_hub')}", "regulator", on=rectification,
                outcome="granted", reasons="整改措施已核实")  # fmt: skip
    early = snap(demo, demo.tick(days=30))
    [row] = ratings(demo, early)[pid(demo, "sd_hub")]["explanation"]
    assert row["repaired"] is False
    late = snap(demo, demo.tick(days=61))  # over the 90 days for a non-serious category
    [row] = ratings(demo, late)[pid(demo, "sd_hub")]["explanation"]
    assert (row["repaired"], row["contribution"]) == (True, "0.000000")


def _short_parcel(demo: Demo, n: int = 900, buyer: str = "buyer_z") -> str:
    """A tea parcel that lost weight at the hub, delivered, received and complained about."""
    item = f"01/0{gtin13('690123450001')}/21/LJ2026-0{n}"
    parcel = f"00/{sscc(n)}"
    demo.sell(item, "tea", buyer, "368.00")
    demo.dispatch(parcel, [item], "tea", "sd_pick", "sd", 800, "上海", "杭州",
                  ("测试", f"130000{n:05d}", f"上海市测试路{n}号"))  # fmt: skip
    demo.handoff(parcel, "sd_pick", "sd_hub", "顺达杭州分拨中心", "杭州", 800)
    demo.handoff(parcel, "sd_hub", "sd_last", "顺达上海浦东营业部", "上海", 520)
    demo.deliver(parcel, "sd_last", "in_person", True, f"测试路{n}号", "上海", 520)
    demo.record("receipt", parcel, buyer, hours=0.5, condition="intact")
    demo.record("complaint", parcel, buyer, category="short", description="少了一罐茶叶")
    return parcel


def test_a_serious_fault_nominates_the_staff_member_once(demo: Demo) -> None:
    _short_parcel(demo)
    first = snap(demo)
    hub = pid(demo, "sd_hub")
    codes = [r["code"] for r in ratings(demo, first)[hub]["lists"]["black_list_reasons"]]
    assert codes == ["serious_faults"]
    assert first.nominations >= 1
    state = demo.session.scalar(select(Subject.state).where(Subject.id == f"party/{hub}"))
    assert state is not None and state["nomination"] is not None
    second = snap(demo)
    state_again = demo.session.scalar(select(Subject.state).where(Subject.id == f"party/{hub}"))
    assert state_again is not None and state_again["nomination"] == state["nomination"]
    assert second.nominations == 0


def test_a_rejected_nomination_is_not_raised_again_without_new_evidence(demo: Demo) -> None:
    _short_parcel(demo)
    assert snap(demo).nominations >= 1
    hub = f"party/{pid(demo, 'sd_hub')}"
    nomination = demo.session.get(Subject, hub)
    assert nomination is not None
    demo.heads[hub] = nomination.head
    demo.record("decision", hub, "regulator", on=nomination.state["nomination"]["record"],
                outcome="rejected", reasons="短少系包装破损所致，非故意")  # fmt: skip
    again = snap(demo, demo.tick(days=1))
    state = demo.session.scalar(select(Subject.state).where(Subject.id == hub))
    assert state is not None and state["nomination"] is None and again.nominations == 0
    # A new serious fault is new evidence: the unit is nominated again.
    _short_parcel(demo, 901, "buyer_y")
    third = snap(demo)
    state = demo.session.scalar(select(Subject.state).where(Subject.id == hub))
    assert state is not None and state["nomination"] is not None and third.nominations >= 1


def test_a_nomination_carries_its_latest_evidence_when_there_is_more_than_a_payload_takes(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At scale a company's serious faults outnumber what one payload may list: the nomination
    names the latest (the snapshot content keeps them all) and the snapshot is still taken."""
    from trace_service.credit import snapshots

    monkeypatch.setattr(snapshots, "NOMINATION_EVIDENCE", 1)
    _short_parcel(demo)
    _short_parcel(demo, 902, "buyer_y")
    taken = snap(demo)
    hub = pid(demo, "sd_hub")
    [reason] = ratings(demo, taken)[hub]["lists"]["black_list_reasons"]
    assert len(reason["evidence"]) == 2  # the content keeps both complaints
    state = demo.session.scalar(select(Subject.state).where(Subject.id == f"party/{hub}"))
    assert state is not None and state["nomination"] is not None
    record = demo.session.scalar(
        select(LogEntry).where(LogEntry.hash == state["nomination"]["record"])
    )
    assert record is not None
    [carried] = json.loads(bytes(record.body))["payload"]["reasons"]
    assert carried["evidence"] == [reason["evidence"][-1]]
