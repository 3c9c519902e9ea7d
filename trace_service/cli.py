"""Operator commands: `flask --app trace_service <command>` or `trace-service <command>`."""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from trace_service.db import get_engine, new_session
from trace_service.errors import DomainError
from trace_service.identity import service as identity
from trace_service.ledger.key_holder import KeyHolder


def _now() -> datetime:
    return datetime.now(UTC)


@click.command("migrate")
@with_appcontext
@click.option("--revision", default="head", show_default=True)
def migrate_command(revision: str) -> None:
    """Apply the database migrations (Alembic)."""
    from trace_service.migrations import upgrade

    upgrade(get_engine(), revision)
    click.echo(f"database at {revision}")


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has parties.")
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo world and print its items' Digital Link URIs."""
    from trace_service.demo import seed_demo

    try:
        uris = seed_demo(current_app._get_current_object())  # type: ignore[attr-defined]
    except RuntimeError as exc:
        if if_empty:
            click.echo(f"demo: {exc}; leaving it as it is")
            return
        raise click.ClickException(str(exc)) from exc
    click.echo(f"demo loaded; keys and credentials in {Path(current_app.instance_path) / 'demo'}")
    for uri in uris:
        click.echo(f"  {uri}")


@click.command("create-key")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_key_command(path: Path) -> None:
    """Generate an Ed25519 signing key into PATH (JSON, mode 0600) and print its public key."""
    holder = KeyHolder()
    if path.exists():
        raise click.ClickException(f"{path} exists; refusing to overwrite a key")
    path.write_text(
        json.dumps(
            {
                "keyid": holder.keyid,
                "public_key": holder.public_b64,
                "private_key": base64.b64encode(bytes(holder.signing_key)).decode(),
            },
            indent=2,
        )
    )
    path.chmod(0o600)
    click.echo(json.dumps({"keyid": holder.keyid, "public_key": holder.public_b64}))


@click.command("bootstrap-registrar")
@with_appcontext
@click.option("--kind", type=click.Choice(["regulator", "platform"]), default="regulator")
@click.option("--name", required=True)
@click.option("--uscc", required=True, help="统一社会信用代码")
def bootstrap_registrar_command(kind: str, name: str, uscc: str) -> None:
    """Create the first registrar and print its id and bearer credential (shown once)."""
    session = new_session()
    try:
        party = identity.bootstrap_registrar(session, identity.PartySpec(kind, name, uscc), _now())
        token = identity.issue_credential(session, party.id, _now())
        session.commit()
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    finally:
        session.close()
    click.echo(json.dumps({"party_id": party.id, "credential": token}))


def init_app(app: Flask) -> None:
    from trace_service.audit.verify import register_cli
    from trace_service.credit.cli import register_cli as register_credit_cli
    from trace_service.interop.cli import register_cli as register_interop_cli
    from trace_service.ops.key_rotation import rotate_log_key_command
    from trace_service.simulate.cli import register_cli as register_simulate_cli
    from trace_service.simulate.evaluation_cli import register_cli as register_evaluation_cli

    register_cli(app)
    register_credit_cli(app)
    register_interop_cli(app)
    register_simulate_cli(app)
    register_evaluation_cli(app)
    for command in (
        migrate_command,
        seed_demo_command,
        create_key_command,
        bootstrap_registrar_command,
        rotate_log_key_command,
    ):
        app.cli.add_command(command)


def main() -> None:
    """The `trace-service` console script: the same commands as `flask --app trace_service`."""
    from trace_service import create_app

    cli = FlaskGroup(create_app=lambda: create_app())
    sys.exit(cli.main())
