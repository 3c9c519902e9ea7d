"""Merkle maths against the public RFC 9162 vectors, a naive reference tree and random trees."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace_service.ledger.merkle import (
    EMPTY_ROOT,
    InvalidProof,
    MissingNodes,
    NodeKey,
    append_leaves,
    consistency_proof,
    frontier_keys,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# tests/ledger/test_merkle.py -> parents[3] is the directory holding both main/ and shared/.
CONFORMANCE_DIR = Path(
    os.environ.get(
        "CONFORMANCE_DIR", Path(__file__).resolve().parents[3] / "shared" / "conformance"
    )
)
MERKLE_VECTORS = CONFORMANCE_DIR / "merkle"
# The tree the public vectors were generated from (conformance README).
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]


class MemoryStore:
    """A node store over a dict that counts round trips, standing in for the SQL ``IN`` query."""

    def __init__(self, leaf_hashes: list[bytes] | None = None) -> None:
        self.nodes: dict[NodeKey, bytes] = {}
        self.size = 0
        self.calls = 0
        if leaf_hashes:
            self.append(leaf_hashes)

    def get(self, keys: Collection[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls += 1
        return {key: self.nodes[key] for key in keys if key in self.nodes}

    def append(self, leaf_hashes: list[bytes]) -> dict[NodeKey, bytes]:
        created = append_leaves(self.size, leaf_hashes, self.get)
        self.nodes.update(created)
        self.size += len(leaf_hashes)
        return created


def numbered_leaves(count: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(count)]


# Naive RFC 9162 definitions (MTH, PATH, SUBPROOF), written straight from §2.1 as an oracle.
def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_root(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if whole else [naive_root(leaves)]
    k = _split(len(leaves))
    if m <= k:
        return [*naive_subproof(m, leaves[:k], whole), naive_root(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_root(leaves[:k])]


def flip(value: bytes, position: int) -> bytes:
    position %= len(value)
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


# --- public vectors ---------------------------------------------------------------------------


def _vector_files() -> list[Path]:
    # A missing folder must fail loudly, so it becomes one case that reports the path.
    return sorted(MERKLE_VECTORS.rglob("*.json")) or [MERKLE_VECTORS]


def _vector_id(path: Path) -> str:
    return str(path.relative_to(MERKLE_VECTORS)) if path != MERKLE_VECTORS else "missing"


def load_vector(path: Path) -> dict[str, Any]:
    assert path.is_file(), f"conformance vectors not found at {path}; set CONFORMANCE_DIR"
    vector: dict[str, Any] = json.loads(path.read_text())
    return vector


def b64(text: str) -> bytes:
    return base64.b64decode(text) if text else b""


def b64_list(items: list[str] | None) -> list[bytes]:
    return [b64(item) for item in items or []]


def test_conformance_folder_has_both_kinds_of_vector() -> None:
    files = [p for p in _vector_files() if p.is_file()]
    assert any("inclusion" in p.parts for p in files), f"no inclusion vectors in {MERKLE_VECTORS}"
    assert any("consistency" in p.parts for p in files), (
        f"no consistency vectors in {MERKLE_VECTORS}"
    )


@pytest.mark.parametrize("path", _vector_files(), ids=_vector_id)
def test_verifier_agrees_with_public_vector(path: Path) -> None:
    vector = load_vector(path)
    if "leafIdx" in vector:

        def check() -> None:
            verify_inclusion(
                b64(vector["leafHash"]),
                vector["leafIdx"],
                vector["treeSize"],
                b64_list(vector["proof"]),
                b64(vector["root"]),
            )
    else:

        def check() -> None:
            verify_consistency(
                vector["size1"],
                vector["size2"],
                b64_list(vector["proof"]),
                b64(vector["root1"]),
                b64(vector["root2"]),
            )

    if vector["wantErr"]:
        with pytest.raises(InvalidProof):
            check()
    else:
        check()


REFERENCE_HAPPY_PATHS = sorted(MERKLE_VECTORS.glob("*/[0-9]/happy-path.json")) or [MERKLE_VECTORS]


@pytest.mark.parametrize("path", REFERENCE_HAPPY_PATHS, ids=_vector_id)
def test_generated_proof_equals_public_vector(path: Path) -> None:
    vector = load_vector(path)
    store = MemoryStore([leaf_hash(leaf) for leaf in REFERENCE_LEAVES])
    if "leafIdx" in vector:
        size = vector["treeSize"]
        assert tree_root(size, store.get) == b64(vector["root"])
        assert inclusion_proof(vector["leafIdx"], size, store.get) == b64_list(vector["proof"])
    else:
        first, second = vector["size1"], vector["size2"]
        assert tree_root(first, store.get) == b64(vector["root1"])
        assert tree_root(second, store.get) == b64(vector["root2"])
        assert consistency_proof(first, second, store.get) == b64_list(vector["proof"])


# --- structure ----------------------------------------------------------------------------------


def test_frontier_is_the_binary_decomposition_of_the_size() -> None:
    assert frontier_keys(0) == []
    assert frontier_keys(8) == [(3, 0)]
    assert frontier_keys(13) == [(3, 0), (2, 2), (0, 12)]


def test_each_operation_reads_the_store_once() -> None:
    store = MemoryStore(numbered_leaves(1000))
    store.calls = 0
    tree_root(999, store.get)
    inclusion_proof(517, 999, store.get)
    consistency_proof(333, 999, store.get)
    store.append(numbered_leaves(3))
    assert store.calls == 4


def test_a_gap_in_the_store_is_reported_not_papered_over() -> None:
    store = MemoryStore(numbered_leaves(12))
    del store.nodes[(2, 1)]
    with pytest.raises(MissingNodes):
        inclusion_proof(0, 12, store.get)


def test_append_rejects_a_leaf_hash_of_the_wrong_size() -> None:
    with pytest.raises(ValueError):
        append_leaves(0, [b"short"], MemoryStore().get)


# --- properties against the naive definitions -------------------------------------------------


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=300))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(min_value=1, max_value=300))
    return draw(st.integers(min_value=1, max_value=second)), second


@settings(max_examples=150, deadline=None)
@given(tree_and_index(), st.integers(min_value=0))
def test_inclusion_proofs_verify_and_a_flipped_byte_does_not(
    case: tuple[int, int], position: int
) -> None:
    size, index = case
    leaves = numbered_leaves(size)
    store = MemoryStore(leaves)
    root = naive_root(leaves)
    assert tree_root(size, store.get) == root
    proof = inclusion_proof(index, size, store.get)
    assert proof == naive_path(index, leaves)
    verify_inclusion(leaves[index], index, size, proof, root)

    with pytest.raises(InvalidProof):
        verify_inclusion(flip(leaves[index], position), index, size, proof, root)
    with pytest.raises(InvalidProof):
        verify_inclusion(leaves[index], index, size, proof, flip(root, position))
    if proof:
        at = position % len(proof)
        tampered = [*proof[:at], flip(proof[at], position // len(proof)), *proof[at + 1 :]]
        with pytest.raises(InvalidProof):
            verify_inclusion(leaves[index], index, size, tampered, root)
        with pytest.raises(InvalidProof):
            verify_inclusion(leaves[index], index, size, proof[:-1], root)
    with pytest.raises(InvalidProof):
        verify_inclusion(leaves[index], index, size, [*proof, root], root)


@settings(max_examples=150, deadline=None)
@given(two_sizes(), st.integers(min_value=0))
def test_consistency_proofs_verify_and_a_flipped_byte_does_not(
    sizes: tuple[int, int], position: int
) -> None:
    first, second = sizes
    leaves = numbered_leaves(second)
    store = MemoryStore(leaves)
    first_root, second_root = naive_root(leaves[:first]), naive_root(leaves)
    proof = consistency_proof(first, second, store.get)
    assert proof == naive_subproof(first, leaves, True)
    verify_consistency(first, second, proof, first_root, second_root)

    with pytest.raises(InvalidProof):
        verify_consistency(first, second, proof, flip(first_root, position), second_root)
    with pytest.raises(InvalidProof):
        verify_consistency(first, second, proof, first_root, flip(second_root, position))
    if proof:
        at = position % len(proof)
        tampered = [*proof[:at], flip(proof[at], position // len(proof)), *proof[at + 1 :]]
        with pytest.raises(InvalidProof):
            verify_consistency(first, second, tampered, first_root, second_root)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=70), min_size=1, max_size=8))
def test_appending_in_batches_equals_appending_at_once(batch_sizes: list[int]) -> None:
    leaves = numbered_leaves(sum(batch_sizes))
    at_once, in_batches = MemoryStore(), MemoryStore()
    at_once.append(leaves)
    start = 0
    for count in batch_sizes:
        in_batches.append(leaves[start : start + count])
        start += count
        assert tree_root(start, in_batches.get) == naive_root(leaves[:start])
    assert in_batches.nodes == at_once.nodes
