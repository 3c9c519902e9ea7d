"""Run tests/ledger/go_verifier: golang.org/x/mod's note and tlog packages checking our output.

The binary is built once per source version into the temp directory, offline, in GOPATH mode
against the Debian package sources (scripts/install-test-tools installs them).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parent / "go_verifier" / "main.go"
GOPATH = Path(os.environ.get("GO_VERIFIER_GOPATH", "/usr/share/gocode"))
INSTALL_HINT = "run scripts/install-test-tools (installs golang-go and golang-golang-x-mod-dev)"


class GoVerifierRejected(AssertionError):
    """The Go verifier refused the document; ``returncode`` and ``stderr`` say why."""

    def __init__(self, returncode: int, stderr: str) -> None:
        super().__init__(f"go verifier exited {returncode}: {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


def _go_environment(cache: Path) -> dict[str, str]:
    # GOPATH mode with the proxy off: the build must never reach the network.
    return {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOPROXY": "off",
        "GOFLAGS": "",
        "GOCACHE": str(cache),
    }


def go_verifier_binary() -> Path:
    """Path of the built verifier, building it on first use; raises RuntimeError without Go."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(f"the Go toolchain is not installed: {INSTALL_HINT}")
    if not (GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb" / "tlog").is_dir():
        raise RuntimeError(f"golang.org/x/mod sources are missing under {GOPATH}: {INSTALL_HINT}")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    work = Path(tempfile.gettempdir()) / f"trace-service-go-verifier-{digest}"
    binary = work / "go_verifier"
    if binary.exists():
        return binary
    work.mkdir(parents=True, exist_ok=True)
    # Build under a private name then rename, so parallel test workers never run a partial file.
    partial = Path(tempfile.mkstemp(dir=work, prefix="partial-")[1])
    result = subprocess.run(
        [go, "build", "-o", str(partial), str(SOURCE)],
        env=_go_environment(work / "cache"),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"go build failed ({INSTALL_HINT}?):\n{result.stderr}")
    partial.chmod(0o755)
    partial.replace(binary)
    return binary


def run_go_verifier(document: dict[str, Any]) -> str:
    """Feed ``document`` to the Go verifier and return its report.

    Raises GoVerifierRejected if it rejects, RuntimeError if it cannot be built.
    """
    result = subprocess.run(
        [str(go_verifier_binary())],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise GoVerifierRejected(result.returncode, result.stderr)
    return result.stdout
