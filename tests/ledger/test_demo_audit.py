"""An outside auditor's view of the demo: only the five public log endpoints and an independent
RFC 9162 / signed-note implementation (golang.org/x/mod's tlog and note, via Go)."""

from __future__ import annotations

import base64

from tests.ledger.independent_verifier import run_go_verifier
from trace_service.demo import seed_demo
from trace_service.ledger import merkle


def test_independent_verifier_accepts_the_demo_log(app, client):
    seed_demo(app)
    vkey = client.get("/log/key").get_data(as_text=True).strip()
    note = client.get("/checkpoint").get_data(as_text=True)
    size = int(note.splitlines()[1])
    assert size > 30

    entries = [client.get(f"/log/entries/{i}") for i in range(size)]
    assert all(e.status_code == 200 for e in entries)
    leaves = [merkle.leaf_hash(e.data) for e in entries]
    # Old roots computed by the auditor from the entries alone, never taken from the server.
    nodes = merkle.append_leaves(0, leaves, lambda keys: {})

    def root(n: int) -> bytes:
        return merkle.tree_root(n, lambda keys: nodes)

    inclusion = []
    for index in range(size):
        proof = client.get(f"/log/inclusion?index={index}&size={size}").get_json()
        assert base64.b64decode(proof["leaf_hash"]) == leaves[index]
        inclusion.append(proof)
    consistency = []
    for first in range(1, size):
        proof = client.get(f"/log/consistency?first={first}&second={size}").get_json()
        consistency.append({**proof, "first_root": base64.b64encode(root(first)).decode()})

    report = run_go_verifier(
        {"vkey": vkey, "checkpoint": note, "inclusion": inclusion, "consistency": consistency}
    )
    assert report.splitlines()[0] == f"ok {size} inclusion, {size - 1} consistency"


def test_log_endpoints_refuse_impossible_sizes_with_problems(app, client):
    seed_demo(app)
    size = int(client.get("/checkpoint").get_data(as_text=True).splitlines()[1])
    for url in (
        f"/log/inclusion?index={size}&size={size}",
        f"/log/inclusion?index=0&size={size + 1}",
        f"/log/consistency?first=0&second={size}",
        f"/log/consistency?first=3&second={size + 5}",
        "/log/inclusion?index=-1&size=3",
        "/log/inclusion?index=abc&size=3",
    ):
        response = client.get(url)
        assert response.status_code in (404, 422), url
        assert response.content_type == "application/problem+json", url
    missing = client.get(f"/log/entries/{size}")
    assert missing.status_code == 404
    assert missing.get_json()["code"] == "not_found"
