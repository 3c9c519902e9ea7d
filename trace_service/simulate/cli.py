"""`flask --app trace_service simulate`: generate a courier network into an empty database.

The rest of the service runs alongside in simulated time when it is there: after every ingest
batch `trace_service.tracing.operations.trace_pending(session, ctx, now)` (attributing new
complaints), and at every month boundary `trace_service.credit.snapshots.take_snapshot` (a rating
snapshot as of the boundary). Each is looked up by name, so the simulator also runs without them.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import click
from flask import Flask
from sqlalchemy.orm import Session

from trace_service.lifecycle.ingest import IngestContext
from trace_service.simulate.driver import Hook, run_simulation
from trace_service.simulate.params import SimulationParams

AFTER_BATCH = ("trace_service.tracing.operations", "trace_pending")
AT_MONTH_END = ("trace_service.credit.snapshots", "take_snapshot")


def find_hook(module: str, name: str) -> Hook | None:
    """`module.name` if that module exists and defines it, else None. A function that takes
    both the moment and the server time (take_snapshot(session, ctx, as_of, now)) is called with
    the simulated moment for both.

    Raises whatever importing an existing module raises (a broken module is not "absent").
    """
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(exc.name + ".")):
            return None
        raise
    hook = getattr(found, name, None)
    if not callable(hook):
        return None
    required = [
        p
        for p in inspect.signature(hook).parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if len(required) == 4:
        four: Callable[..., object] = hook

        def at_moment(session: Session, ctx: IngestContext, moment: datetime) -> object:
            return four(session, ctx, moment, moment)

        return at_moment
    return cast(Hook, hook)


def register_cli(app: Flask) -> None:
    """Add `flask --app trace_service simulate` to the app's commands."""

    @app.cli.command("simulate")
    @click.option("--parcels", type=click.IntRange(min=1), required=True, help="Parcels to send.")
    @click.option("--months", type=click.IntRange(1, 120), default=24, show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option(
        "--truth",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Where to write the hidden truth (JSON Lines; default <instance>/simulation/).",
    )
    @click.option(
        "--start",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default="2024-11-01",
        show_default=True,
        help="First day of the simulated period (UTC).",
    )
    @click.option("--batch-size", type=click.IntRange(1, 5000), default=1000, show_default=True)
    @click.option(
        "--pipeline/--no-pipeline",
        default=None,
        help="Sign events in a second process while ingesting [default: from 10000 parcels].",
    )
    @click.option(
        "--hooks/--no-hooks",
        default=True,
        show_default=True,
        help="Run complaint tracing and monthly snapshots alongside, when they exist.",
    )
    def simulate_command(
        parcels: int,
        months: int,
        seed: int,
        truth: Path | None,
        start: datetime,
        batch_size: int,
        pipeline: bool | None,
        hooks: bool,
    ) -> None:
        """Generate a realistic network with hidden fault rates through the real ingest path."""
        params = SimulationParams(
            parcels=parcels,
            months=months,
            seed=seed,
            start=start.replace(tzinfo=UTC),
            batch_size=batch_size,
        )
        path = truth or Path(app.instance_path) / "simulation" / f"truth-seed{seed}.jsonl"
        after_batch = find_hook(*AFTER_BATCH) if hooks else None
        at_month_end = find_hook(*AT_MONTH_END) if hooks else None
        for (module, name), hook in ((AFTER_BATCH, after_batch), (AT_MONTH_END, at_month_end)):
            state = "on" if hook is not None else "not available" if hooks else "off"
            click.echo(f"{module}.{name}: {state}")
        try:
            with click.progressbar(
                length=parcels, label="simulating parcels", show_pos=True, show_eta=True
            ) as bar:
                report = run_simulation(
                    app,
                    params,
                    path,
                    after_batch=after_batch,
                    at_month_end=at_month_end,
                    progress=bar.update,
                    pipelined=pipeline,
                )
        except RuntimeError as exc:  # SimulationFailed, GeneratorFailed, a non-empty database
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"simulated {report.parcels} parcels: {report.events} events "
            f"({report.accepted} accepted, {report.refused_adversarial} adversarial refusals) "
            f"in {report.batches} batches, {report.seconds:.1f} s, "
            f"{report.events_per_second:.0f} events/s; {report.complaints} complaints"
        )
        click.echo(f"truth written to {report.truth}")
