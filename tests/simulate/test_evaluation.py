"""The evaluation command on a small simulated network, with tracing and monthly snapshots
running alongside: it prints every figure, and the figures mean what they say."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

from tests.simulate.conftest import SMALL
from trace_service.simulate.evaluation import Finding
from trace_service.simulate.rank_agreement import spearman


def test_spearman_on_hand_computed_rankings() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == -1.0
    # ranks (1, 2, 3, 4) against (2, 1, 4, 3): 1 - 6·4 / (4·15) = 0.6
    assert abs(spearman([1, 2, 3, 4], [2, 1, 4, 3]) - 0.6) < 1e-12
    assert abs(spearman([1, 1, 2], [1, 2, 3]) - 0.8660254037844386) < 1e-12  # tied ranks


def test_a_tie_for_the_largest_share_blames_nobody_in_particular() -> None:
    assert Finding("attributed", "r", True, (("a", 500_000), ("b", 500_000))).top_party is None
    assert Finding("attributed", "r", True, (("a", 250_000), ("b", 750_000))).top_party == "b"


def test_the_evaluation_scores_a_small_simulated_network(app: Flask, tmp_path: Path) -> None:
    truth = tmp_path / "truth.jsonl"
    runner = app.test_cli_runner()
    run = runner.invoke(args=["simulate", *SMALL, "--truth", str(truth)])
    assert run.exit_code == 0, run.output
    figures = tmp_path / "evaluation.json"
    result = runner.invoke(args=["evaluate", "--truth", str(truth), "--json", str(figures)])
    assert result.exit_code == 0, result.output
    assert "attribution accuracy on attributable faults:" in result.output
    assert "Spearman(posterior, true rate), staff:" in result.output
    assert "malicious complaints (no verified purchase):" in result.output
    assert "empty-parcel (空包) merchants caught:" in result.output
    data = json.loads(figures.read_text())
    attribution = data["attribution"]
    assert attribution["attributable"] > 0
    assert attribution["not_traced"] == 0  # every complaint was traced by the hook
    assert attribution["correct"] <= attribution["attributable"]
    assert data["snapshot"] is not None  # monthly snapshots ran alongside
    # Malicious complaints are platform relays: traced, but none weighs in a rating.
    assert data["malicious"]["with_standing"] == 0
    assert data["malicious"]["grades_moved"] == 0
    # Every 空包 complaint is the merchant's.
    assert data["empty_parcel"]["complaints_attributed_to_courier"] == 0


def test_a_file_that_is_not_a_truth_file_is_refused(app: Flask, tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text('{"record": "something else"}\n')
    result = app.test_cli_runner().invoke(args=["evaluate", "--truth", str(bogus)])
    assert result.exit_code != 0
    assert "not a trace-sim-truth/1 file" in result.output
