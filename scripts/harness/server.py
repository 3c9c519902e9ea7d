"""The server under measurement: a fresh migrated database and instance folder, gunicorn over
them (started, restarted, and its processes found by the instance folder they serve), and for
PostgreSQL a scratch database created for a run and dropped after it."""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import func, make_url, select, text

from trace_service import create_app
from trace_service.db import make_engine
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle import personal_data
from trace_service.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir

    def fresh(self, name: str) -> tuple[Any, str, Path]:
        """A fresh migrated database and instance folder, and an app over them."""
        instance = self.workdir / name / "instance"
        instance.mkdir(parents=True)
        if self.args.database_url:
            url = self.args.database_url
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            url = f"sqlite:///{instance / 'trace.db'}"
            engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        os.environ["TRACE_INSTANCE_PATH"] = str(instance)
        app = create_app({"DATABASE_URL": url})
        # personal_data creates its key file without a guard between processes: make it before
        # gunicorn's workers start together (the log key's creation is already atomic).
        personal_data.load_key(app)
        return app, url, instance


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(url: str, instance: Path, workers: int) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(workers),
        "PORT": str(port),
        "TRACE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
    }
    env.pop("BIND", None)
    out = (instance / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--config",
            "python:trace_service.gunicorn_conf",
            "trace_service:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError((instance / "gunicorn.log").read_text())
            booted = (instance / "gunicorn.log").read_text().count("Booting worker")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/log/key")
                ready = conn.getresponse().status == 200 and booted >= workers
                conn.close()
            except OSError:
                ready = False
            if ready:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def log_size(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(LogEntry)) or 0)
    finally:
        engine.dispose()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def gunicorn_processes(instance: Path) -> tuple[int | None, list[int]]:
    """The live gunicorn master and other processes (workers, orphaned ones too) serving
    `instance`: found by the TRACE_INSTANCE_PATH they were started with, so no other server on
    the machine is ever touched."""
    marker = f"TRACE_INSTANCE_PATH={instance}".encode()
    master, others = None, []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or b"gunicorn" not in _read(entry / "cmdline"):
            continue
        if marker not in _read(entry / "environ").split(b"\0"):
            continue
        stat = _read(entry / "stat").rsplit(b")", 1)[-1].split()
        if not stat or stat[0] == b"Z":
            continue
        if int(stat[1]) == os.getpid():
            master = int(entry.name)
        else:
            others.append(int(entry.name))
    return master, others


class Server:
    """gunicorn over one database and instance folder, restarted on the same ones after a kill."""

    def __init__(self, url: str, instance: Path, workers: int) -> None:
        self.url, self.instance, self.workers = url, instance, workers
        # One metrics folder for every restart: each gunicorn would otherwise make its own
        # temporary one and, killed, never remove it.
        self.metrics = instance.parent / "metrics"
        self.metrics.mkdir(exist_ok=True)
        self._stack: ExitStack | None = None
        self.port = 0

    def start(self) -> int:
        self.stop()
        stack = ExitStack()
        with mock.patch.dict(os.environ, {"PROMETHEUS_MULTIPROC_DIR": str(self.metrics)}):
            self.port = stack.enter_context(gunicorn(self.url, self.instance, self.workers))
        self._stack = stack
        return self.port

    def stop(self) -> None:
        """SIGTERM a running server; after a kill, only reaps the dead master."""
        if self._stack is not None:
            self._stack.close()
            self._stack = None


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """Create the PostgreSQL database `url` names (dropping a leftover first) and drop it after."""
    name = make_url(url).database
    admin_url = make_url(url).set(database="postgres").render_as_string(hide_password=False)

    def run(statement: str) -> None:
        admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(statement))
        admin.dispose()

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
