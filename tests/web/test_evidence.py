"""The browser's own evidence checks (static/js/core/crypto.js, evidence.js) against the public
conformance vectors and against the demo's log: what the pages tell a consumer rests on these."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.web.conftest import LiveService

CONFORMANCE_DIR = Path(
    os.environ.get(
        "CONFORMANCE_DIR", Path(__file__).resolve().parents[3] / "shared" / "conformance"
    )
)
IMPORTS = """async () => {
  window.crypto_ = await import('/static/js/core/crypto.js');
  window.evidence = await import('/static/js/core/evidence.js');
}"""


def _vectors(folder: str) -> list[Path]:
    root = CONFORMANCE_DIR / folder
    assert root.is_dir(), f"conformance vectors not found at {root}; set CONFORMANCE_DIR"
    return sorted(root.rglob("*.json"))


def _open(page: Page, live: LiveService) -> None:
    page.goto(f"{live.url}/")
    page.evaluate(IMPORTS)


def test_canonical_json_matches_every_rfc8785_vector(desktop_page: Page, live: LiveService) -> None:
    _open(desktop_page, live)
    cases = [
        (
            path.name,
            path.read_text("utf-8"),
            (path.parent.parent / "output" / path.name).read_text("utf-8"),
        )
        for path in _vectors("jcs/input")
    ]
    assert len(cases) >= 6
    results: list[list[Any]] = desktop_page.evaluate(
        "cases => cases.map(([name, input, want]) =>"
        " [name, crypto_.canonicalize(JSON.parse(input)), want])",
        cases,
    )
    for name, got, want in results:
        assert got == want.rstrip("\n"), name


def test_inclusion_check_agrees_with_every_rfc9162_vector(
    desktop_page: Page, live: LiveService
) -> None:
    _open(desktop_page, live)
    vectors = [json.loads(path.read_text("utf-8")) for path in _vectors("merkle/inclusion")]
    assert len(vectors) >= 20
    verdicts: list[bool] = desktop_page.evaluate(
        """vectors => Promise.all(vectors.map(async v => {
             const b = s => crypto_.b64decode(s ?? '');
             try {
               const leaf = b(v.leafHash);
               if (leaf.length !== 32) return false;
               return await evidence.verifyInclusion(leaf, v.leafIdx, v.treeSize,
                                                     (v.proof ?? []).map(b), b(v.root));
             } catch { return false; }
           }))""",
        vectors,
    )
    for vector, verdict in zip(vectors, verdicts, strict=True):
        assert verdict is (not vector["wantErr"]), vector.get("desc")


def test_every_demo_event_verifies_in_the_browser_and_a_forged_checkpoint_does_not(
    desktop_page: Page, live: LiveService
) -> None:
    _open(desktop_page, live)
    report: dict[str, Any] = desktop_page.evaluate(
        """async () => {
          const state = await evidence.loadLogState();
          const cp = state.checkpoint;
          const results = [];
          for (let i = 0; i < cp.size; i++) {
            const r = await evidence.verifyLoggedEvent(i, cp, {});
            results.push({index: i, included: r.included, bytes: r.bytesOk,
                          signatures: r.signatures.length, type: r.payload?.type});
          }
          const forged = state.note.replace(/\\n(\\d+)\\n/, (m, n) => `\\n${Number(n) + 1}\\n`);
          const forgedCheck = await evidence.verifyCheckpoint(forged, state.keys);
          return {ok: cp.ok, size: cp.size, results, forgedOk: forgedCheck.ok};
        }"""
    )
    assert report["ok"] is True
    assert report["size"] >= 30
    assert all(r["included"] and r["bytes"] and r["signatures"] >= 1 for r in report["results"])
    assert report["forgedOk"] is False


@pytest.mark.parametrize("tamper", ["payload", "signature"])
def test_a_signature_over_other_bytes_fails(
    desktop_page: Page, live: LiveService, tamper: str
) -> None:
    """Sign in the browser with a demo key, then change one thing: verification must fail."""
    _open(desktop_page, live)
    identity = live.identity("tea")
    verdicts: list[bool] = desktop_page.evaluate(
        """async ([identity, tamper]) => {
          const keys = await import('/static/js/core/keys.js');
          const who = await keys.identityFromKeyFile(identity);
          const payload = {type: 'listing', note: '上架 ✓', n: 1.5e21};
          const env = await keys.signEnvelope(payload, [who]);
          const raw = crypto_.b64decode(identity.public_key);
          const good = await crypto_.ed25519Verify(raw, crypto_.b64decode(env.signatures[0].sig),
                                                   crypto_.eventSigningInput(env.payload));
          const other = tamper === 'payload' ? {...payload, n: 2} : payload;
          const sig = crypto_.b64decode(env.signatures[0].sig);
          if (tamper === 'signature') sig[10] ^= 1;
          const bad = await crypto_.ed25519Verify(raw, sig, crypto_.eventSigningInput(other));
          return [good, bad, env.signatures[0].keyid === identity.keyid];
        }""",
        [identity, tamper],
    )
    assert verdicts == [True, False, True]
