"""The Merkle half of the log verifier: leaves, nodes and checkpoint roots rebuilt from bodies.

Leaf hashes are kept in one bytearray (32 bytes per entry) and every complete node above them
in one bytearray per level, so a million entries cost about 64 MB and no ORM object. Stored
`log_nodes` rows are then streamed in key order and merged against the recomputed ones.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from trace_service.ledger import merkle
from trace_service.ledger.checkpoint import InvalidCheckpoint, parse_checkpoint, verify_checkpoint
from trace_service.ledger.log_key import key_schedule
from trace_service.ledger.models import Checkpoint, LogNode

AddProblem = Callable[[str, str, str], None]

_H = merkle.HASH_SIZE
_APPEND_CHUNK = 1 << 15
STREAM = 2000


def span(prefix: str, first: int, last: int) -> str:
    """A row name for one key or an inclusive run of keys: 'idx=4' or 'idx=4..9'."""
    return f"{prefix}={first}" if first == last else f"{prefix}={first}..{last}"


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: datetime


def load_checkpoints(session: Session) -> list[StoredCheckpoint]:
    """Every stored checkpoint, smallest size first."""
    rows = session.execute(
        select(Checkpoint.size, Checkpoint.root, Checkpoint.note, Checkpoint.signed_at).order_by(
            Checkpoint.size
        )
    )
    return [StoredCheckpoint(int(s), bytes(r), n, at) for s, r, n, at in rows]


class MerkleCheck:
    """Collects leaf hashes in index order, then checks checkpoints and `log_nodes` against them."""

    def __init__(self, checkpoints: list[StoredCheckpoint], add: AddProblem) -> None:
        self.checkpoints = checkpoints
        self.add = add
        self.leaves = bytearray()
        self.gaps: list[tuple[int, int]] = []  # [start, end) ranges without an entry
        self.levels: list[bytearray] = [self.leaves]
        # Leaf positions whose recomputed hash may differ from the stored one (explains parents).
        self.suspect: list[int] = []
        # Verified checkpoints, by size: does the root rebuilt from bodies match the signed one?
        self.trusted: dict[int, bool] = {}
        self._trusted_sizes: list[int] = []
        # (last matching, first diverging) verified sizes, while no later verified root matches.
        self._diverged_after: tuple[int, int] | None = None

    @property
    def size(self) -> int:
        return len(self.leaves) // _H

    def add_leaf(self, body: bytes) -> None:
        self.leaves += merkle.leaf_hash(body)

    def pad(self, end: int) -> None:
        """Leave room for missing entries up to `end`; their stored leaf nodes fill it later."""
        start = self.size
        if end > start:
            self.gaps.append((start, end))
            self.leaves += bytes(_H * (end - start))

    def finish(self, session: Session, vkey: str, origin: str, entries_end: int) -> None:
        self._fill_gaps(session)
        roots = self._build()
        self._check_checkpoints(roots, vkey, origin, entries_end)
        self._compare_nodes(session)
        self._locate_divergence()

    def _fill_gaps(self, session: Session) -> None:
        # A deleted entry's leaf hash survives in log_nodes: the signed roots then show whether
        # the rest of the log is intact. Leaves found nowhere stay zero (and suspect).
        for start, end in self.gaps:
            found: set[int] = set()
            rows = session.execute(
                select(LogNode.idx, LogNode.hash).where(
                    LogNode.level == 0, LogNode.idx >= start, LogNode.idx < end
                )
            )
            for idx, digest in rows:
                if len(digest) == _H:
                    self.leaves[idx * _H : (idx + 1) * _H] = bytes(digest)
                    found.add(int(idx))
            self.suspect.extend(i for i in range(start, end) if i not in found)

    def _get(self, keys: Collection[merkle.NodeKey]) -> Mapping[merkle.NodeKey, bytes]:
        out: dict[merkle.NodeKey, bytes] = {}
        for level, index in keys:
            if level < len(self.levels):
                digest = self.levels[level][index * _H : (index + 1) * _H]
                if len(digest) == _H:
                    out[(level, index)] = bytes(digest)
        return out

    def _build(self) -> dict[int, bytes]:
        """Every complete node over the leaves, and the root at every checkpoint size in range."""
        total = self.size
        targets = sorted({c.size for c in self.checkpoints if 0 <= c.size <= total} | {total})
        roots: dict[int, bytes] = {}
        position = 0
        leaves = self.leaves
        for target in targets:
            while position < target:
                end = min(target, position + _APPEND_CHUNK)
                hashes = (bytes(leaves[i * _H : (i + 1) * _H]) for i in range(position, end))
                created = merkle.append_leaves(position, hashes, self._get)
                for (level, index), digest in created.items():
                    if level:
                        if level == len(self.levels):
                            self.levels.append(bytearray())
                        # Nodes complete in index order, so each level only ever grows at its end.
                        assert len(self.levels[level]) == index * _H
                        self.levels[level] += digest
                position = end
            roots[target] = merkle.tree_root(target, self._get)
        return roots

    def _check_checkpoints(
        self, roots: dict[int, bytes], vkey: str, origin: str, entries_end: int
    ) -> None:
        diverged: list[list[int]] = []  # runs of consecutive root mismatches: [first, n, last]
        run_open = False
        last_good = 0  # the empty tree's root is the same for everyone
        # After a key rotation, a retired key answers for exactly the sizes it signed.
        signer = key_schedule(vkey)
        for cp in self.checkpoints:
            row = f"checkpoints size={cp.size}"
            try:
                signed = verify_checkpoint(cp.note, signer(cp.size))
                verified = True
            except InvalidCheckpoint as exc:
                self.add(row, "bad_checkpoint_signature", exc.detail)
                verified = False
                try:
                    signed = parse_checkpoint(cp.note)
                except InvalidCheckpoint:
                    signed = None
            if signed is not None:
                if signed.origin != origin:
                    self.add(row, "wrong_origin", f"note names origin {signed.origin!r}")
                if signed.size != cp.size:
                    self.add(row, "checkpoint_column_mismatch", f"note says size {signed.size}")
                if signed.root != cp.root:
                    self.add(row, "checkpoint_column_mismatch", "root column differs from note")
            if cp.size > entries_end:
                self.add(row, "checkpoint_beyond_log", f"the log holds {entries_end} entries")
            rebuilt = roots.get(cp.size)
            if rebuilt is None:
                continue
            claimed = signed.root if verified and signed is not None else cp.root
            matches = rebuilt == claimed
            if verified:
                self.trusted[cp.size] = matches
                # Leaves that differ change every later root; a later match clears them.
                if matches:
                    last_good, self._diverged_after = cp.size, None
                elif self._diverged_after is None:
                    self._diverged_after = (last_good, cp.size)
            if matches:
                run_open = False
            elif run_open:
                diverged[-1][1:] = [diverged[-1][1] + 1, cp.size]
            else:
                diverged.append([cp.size, 0, cp.size])
                run_open = True
        self._trusted_sizes = sorted(self.trusted)
        # A leaf that differs changes every later root: one problem per run, not per checkpoint.
        for size, later, last in diverged:
            more = f"; so do the {later} checkpoint(s) after it, up to size={last}" if later else ""
            self.add(
                f"checkpoints size={size}",
                "root_mismatch",
                f"the root rebuilt from the entries differs from the checkpoint's root{more}",
            )

    def _locate_divergence(self) -> None:
        """Name the entries between the last signed root that still matches and the first that
        no longer does, when no row there was named yet: a forger who rebuilt `log_nodes` (and
        the chain heads) leaves only the signed roots to say which entry changed."""
        if self._diverged_after is None:
            return
        good, bad = self._diverged_after
        self.suspect.sort()
        at = bisect.bisect_left(self.suspect, good)
        if at < len(self.suspect) and self.suspect[at] < bad:
            return
        self.add(
            "log_entries " + span("idx", good, bad - 1),
            "leaf_mismatch",
            f"not the entries checkpoint size={bad} committed to (size={good} still matches): "
            "one of them, or that checkpoint, was rewritten",
        )

    def _cover(self, index: int) -> int | None:
        """The smallest verified checkpoint containing leaf `index`."""
        at = bisect.bisect_left(self._trusted_sizes, index + 1)
        return self._trusted_sizes[at] if at < len(self._trusted_sizes) else None

    def _leaf_mismatch(self, index: int) -> None:
        self.suspect.append(index)
        cover = self._cover(index)
        if cover is not None and self.trusted[cover]:
            self.add(
                f"log_nodes level=0 idx={index}",
                "node_mismatch",
                f"differs from the leaf hash of log_entries idx={index}, which checkpoint "
                f"size={cover} commits to",
            )
        elif cover is not None:
            self.add(
                f"log_entries idx={index}",
                "leaf_mismatch",
                f"its body is not the entry checkpoint size={cover} committed to "
                "(log_nodes still holds another leaf hash)",
            )
        else:
            self.add(
                f"log_nodes level=0 idx={index}",
                "node_mismatch",
                f"differs from the leaf hash of log_entries idx={index} (no checkpoint decides)",
            )

    def _compare_nodes(self, session: Session) -> None:
        counts = [len(level) // _H for level in self.levels]
        level, expected = 0, 0

        def close(upto_level: int) -> None:
            nonlocal level, expected
            while level < upto_level:
                if level < len(counts) and expected < counts[level]:
                    row = (
                        "log_nodes level="
                        + str(level)
                        + " "
                        + span("idx", expected, counts[level] - 1)
                    )
                    self.add(row, "missing_node", "a complete node of the tree is not stored")
                level, expected = level + 1, 0

        extra: list[tuple[int, int, int]] = []  # (level, first, last) runs of unexpected rows
        rows = session.execute(
            select(LogNode.level, LogNode.idx, LogNode.hash)
            .order_by(LogNode.level, LogNode.idx)
            .execution_options(yield_per=STREAM)
        )
        for row_level, row_idx, digest in rows:
            if row_level != level:
                if row_level < level:  # negative levels: only reachable by hand-made rows
                    extra.append((row_level, row_idx, row_idx))
                    continue
                close(row_level)
                self.suspect.sort()
            if row_level >= len(counts) or not 0 <= row_idx < counts[row_level]:
                if extra and extra[-1][0] == row_level and extra[-1][2] == row_idx - 1:
                    extra[-1] = (row_level, extra[-1][1], row_idx)
                else:
                    extra.append((row_level, row_idx, row_idx))
                continue
            if row_idx > expected:
                row = f"log_nodes level={level} " + span("idx", expected, row_idx - 1)
                self.add(row, "missing_node", "a complete node of the tree is not stored")
            expected = row_idx + 1
            rebuilt = self.levels[level][row_idx * _H : (row_idx + 1) * _H]
            if bytes(digest) == rebuilt:
                continue
            if level == 0:
                self._leaf_mismatch(row_idx)
            elif not self._explained(level, row_idx):
                self.add(
                    f"log_nodes level={level} idx={row_idx}",
                    "node_mismatch",
                    "differs from the node rebuilt from the entries below it",
                )
        close(len(counts))
        for row_level, first, last in extra:
            self.add(
                f"log_nodes level={row_level} " + span("idx", first, last),
                "extra_node",
                "no such complete node exists in a tree of the log's size",
            )

    def _explained(self, level: int, index: int) -> bool:
        """Whether a differing parent covers a leaf already known to differ."""
        first, end = index << level, (index + 1) << level
        at = bisect.bisect_left(self.suspect, first)
        return at < len(self.suspect) and self.suspect[at] < end
