"""Did what the server acknowledged survive the crash? The checks run after every restart, before
the clients resume: receipts at their indices, inclusion and consistency proofs against every
checkpoint seen, acknowledged batches answered again with the same receipts, and verify-log."""

from __future__ import annotations

import base64
import http.client
import random
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from scripts.harness.receipts import Evidence, http_json
from trace_service.audit.verify import verify_log
from trace_service.db import new_session
from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import Checkpoint, verify_checkpoint
from trace_service.ledger.models import Checkpoint as StoredCheckpoint
from trace_service.ledger.models import LogEntry


@dataclass
class Checker:
    """The checks run after every restart, before the clients resume."""

    app: Flask
    problems: list[str] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)
    bad_checkpoints: set[int] = field(default_factory=set)
    served: Checkpoint | None = None
    checked_stored: int = 0

    def check(self, port: int, evidence: Evidence, rng: random.Random) -> tuple[int, bool]:
        """Run every check; returns the served tree size and whether verify-log passed."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            vkey = http_json(conn, "GET", "/log/key").decode().strip()
            served = verify_checkpoint(http_json(conn, "GET", "/checkpoint").decode(), vkey)
            leaves = self._stored_leaves(served)
            with evidence.lock:
                receipts = dict(evidence.receipts)
                fresh, evidence.fresh = evidence.fresh, []
                notes = {s: evidence.notes[s] for s in evidence.fresh_notes}
                evidence.fresh_notes = set()
                sample = [evidence.last_batch[k] for k in sorted(evidence.last_batch)]
            self._receipts(receipts, fresh, leaves, vkey)
            seen = {size: verify_checkpoint(note, vkey).root for size, note in notes.items()}
            seen.update(self._new_stored(served.size))
            if self.served is not None:
                seen[self.served.size] = self.served.root
            self._consistency(conn, seen, served)
            self.served = served
            if sample:
                self._resubmit(conn, *rng.choice(sample))
        finally:
            conn.close()
        return served.size, self._verify_log(vkey)

    def _stored_leaves(self, served: Checkpoint) -> list[bytes]:
        indices, leaves = [], []
        session = new_session(self.app)
        try:
            for index, body in session.execute(
                select(LogEntry.idx, LogEntry.body).order_by(LogEntry.idx)
            ):
                indices.append(index)
                leaves.append(merkle.leaf_hash(bytes(body)))
        finally:
            session.close()
        if indices != list(range(len(leaves))):
            self.problems.append("log_entries indices are not 0..N-1")
        if len(leaves) != served.size:
            self.problems.append(f"served size {served.size}, stored entries {len(leaves)}")
        return leaves

    def _receipts(
        self,
        receipts: dict[str, dict[str, Any]],
        fresh: list[dict[str, Any]],
        leaves: list[bytes],
        vkey: str,
    ) -> None:
        for digest, receipt in receipts.items():
            index = receipt["index"]
            if (
                index >= len(leaves)
                or base64.b64encode(leaves[index]).decode() != receipt["leaf_hash"]
            ):
                if digest not in self.lost:
                    self.problems.append(f"acknowledged event {digest} is not at index {index}")
                self.lost.add(digest)
        for receipt in fresh:  # each inclusion proof once, against its signed checkpoint
            proof = receipt["inclusion"]
            try:
                root = verify_checkpoint(receipt["checkpoint"], vkey).root
                merkle.verify_inclusion(
                    base64.b64decode(receipt["leaf_hash"]),
                    receipt["index"],
                    proof["tree_size"],
                    [base64.b64decode(h) for h in proof["hashes"]],
                    root,
                )
            except Exception as exc:
                self.problems.append(f"receipt of {receipt['hash']}: {exc}")

    def _new_stored(self, served_size: int) -> dict[int, bytes]:
        """Checkpoints stored since the last check (the earlier ones were checked then)."""
        session = new_session(self.app)
        try:
            rows = session.execute(
                select(StoredCheckpoint.size, StoredCheckpoint.root).where(
                    StoredCheckpoint.size > self.checked_stored
                )
            ).all()
        finally:
            session.close()
        self.checked_stored = max([self.checked_stored, *(int(s) for s, _ in rows)])
        return {int(size): bytes(root) for size, root in rows if size > 0}

    def _consistency(
        self, conn: http.client.HTTPConnection, seen: dict[int, bytes], served: Checkpoint
    ) -> None:
        """Every seen checkpoint is a prefix of the served tree; checking the previously served
        one as well covers all checked before it (a prefix of a prefix is a prefix)."""
        for size, root in sorted(seen.items()):
            if size == 0:
                continue  # the empty tree is a prefix of every tree
            try:
                if size > served.size:
                    raise ValueError(f"larger than the served tree ({served.size})")
                query = f"/log/consistency?first={size}&second={served.size}"
                proof = [base64.b64decode(h) for h in http_json(conn, "GET", query)["hashes"]]
                merkle.verify_consistency(size, served.size, proof, root, served.root)
            except Exception as exc:
                self.bad_checkpoints.add(size)
                self.problems.append(f"checkpoint of size {size}: {exc}")

    def _resubmit(
        self,
        conn: http.client.HTTPConnection,
        events: list[dict[str, Any]],
        receipts: list[dict[str, Any]],
    ) -> None:
        """An acknowledged batch sent again: every event comes back 200 with its receipt."""
        answer = http_json(conn, "POST", "/events/batch", {"events": events})
        for result, original in zip(answer["results"], receipts, strict=True):
            again = {k: v for k, v in result.get("receipt", {}).items() if k != "duplicate"}
            if result["status"] != 200 or again != {
                k: v for k, v in original.items() if k != "duplicate"
            }:
                self.problems.append(f"resubmitting {original['hash']} gave {result}")

    def _verify_log(self, vkey: str) -> bool:
        log_key = self.app.extensions["trace_log_key"]
        session = new_session(self.app)
        try:
            report = verify_log(session, vkey, log_key.origin)
        finally:
            session.close()
        self.problems += [f"verify-log: {p}" for p in report.problems[:20]]
        return report.ok
