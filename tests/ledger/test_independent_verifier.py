"""Our checkpoints and proofs, accepted by golang.org/x/mod/sumdb (an independent implementation).

Needs Go and the x/mod sources: scripts/install-test-tools.  Missing tools fail, never skip,
so CI cannot go green without the cross-check having run.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.ledger.independent_verifier import GoVerifierRejected, run_go_verifier
from trace_service.ledger.checkpoint import Checkpoint, sign_checkpoint, verifier_key
from trace_service.ledger.merkle import (
    append_leaves,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_root,
)

ORIGIN = "trace.example/test-log"
SIZE = 37
CONSISTENCY_PAIRS = [
    (1, SIZE),
    (5, SIZE),
    (8, SIZE),
    (16, SIZE),
    (31, SIZE),
    (36, SIZE),
    (37, SIZE),
]
# A pair below the signed size, whose newer root the document supplies explicitly.
UNSIGNED_PAIRS = [(3, 13), (7, 32)]


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


@pytest.fixture(scope="module")
def log() -> dict[str, Any]:
    leaves = [leaf_hash(f"event {i}".encode()) for i in range(SIZE)]
    nodes: dict[tuple[int, int], bytes] = {}

    def get(keys: Any) -> dict[tuple[int, int], bytes]:
        return {key: nodes[key] for key in keys if key in nodes}

    # Appended in uneven batches, as the service does.
    for start, end in [(0, 1), (1, 9), (9, 30), (30, SIZE)]:
        nodes.update(append_leaves(start, leaves[start:end], get))
    private_key = Ed25519PrivateKey.generate()
    checkpoint = Checkpoint(ORIGIN, SIZE, tree_root(SIZE, get))
    return {
        "leaves": leaves,
        "get": get,
        "checkpoint": checkpoint,
        "note": sign_checkpoint(checkpoint, ORIGIN, private_key),
        "vkey": verifier_key(ORIGIN, private_key.public_key()),
    }


def document(log: dict[str, Any]) -> dict[str, Any]:
    get = log["get"]
    inclusion = [
        {
            "index": index,
            "tree_size": SIZE,
            "leaf_hash": b64(log["leaves"][index]),
            "hashes": [b64(h) for h in inclusion_proof(index, SIZE, get)],
        }
        for index in range(SIZE)
    ]
    consistency = [
        {
            "first": first,
            "second": second,
            "first_root": b64(tree_root(first, get)),
            "hashes": [b64(h) for h in consistency_proof(first, second, get)],
        }
        for first, second in CONSISTENCY_PAIRS
    ]
    consistency += [
        {
            "first": first,
            "second": second,
            "first_root": b64(tree_root(first, get)),
            "second_root": b64(tree_root(second, get)),
            "hashes": [b64(h) for h in consistency_proof(first, second, get)],
        }
        for first, second in UNSIGNED_PAIRS
    ]
    return {
        "vkey": log["vkey"],
        "checkpoint": log["note"],
        "inclusion": inclusion,
        "consistency": consistency,
    }


def test_go_accepts_our_checkpoint_and_every_proof(log: dict[str, Any]) -> None:
    report = run_go_verifier(document(log))
    pairs = len(CONSISTENCY_PAIRS) + len(UNSIGNED_PAIRS)
    assert report.splitlines()[0] == f"ok {SIZE} inclusion, {pairs} consistency"
    root = b64(log["checkpoint"].root)
    assert report.splitlines()[1] == f"checkpoint {ORIGIN} {SIZE} {root}"


def test_go_rejects_a_tampered_inclusion_proof(log: dict[str, Any]) -> None:
    doc = document(log)
    hashes = doc["inclusion"][11]["hashes"]
    hashes[2] = b64(bytes(32))
    with pytest.raises(GoVerifierRejected) as rejected:
        run_go_verifier(doc)
    assert rejected.value.returncode != 0
    assert "inclusion[11]" in rejected.value.stderr


def test_go_rejects_a_tampered_consistency_proof(log: dict[str, Any]) -> None:
    doc = document(log)
    doc["consistency"][2]["hashes"].pop()
    with pytest.raises(GoVerifierRejected) as rejected:
        run_go_verifier(doc)
    assert "consistency[2]" in rejected.value.stderr


def test_go_rejects_a_checkpoint_with_a_forged_size(log: dict[str, Any]) -> None:
    doc = document(log)
    doc["checkpoint"] = doc["checkpoint"].replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n", 1)
    with pytest.raises(GoVerifierRejected, match="checkpoint signature"):
        run_go_verifier(doc)
