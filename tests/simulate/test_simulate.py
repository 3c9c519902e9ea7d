"""The network simulator as an operator runs it: `flask simulate` into an empty database, then
the log verifies, the truth file names every complaint in it, the adversaries left the traces
they should, and the same seed gives the same network."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.simulate.conftest import SMALL, Log, end_of, read_truth
from trace_service.simulate.driver import SimulationFailed, run_simulation
from trace_service.simulate.params import SimulationParams
from trace_service.tracing.attribution import attribute_complaint
from trace_service.tracing.rulebook import DEFAULT_RULES

Truth = dict[str, list[dict[str, Any]]]


def simulate(app: Flask, truth: Path, *extra: str) -> Any:
    return app.test_cli_runner().invoke(
        args=["simulate", *SMALL, "--truth", str(truth), "--no-hooks", *extra]
    )


@pytest.fixture
def small_run(app: Flask, tmp_path: Path) -> tuple[str, Truth]:
    path = tmp_path / "truth.jsonl"
    result = simulate(app, path)
    assert result.exit_code == 0, result.output
    return result.output, read_truth(path)


def test_a_small_network_runs_with_a_progress_bar_and_a_summary(small_run):
    output, truth = small_run
    assert "simulating parcels" in output  # the progress bar's label
    assert "simulated 300 parcels" in output
    summary = truth["summary"][0]
    assert summary["parcels"] == 300
    assert summary["accepted"] + summary["refused_adversarial"] == summary["events"]
    assert summary["events"] > 300 * 6  # sale, dispatch, handoffs, delivery, receipt at least
    assert f"{summary['events']} events" in output


def test_the_simulated_log_verifies(app, small_run):
    _, truth = small_run
    result = app.test_cli_runner().invoke(args=["verify-log"])
    assert result.exit_code == 0, result.output
    assert f"verified {truth['summary'][0]['accepted']} entries" in result.output
    assert result.output.splitlines()[0].endswith(": OK")


def test_the_truth_file_names_every_complaint_in_the_log(app, small_run):
    _, truth = small_run
    log = Log(app)
    logged = {e.hash for e in log.entries if e.type == "complaint"}
    named = [c["hash"] for c in truth["complaint"]]
    assert len(named) == len(set(named)) > 10
    assert set(named) == logged
    kinds = Counter(c["kind"] for c in truth["complaint"])
    assert kinds["genuine"] > 0 and kinds["empty_parcel"] > 0
    for refusal in truth.get("refusal", []):  # the competitor's own attempts never got in
        assert refusal["hash"] not in {e.hash for e in log.entries}
        assert refusal["code"] == "not_party_to_subject"


def test_empty_parcel_merchants_ship_under_the_threshold_and_others_never(app, small_run):
    _, truth = small_run
    fakers = {m["party_id"] for m in truth["merchant"] if "empty_parcel" in m["flags"]}
    assert 2 <= len(fakers) <= 3
    log = Log(app)
    light: Counter[str] = Counter()
    for entry in log.entries:
        if entry.type != "dispatch":
            continue
        event = log.event(entry)
        [merchant] = [s.party_id for s in event.signers if s.kind == "merchant"]
        if event.payload["declared_weight_g"] < DEFAULT_RULES.empty_parcel_below_g:
            light[str(merchant)] += 1
    assert set(light) == fakers
    for complaint in truth["complaint"]:
        if complaint["kind"] == "empty_parcel":
            [dispatch] = [e for e in log.events(complaint["parcel"]) if e.type == "dispatch"]
            assert dispatch.payload["declared_weight_g"] < DEFAULT_RULES.empty_parcel_below_g
            assert complaint["responsible"] in fakers
            assert complaint["signer"]["kind"] in ("platform", "merchant")


def test_the_attribution_rules_read_the_planted_evidence_as_the_truth_expects(app, small_run):
    _, truth = small_run
    log = Log(app)
    now = end_of(truth)
    seen = Counter()
    for complaint in truth["complaint"]:
        [event] = [e for e in log.events(complaint["parcel"]) if e.hash == complaint["hash"]]
        parcel = log.events(complaint["parcel"])
        dispatch = next(e for e in parcel if e.type == "dispatch")
        items = [e for item in dispatch.payload["items"] for e in log.events(item)]
        found = attribute_complaint(event, parcel, items, now)
        blamed = [s.party_id for s in found.shares]
        expected = complaint["expected"]
        assert (found.rule, blamed) == (
            expected["rule"],
            [expected["party"]] if expected["party"] else [],
        ), complaint
        assert found.verified_purchase == (complaint["signer"]["kind"] == "buyer")
        seen[complaint["kind"]] += 1
    assert seen["genuine"] > 5


def test_the_same_seed_gives_the_same_truth_file(app, second_app, tmp_path):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert simulate(app, first, "--no-pipeline").exit_code == 0
    # The other database is filled by a second process signing while this one ingests.
    result = simulate(second_app, second, "--pipeline")
    assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert len(read_truth(first)["complaint"]) > 10


def test_a_simulation_refuses_a_database_that_holds_parties(app, small_run, tmp_path):
    again = simulate(app, tmp_path / "again.jsonl")
    assert again.exit_code != 0
    assert "already holds parties" in again.output
    assert not (tmp_path / "again.jsonl").exists()


def test_hooks_run_after_every_batch_and_at_each_month_boundary(app, tmp_path):
    calls: list[tuple[str, datetime]] = []
    start = datetime(2025, 10, 1, tzinfo=UTC)
    params = SimulationParams(parcels=120, months=3, seed=3, start=start)
    report = run_simulation(
        app,
        params,
        tmp_path / "truth.jsonl",
        after_batch=lambda session, ctx, now: calls.append(("batch", now)),
        at_month_end=lambda session, ctx, at: calls.append(("month", at)),
    )
    months = [at for kind, at in calls if kind == "month"]
    assert months == [datetime(2025, m, 1, tzinfo=UTC) for m in (11, 12)] + [
        datetime(2026, 1, 1, tzinfo=UTC)
    ]
    batches = [at for kind, at in calls if kind == "batch"]
    assert len(batches) == report.batches
    assert batches == sorted(batches)
    for index, (kind, at) in enumerate(calls):  # every batch before a boundary ran before it
        if kind == "month":
            assert all(t < at for k, t in calls[:index] if k == "batch")
            assert all(t >= at for k, t in calls[index:] if k == "batch")


def test_an_event_the_rules_refuse_stops_the_run_and_names_the_problem(app, tmp_path, monkeypatch):
    from trace_service.simulate import events

    def receipt_signed_by_the_courier(self, parcel, step, out):
        # Not the buyer's key: the lifecycle rules refuse it (not_buyer).
        self._parcel_event(parcel, step, out, "receipt", [parcel.route[-1].key], condition="intact")

    monkeypatch.setattr(events.Emitter, "_receipt", receipt_signed_by_the_courier)
    params = SimulationParams(parcels=40, months=1, seed=5)
    with pytest.raises(SimulationFailed) as refused:
        run_simulation(app, params, tmp_path / "truth.jsonl", pipelined=False)
    assert "simulated receipt of wb/" in str(refused.value)
    assert "not_buyer" in str(refused.value)
