"""schemathesis against the served OpenAPI document: a real gunicorn on a free loopback port over
the demo world (with a rating snapshot), every operation fuzzed, a bounded run.

Checks: no response is a server error, and every response matches the schema documented for its
status and media type. Realistic identifiers (the demo's parties, items, parcels, events,
complaints, snapshots and keys) are offered through schemathesis dictionaries, so a good share of
requests reach the handlers' real paths; the requests carry the demo regulator's credential.
Bounded by examples per operation (SCHEMATHESIS_EXAMPLES, default 25) and a fixed seed
(SCHEMATHESIS_SEED) so CI explores the same cases each run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from tests.credit.records_flow import snapshot
from trace_service.credit.models import Snapshot
from trace_service.db import new_session
from trace_service.demo import seed_demo
from trace_service.identity.models import Party, PartyKey
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle import personal_data

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "25")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261126")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dictionaries(app: Flask, regulator: str) -> str:
    """schemathesis.toml: the demo's identifiers as dictionaries for the path/query parameters."""
    session = new_session(app)
    try:
        entries = list(session.scalars(select(LogEntry)))
        values = {
            # Not the regulator whose credential the run uses: suspending it would end the run.
            "parties": sorted(p for p in session.scalars(select(Party.id)) if p != regulator),
            "items": sorted({e.subject for e in entries if e.subject.startswith("01/")}),
            "parcels": sorted({e.subject for e in entries if e.subject.startswith("00/")}),
            "hashes": [e.hash for e in entries],
            "complaints": [e.hash for e in entries if e.type == "complaint"],
            "snapshots": list(session.scalars(select(Snapshot.idx))),
            "keys": sorted(session.scalars(select(PartyKey.keyid))),
        }
    finally:
        session.close()
    values["gtins"] = sorted({item.split("/")[1] for item in values["items"]})
    values["serials"] = sorted({item.split("/")[3] for item in values["items"]})
    bindings = {
        "path.party_id": "parties",
        "path.subject": "items",
        "path.parcel": "parcels",
        "path.event_hash": "hashes",
        "path.complaint": "complaints",
        "path.index": "snapshots",
        "query.snapshot": "snapshots",
        "path.keyid": "keys",
        "path.gtin": "gtins",
        "path.serial": "serials",
    }
    lines = ["[dictionaries]"]
    lines += [
        f"{name} = {{ values = {json.dumps(v, ensure_ascii=False)} }}" for name, v in values.items()
    ]
    lines += ["", "[parameters]"]
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = 0.6 }}'
        for key, name in bindings.items()
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def served_demo(app: Flask, database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """gunicorn (2 workers) over the demo with a snapshot: (base URL, regulator credential)."""
    seed_demo(app)
    snapshot(app, datetime.now(UTC).replace(microsecond=0))
    personal_data.load_key(app)  # created before the workers could race for it
    regulator = json.loads((Path(app.instance_path) / "demo" / "regulator.json").read_text())
    (tmp_path / "schemathesis.toml").write_text(
        _dictionaries(app, regulator["party_id"]), encoding="utf-8"
    )
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "WEB_CONCURRENCY": "2", "PORT": str(port), "DATABASE_URL": database_url,
           "TRACE_INSTANCE_PATH": app.instance_path}  # fmt: skip
    env.pop("BIND", None)
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:trace_service.gunicorn_conf",
             "trace_service:create_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited ({server.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/openapi.json", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield base, regulator["credential"]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=25)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_no_server_errors_and_every_response_as_documented(
    served_demo: tuple[str, str], tmp_path: Path
) -> None:
    base, credential = served_demo
    started = time.monotonic()
    run = subprocess.run(
        [
            str(BIN / "schemathesis"), "--config-file", str(tmp_path / "schemathesis.toml"),
            "run", f"{base}/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--header", f"Authorization: Bearer {credential}",
            "--max-examples", EXAMPLES, "--seed", SEED,
            # One worker: hypothesis describes strategies with `ast`, which is not thread-safe.
            "--workers", "1",
            # Digital Link paths and GS1 check digits cannot be spelled in a schema, so many
            # generated values are filtered out before a request; that is not the API's fault.
            "--suppress-health-check", "filter_too_much",
            "--generation-database", "none", "--no-color",
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    summary = run.stdout[-4000:]
    assert run.returncode == 0, f"{run.stdout[-20000:]}\n{run.stderr[-5000:]}"
    assert "47 selected" in run.stdout or "Selected: " in run.stdout, summary
    print(f"schemathesis: {elapsed:.0f} s\n{summary}")
