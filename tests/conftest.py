"""Shared fixtures: a migrated database per test (SQLite file, or PostgreSQL when
TEST_DATABASE_URL is set), the app and its client, and factories for registered parties."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text

from trace_service import create_app
from trace_service.db import make_engine, new_session
from trace_service.identity import service as identity
from trace_service.ledger.key_holder import KeyHolder
from trace_service.migrations import upgrade
from trace_service.models import import_all_models

PG_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "trace.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _private_database(url: str) -> str:
    """A database of this test process alone, created beside the configured one.

    Every pytest process (each xdist worker too) gets its own, so concurrent runs never truncate
    each other's tables; it is dropped when the session ends.
    """
    base = make_url(url)
    name = f"{base.database}_{os.getpid()}"
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, admin_url: str) -> None:
    name = make_url(url).database
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_migrated() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    url = _private_database(PG_URL)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_database(url, PG_URL)


def _truncate_all(url: str) -> None:
    import_all_models()
    from trace_service.db import Base

    engine = make_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path, pg_migrated: str | None) -> str:
    if pg_migrated:
        _truncate_all(pg_migrated)
        return pg_migrated
    target = tmp_path / "trace.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    instance = tmp_path / "instance"
    instance.mkdir()
    application = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)}
    )
    assert application.instance_path == str(instance)
    yield application
    application.extensions["trace_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Actor:
    """A registered party with a bearer credential and an enrolled signing key."""

    party_id: str
    kind: str
    token: str
    key: KeyHolder
    company_id: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


USCC_BASES = iter(f"91310000MA1FL{n:04d}" for n in range(1, 10000))


def next_uscc() -> str:
    """A fresh valid unified social credit code (check digit computed, never guessed)."""
    from stdnum.cn import uscc

    base = next(USCC_BASES)
    return base + uscc.calc_check_digit(base)


ENTERPRISES = {"platform", "merchant", "courier_company", "regulator"}


@pytest.fixture
def make_party(app: Flask) -> Callable[..., Actor]:
    """Factory: register a party (by a bootstrap regulator), enrol a key, issue a token."""
    state: dict[str, Any] = {}

    def factory(
        kind: str, name: str | None = None, company: Actor | None = None, **extra: Any
    ) -> Actor:
        with app.app_context():
            session = new_session(app)
            now = datetime(2020, 1, 1, tzinfo=UTC)
            if "registrar" not in state:
                registrar = identity.bootstrap_registrar(
                    session,
                    identity.PartySpec("regulator", "State Post Bureau (test)", next_uscc()),
                    now,
                )
                state["registrar"] = registrar.id
            registrar = identity.get_party(session, state["registrar"])
            spec = identity.PartySpec(
                kind,
                name or f"{kind} {len(state)}",
                uscc=next_uscc() if kind in ENTERPRISES else None,
                company_id=company.party_id if company else None,
                **extra,
            )
            party = (
                registrar
                if kind == "regulator" and name == "registrar"
                else identity.register_party(session, registrar, spec, now)
            )
            holder = KeyHolder(party_id=party.id)
            identity.enrol_key(session, registrar, party.id, holder.public_key, now)
            token = identity.issue_credential(session, party.id, now)
            session.commit()
            state[party.id] = True
            actor = Actor(party.id, kind, token, holder, party.company_id)
            session.close()
            return actor

    return factory
