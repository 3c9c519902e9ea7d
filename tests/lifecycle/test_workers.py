"""Several gunicorn worker processes writing at once: chains never fork, the log stays whole.

The database is migrated and populated with parties by the fixtures; a real gunicorn (3 worker
processes) then serves it while ≥ 16 client threads submit events for different items and race
conflicting events (same `prev`, different content) for the same items. Afterwards every race has
exactly one winner, every loser got 409 `fork` naming that winner, the log is contiguous, and every
receipt's inclusion proof verifies against its signed checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.lifecycle.flow import GTIN, now
from trace_service.db import make_engine
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import verify_checkpoint
from trace_service.lifecycle import personal_data
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 24
RIVALS = 3  # conflicting events per contested prev

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    log: Path

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)


@pytest.fixture
def gunicorn(app: Any, database_url: str, tmp_path: Path) -> Iterator[Server]:
    """gunicorn with 3 workers over the fixture database, sharing the fixture app's instance."""
    instance = Path(app.instance_path)
    # The data key file is created without a cross-process guard; make it before the workers race.
    personal_data.load_key(app)
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "WEB_CONCURRENCY": "3",
        "PORT": str(port),
        "TRACE_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
    }
    env.pop("BIND", None)
    with log.open("wb") as out:
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
    server = Server(port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited ({proc.returncode}):\n{log.read_text()}")
            try:
                conn = server.connect()
                conn.request("GET", "/log/key")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok and log.read_text().count("Booting worker") >= 3:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Shot:
    """One submission: an event, how it is sent, and what came back."""

    group: str  # events of one group claim the same (subject, prev)
    body: dict[str, Any]
    batch: bool = False
    status: int = 0
    result: dict[str, Any] | None = None


_local = threading.local()


def _post(server: Server, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    # One keep-alive connection per writer thread.
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "port", None) != server.port:
        conn = _local.conn = server.connect()
        _local.port = server.port
    data = json.dumps(body).encode()
    try:
        conn.request("POST", path, data, {"Content-Type": "application/json"})
        response = conn.getresponse()
    except (ConnectionError, http.client.HTTPException):
        conn.close()
        conn.request("POST", path, data, {"Content-Type": "application/json"})
        response = conn.getresponse()
    return response.status, json.loads(response.read())


def _fire(server: Server, shots: list[Shot], writers: int = WRITERS) -> None:
    """Send the shots from `writers` threads released together, each shot once: writer w sends
    shots[w], shots[w + writers], ..."""
    barrier = threading.Barrier(writers)
    lanes = [shots[i::writers] for i in range(writers)]

    def writer(lane: list[Shot]) -> None:
        barrier.wait(timeout=30)
        for shot in lane:
            if shot.batch:
                status, body = _post(server, "/events/batch", {"events": [shot.body]})
                assert status == 200, body
                [one] = body["results"]
                shot.status = one["status"]
                shot.result = one.get("receipt") or one.get("problem")
            else:
                shot.status, shot.result = _post(server, "/events", shot.body)

    with ThreadPoolExecutor(writers) as pool:
        for future in [pool.submit(writer, lane) for lane in lanes]:
            future.result()


def _get(server: Server, path: str) -> tuple[int, bytes]:
    conn = server.connect()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_concurrent_writers_on_several_workers(gunicorn, client, make_party, database_url):
    merchant = make_party("merchant", "并发测试商户")
    platform = make_party("platform", "并发测试平台")
    response = client.post(
        "/products",
        json={"gtin": GTIN, "name": "并发测试商品", "origin": "上海", "producer": "测试厂"},
        headers=merchant.auth,
    )
    assert response.status_code == 201, response.get_json()
    rng = random.Random(20260131)
    at = now()
    price = {"amount": "10.00", "currency": "CNY"}

    def listing(item: str, ref: str) -> dict[str, Any]:
        body = payload(
            "listing", item, None, at, platform=platform.party_id, listing_ref=ref, price=price
        )
        return submission(sign(body, merchant.key))

    def sale(item: str, prev: str, ref: str) -> dict[str, Any]:
        body = payload(
            "sale",
            item,
            prev,
            at,
            platform=platform.party_id,
            order_ref=ref,
            price=price,
            buyer_key=KeyHolder().public_b64,
        )
        return submission(sign(body, merchant.key))

    # Round 1 — different items, no contention: 48 listings, singly and in batches.
    items = [f"01/{GTIN}/21/W{n:04d}" for n in range(48)]
    round1 = [
        Shot(f"{i}|", listing(i, "L-" + i[-5:]), batch=n % 3 == 0) for n, i in enumerate(items)
    ]
    _fire(gunicorn, round1)
    for shot in round1:
        assert shot.status == 201, shot.result
    heads = {shot.group.split("|")[0]: shot.result["hash"] for shot in round1}  # type: ignore[index]

    # Round 2 — races mixed with independent writes:
    #   * 24 listed items get RIVALS conflicting sales each (same prev: the listing);
    #   * 12 fresh items get RIVALS conflicting first listings each (prev null);
    #   * 23 other listed items each get one uncontested sale, and one sale is sent twice at once.
    round2: list[Shot] = []
    for item in items[:24]:
        round2 += [
            Shot(f"{item}|{heads[item]}", sale(item, heads[item], f"O-{k}"), batch=k == 2)
            for k in range(RIVALS)
        ]
    for n in range(12):
        fresh = f"01/{GTIN}/21/R{n:04d}"
        round2 += [Shot(f"{fresh}|", listing(fresh, f"R-{k}"), batch=k == 1) for k in range(RIVALS)]
    for item in items[24:47]:
        round2.append(Shot(f"{item}|{heads[item]}", sale(item, heads[item], "O-solo")))
    twice = sale(items[47], heads[items[47]], "O-twice")
    round2 += [Shot(f"{items[47]}|twice", twice), Shot(f"{items[47]}|twice", twice, batch=True)]
    rng.shuffle(round2)
    assert len(round2) >= 16 * 4
    _fire(gunicorn, round2)

    # Exactly one winner per contested prev; every loser is a fork naming it.
    groups: dict[str, list[Shot]] = defaultdict(list)
    for shot in round2:
        groups[shot.group].append(shot)
    winners: dict[str, str] = {}
    for group, shots in groups.items():
        if group.endswith("|twice"):
            assert sorted(s.status for s in shots) == [200, 201], [s.result for s in shots]
            assert len({s.result["index"] for s in shots}) == 1  # type: ignore[index]
            continue
        won = [s for s in shots if s.status == 201]
        assert len(won) == 1, (group, [(s.status, s.result) for s in shots])
        winner = won[0].result["hash"]  # type: ignore[index]
        winners[group] = winner
        for loser in (s for s in shots if s is not won[0]):
            assert loser.status == 409, (group, loser.result)
            assert loser.result["code"] == "fork", loser.result  # type: ignore[index]
            assert loser.result["winner"] == winner, loser.result  # type: ignore[index]
    assert len(winners) == 24 + 12 + 23

    receipts = [s.result for s in round1 + round2 if s.status in (200, 201)]
    _check_log(gunicorn, database_url, winners, receipts)


def _check_log(
    server: Server, database_url: str, winners: dict[str, str], receipts: list[Any]
) -> None:
    status, raw_vkey = _get(server, "/log/key")
    assert status == 200
    vkey = raw_vkey.decode().strip()
    status, raw_note = _get(server, "/checkpoint")
    assert status == 200
    latest = verify_checkpoint(raw_note.decode(), vkey)

    # The database: indices 0..N-1 with no gap or duplicate, one successor per (subject, prev).
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT idx, hash, subject, prev FROM log_entries ORDER BY idx")
            ).all()
            sizes = [s for (s,) in conn.execute(text("SELECT size FROM checkpoints ORDER BY size"))]
            subjects = {
                sid: (head, length)
                for sid, head, length in conn.execute(text("SELECT id, head, length FROM subjects"))
            }
    finally:
        engine.dispose()
    size = len(rows)
    assert [r.idx for r in rows] == list(range(size))
    assert latest.size == size == sizes[-1]
    assert len(sizes) == len(set(sizes))
    assert not [k for k, n in Counter((r.subject, r.prev) for r in rows).items() if n > 1]
    by_link = {(r.subject, r.prev): r.hash for r in rows}
    for group, winner in winners.items():
        subject, prev = group.split("|")
        assert by_link[(subject, prev)] == winner
    # Each chain runs from its first event to the stored head, one link per event.
    chains: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        chains[r.subject].append(r)
    for subject, chain in chains.items():
        assert chain[0].prev == ""
        assert all(b.prev == a.hash for a, b in itertools.pairwise(chain))
        assert subjects[subject] == (chain[-1].hash, len(chain))

    # Over HTTP: every entry's bytes, and nothing past the end.
    bodies: dict[int, bytes] = {}
    web = server.connect()
    for index in range(size):
        web.request("GET", f"/log/entries/{index}")
        response = web.getresponse()
        assert response.status == 200
        bodies[index] = response.read()
        assert hashlib.sha256(bodies[index]).hexdigest() == rows[index].hash
    web.request("GET", f"/log/entries/{size}")
    response = web.getresponse()
    response.read()
    assert response.status == 404

    # Every receipt: its checkpoint is signed by the log key and its inclusion proof verifies;
    # every checkpoint handed out is consistent with the latest one.
    assert len(receipts) == size + 1  # plus the duplicate receipt of the event sent twice
    notes: dict[int, str] = {}
    for receipt in receipts:
        checkpoint = verify_checkpoint(receipt["checkpoint"], vkey)
        proof = receipt["inclusion"]
        index = receipt["index"]
        assert proof["tree_size"] == checkpoint.size and proof["index"] == index
        leaf = base64.b64decode(receipt["leaf_hash"])
        assert leaf == merkle.leaf_hash(bodies[index])
        assert receipt["hash"] == rows[index].hash
        merkle.verify_inclusion(
            leaf,
            index,
            checkpoint.size,
            [base64.b64decode(h) for h in proof["hashes"]],
            checkpoint.root,
        )
        assert notes.setdefault(checkpoint.size, receipt["checkpoint"]) == receipt["checkpoint"]
    for first, note in notes.items():
        web.request("GET", f"/log/consistency?first={first}&second={size}")
        response = web.getresponse()
        assert response.status == 200
        hashes = [base64.b64decode(h) for h in json.loads(response.read())["hashes"]]
        merkle.verify_consistency(
            first, size, hashes, verify_checkpoint(note, vkey).root, latest.root
        )
    web.close()
