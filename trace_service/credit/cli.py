"""Operator commands for back-tracing and ratings: trace complaints, take and recompute
snapshots."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from trace_service.credit.snapshots import UnknownSnapshot, recompute, take_snapshot
from trace_service.db import new_session
from trace_service.lifecycle.ingest import IngestContext
from trace_service.plumbing.timestamps import parse_time
from trace_service.tracing.operations import trace_pending


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


@click.command("trace-complaints")
@with_appcontext
def trace_complaints_command() -> None:
    """Attribute every complaint not yet traced (责任倒查) and log the signed attributions."""
    session = new_session(_app())
    try:
        logged = trace_pending(session, IngestContext.for_app(_app()), datetime.now(UTC))
    finally:
        session.close()
    click.echo(f"{logged} attribution record(s) logged")


@click.command("snapshot")
@with_appcontext
@click.option("--as-of", help="RFC 3339 UTC time (default: now); not in the future.")
def snapshot_command(as_of: str | None) -> None:
    """Take a rating snapshot (评级快照), log it and any black-list nominations; print its hash."""
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        moment = parse_time(as_of) if as_of else now
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc
    session = new_session(_app())
    started = time.perf_counter()
    try:
        taken = take_snapshot(session, IngestContext.for_app(_app()), moment, now)
    finally:
        session.close()
    click.echo(
        f"snapshot at log index {taken.index}: {taken.units} units, content hash "
        f"{taken.content_hash}, {taken.nominations} black-list nomination(s) "
        f"({time.perf_counter() - started:.1f} s)"
    )


@click.command("recompute-snapshot")
@with_appcontext
@click.argument("index", type=int)
def recompute_snapshot_command(index: int) -> None:
    """Recompute the snapshot logged at INDEX from the log; exit 1 unless the hash matches."""
    session = new_session(_app())
    started = time.perf_counter()
    try:
        result = recompute(session, index)
    except (UnknownSnapshot, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    seconds = time.perf_counter() - started
    click.echo(f"logged     {result.logged_hash}\nrecomputed {result.recomputed_hash}")
    if not result.matches:
        click.echo(f"MISMATCH ({seconds:.1f} s)")
        raise SystemExit(1)
    click.echo(f"match ({seconds:.1f} s)")


def register_cli(app: Flask) -> None:
    for command in (trace_complaints_command, snapshot_command, recompute_snapshot_command):
        app.cli.add_command(command)
