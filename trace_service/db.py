"""Database engine, sessions and the write serialisation every log append goes through."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, TypeDecorator, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# One advisory-lock key for the whole log: appends are serialised by the database, not by Python.
LOG_LOCK_KEY = 0x7472616365  # "trace"

_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("_immediate", default=False)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str) -> Engine:
    """An engine tuned for the service: WAL and BEGIN IMMEDIATE on SQLite, psycopg 3 on Postgres."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before its receipt and checkpoint leave the service, so a
        # power cut cannot roll back a tree the log has already signed (NORMAL survives a killed
        # process, not a crashed machine; see docs/RELIABILITY.md).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the database's write lock up front so two writers never interleave.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


def is_sqlite(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "sqlite"


@contextmanager
def serialized_write(session: Session) -> Iterator[Session]:
    """Run a block as the only writer of the log, committing at the end.

    On SQLite the transaction starts with BEGIN IMMEDIATE; on PostgreSQL it takes a
    transaction-scoped advisory lock. Any open transaction on the session is rolled back first,
    so the block sees the latest committed state. Raises whatever the block raises (after rollback).
    """
    if session.in_transaction():
        session.rollback()
    token = _immediate.set(True)
    try:
        session.connection()  # begins the transaction (BEGIN IMMEDIATE on SQLite)
    finally:
        _immediate.reset(token)
    try:
        if not is_sqlite(session):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOG_LOCK_KEY})
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["trace_engine"] = engine
    app.extensions["trace_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["trace_engine"]
    return engine


def new_session(app: Flask | None = None) -> Session:
    """A session outside any request (CLI, scripts); the caller closes it."""
    maker: sessionmaker[Session] = (app or current_app).extensions["trace_sessionmaker"]
    return maker()


def get_session() -> Session:
    """The session of the current request or app context, closed at teardown."""
    if "db_session" not in g:
        g.db_session = new_session()
    session: Session = g.db_session
    return session


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
