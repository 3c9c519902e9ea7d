"""Operator commands of interoperability: regenerate the published contract, check a credit
export against the log."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from trace_service.db import new_session
from trace_service.interop.contract import CONTRACT_DIR, stale_files, write_contract
from trace_service.interop.exchange_verify import read_export, verify_export


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


@click.command("export-schemas")
@with_appcontext
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing stale files.")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=CONTRACT_DIR,
    show_default=True,
    help="The contract folder.",
)
def export_schemas_command(check: bool, root: Path) -> None:
    """Write schemas/openapi.json and schemas/events/<type>.schema.json from the code."""
    if check:
        stale = stale_files(_app(), root)
        for line in stale:
            click.echo(f"stale: {root.name}/{line}", err=True)
        if stale:
            click.echo(
                "the published contract is stale; run `flask --app trace_service export-schemas`",
                err=True,
            )
            raise SystemExit(1)
        click.echo(f"{root.name}/ is up to date")
        return
    changed = write_contract(_app(), root)
    for name in changed:
        click.echo(f"wrote {root.name}/{name}")
    click.echo(f"{len(changed)} file(s) changed")


@click.command("verify-credit-export")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_credit_export_command(file: Path) -> None:
    """Check a credit exchange export (JSON or CSV) against the log; exit 1 listing every row
    that does not hold."""
    try:
        parsed = read_export(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"{file} is not a credit export: {exc}") from exc
    session = new_session(_app())
    try:
        problems = verify_export(session, parsed)
    finally:
        session.close()
    for problem in problems:
        click.echo(f"MISMATCH {problem}")
    rows = len(parsed.rows)
    if problems:
        click.echo(f"{file}: {len(problems)} mismatch(es) in {rows} rows")
        raise SystemExit(1)
    click.echo(
        f"{file}: {rows} rows match snapshot {parsed.meta['snapshot_index']} "
        f"(content hash {parsed.meta['snapshot_content_hash']}) and the logged decisions"
    )


def register_cli(app: Flask) -> None:
    for command in (export_schemas_command, verify_credit_export_command):
        app.cli.add_command(command)
