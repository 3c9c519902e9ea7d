"""`flask --app trace_service evaluate --truth PATH`: print how the service did against a
simulation's hidden truth (and optionally write the figures as JSON)."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from trace_service.db import new_session
from trace_service.simulate.evaluation import evaluate
from trace_service.simulate.truth import TruthFormatError, read_truth


def _num(value: Any, places: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{places}f}" if isinstance(value, float) else f"{value:,}"


def report_lines(result: dict[str, Any]) -> list[str]:
    """The evaluation as a person reads it."""
    a = result["attribution"]
    e = result["empty_parcel"]
    lines = [
        f"parcels {_num(result['parcels'])}; complaints by kind {result['complaints']}",
        f"attribution accuracy on attributable faults: {_num(a['accuracy_percent'], 2)} % "
        f"({_num(a['correct'])} of {_num(a['attributable'])}; undecided {a['undecided']}, "
        f"not traced {a['not_traced']}, wrong {sum(a['wrong_by_category_rule'].values())})",
    ]
    if a["wrong_by_category_rule"]:
        lines.append(f"  wrong by category/rule: {a['wrong_by_category_rule']}")
    lines.append(
        f"empty-parcel (空包) merchants caught: {e['merchants_caught']} of {e['merchants']}; "
        f"complaints attributed to the merchant {e['complaints_attributed_to_merchant']}, "
        f"to a courier {e['complaints_attributed_to_courier']}, "
        f"to nobody {e['complaints_not_attributed']}"
    )
    if result.get("snapshot") is None:
        lines.append("no rating snapshot in the database: ratings not evaluated")
        return lines
    s = result["snapshot"]
    lines.append(f"latest snapshot: log index {s['index']}, as of {s['as_of']}, {s['units']} units")
    for role, r in result["rank_agreement"].items():
        lines.append(
            f"Spearman(posterior, true rate), {role}: {_num(r['spearman'])} "
            f"over {r['units_with_sufficient_data']} units with sufficient data"
        )
    m = result["malicious"]
    lines.append(
        f"malicious complaints (no verified purchase): {_num(m['malicious_complaints'])}, "
        f"weighing in ratings {m['with_standing']}, grades moved {m['grades_moved']}; "
        f"had complaints without standing counted, {m['grades_moved_had_they_counted']} of "
        f"{m['units_rated']} grades would have moved"
    )
    for unit in result["fabricator"].get("units", []):
        lines.append(
            f"fabricating courier {unit['party_id']}: grade {unit['grade']}, black-list reasons "
            f"{unit['black_list_reasons'] or 'none'}, {unit['disputed_deliveries']} disputed "
            f"in-person deliveries, rank {unit['rank_by_disputed_rate']} of "
            f"{unit['last_mile_staff']} last-mile staff by disputed rate"
        )
    p = result["prediction"]
    if p.get("snapshot_as_of"):
        by_grade = ", ".join(
            f"{g} {_num(v, 1)} ({p['units_by_grade'][g]})"
            for g, v in p["mean_rate_per_million_by_grade"].items()
        )
        lines.append(
            f"prediction: grades of {p['snapshot_as_of'][:10]} vs attributed faults in the next "
            f"{p['months_after']} months (weighted per million, units): {by_grade}; "
            f"Spearman {_num(p['spearman_posterior_vs_next'])}"
        )
    return lines


@click.command("evaluate")
@with_appcontext
@click.option("--truth", "truth_path", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), required=True, help="The simulation's truth file.")  # fmt: skip
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the figures here as JSON.")  # fmt: skip
def evaluate_command(truth_path: Path, json_path: Path | None) -> None:
    """Score back-tracing and ratings against a simulation's hidden truth."""
    try:
        truth = read_truth(truth_path)
    except (TruthFormatError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    session = new_session(app)
    started = time.perf_counter()
    try:
        result = evaluate(session, truth)
    finally:
        session.close()
    for line in report_lines(result):
        click.echo(line)
    click.echo(f"(evaluated in {time.perf_counter() - started:.1f} s)")
    if json_path is not None:
        json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))


def register_cli(app: Flask) -> None:
    app.cli.add_command(evaluate_command)
