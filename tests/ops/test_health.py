"""Liveness never touches the database; readiness names every check that fails."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.lifecycle.flow import assert_problem


def test_ready_when_migrated_and_keyed(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "log_key": "ok", "records_key": "ok"},
    }


def test_alive_without_database_but_not_ready(make_app):
    # Nothing listens on port 9: the database is unreachable.
    app = make_app(DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    body = assert_problem(client.get("/readyz"), 503, "not_ready")
    assert body["failed"] == ["database", "migrations"]
    assert body["checks"]["database"].startswith("unreachable")
    assert body["checks"]["log_key"] == "ok"
    assert body["request_id"]


def test_not_ready_before_migrations(make_app, tmp_path: Path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    body = assert_problem(app.test_client().get("/readyz"), 503, "not_ready")
    assert body["failed"] == ["migrations"]
    assert "not migrated" in body["checks"]["migrations"]


def test_not_ready_behind_head(app, client):
    engine = app.extensions["trace_engine"]
    with engine.begin() as conn:
        [head] = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        body = assert_problem(client.get("/readyz"), 503, "not_ready")
        assert body["failed"] == ["migrations"]
        assert body["checks"]["migrations"] == f"at 0001; head is {head}"
    finally:
        # On PostgreSQL the database outlives the test (only the models' tables are emptied).
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


def test_not_ready_without_log_key(app, client):
    Path(app.extensions["trace_log_key"].path).unlink()
    body = assert_problem(client.get("/readyz"), 503, "not_ready")
    assert body["failed"] == ["log_key"]
    assert "missing" in body["checks"]["log_key"]
