"""Liveness and readiness for load balancers and orchestrators.

`GET /healthz`: the process answers (no database). `GET /readyz`: the database answers and is
migrated to the head revision, and the log key and the records key are loaded; otherwise a 503
problem (`not_ready`) naming every check that failed.
"""

from __future__ import annotations

import functools
from typing import Any

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from trace_service.db import get_session
from trace_service.errors import DomainError
from trace_service.ledger.log_key import LogKeyUnavailable, current_log_key
from trace_service.migrations import alembic_config

bp = Blueprint("health", __name__)

OK = "ok"


class NotReady(DomainError):
    code = "not_ready"
    status = 503
    title = "The service is not ready"


@functools.cache
def head_revisions() -> frozenset[str]:
    """The migration heads this code expects (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _database() -> tuple[str, str]:
    """(database check, migrations check)."""
    session = get_session()
    try:
        current = frozenset(session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError as exc:
        session.rollback()
        # Reachable but never migrated, or not reachable at all?
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            session.rollback()
            return f"unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}", "unknown"
        return OK, "not migrated (no alembic_version table)"
    finally:
        session.rollback()
    heads = head_revisions()
    if current != heads:
        return (
            OK,
            f"at {', '.join(sorted(current)) or 'nothing'}; head is {', '.join(sorted(heads))}",
        )
    return OK, OK


def _log_key() -> str:
    try:
        current_log_key().private  # noqa: B018  # re-reads the file if it changed
    except LogKeyUnavailable as exc:
        return exc.detail
    return OK


def _records_key() -> str:
    return OK if current_app.extensions.get("trace_service_key") is not None else "not loaded"


@bp.get("/healthz")
def healthz() -> dict[str, Any]:
    """The process is alive; touches nothing else."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> dict[str, Any]:
    """Ready for traffic: database reachable and migrated, keys loaded; else a 503 problem."""
    database, migrations = _database()
    checks = {
        "database": database,
        "migrations": migrations,
        "log_key": _log_key(),
        "records_key": _records_key(),
    }
    failed = [name for name, result in checks.items() if result != OK]
    if failed:
        raise NotReady(f"failed: {', '.join(failed)}", checks=checks, failed=failed)
    return {"status": "ready", "checks": checks}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
