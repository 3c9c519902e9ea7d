"""The schema comes only from the Alembic migrations, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from trace_service.db import Base, make_engine
from trace_service.migrations import downgrade, upgrade
from trace_service.models import import_all_models


def test_migrated_schema_matches_the_models(database_url):
    import_all_models()
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    # Type affinity differences (e.g. SQLite DATETIME vs the UTC decorator) are not schema drift.
    structural = [d for d in diff if d[0] not in ("modify_type",)]
    assert structural == []


def test_downgrade_to_base_and_upgrade_again(database_url):
    engine = make_engine(database_url)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"log_entries", "log_nodes", "checkpoints", "parties", "subjects"} <= tables
    engine.dispose()
