"""Install the pages' front-end libraries from the npm registry, exactly as package-lock.json pins.

The pages must work with no internet, so their libraries are served from `node_modules/` at
`/vendor/...`, never from a CDN, and never copied into the repository. `npm ci` does the same
job; this installer needs only Python, so a machine with Python and the registries suffices.
Each tarball is checked against the lock file's SHA-512 integrity before it is unpacked.
Already-installed packages at the locked version are left alone.

    python scripts/install_assets.py [--registry URL]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGISTRY = "https://registry.npmjs.org"


def _installed_version(target: Path) -> str | None:
    try:
        return str(json.loads((target / "package.json").read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def _tarball_url(registry: str, name: str, version: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{name}/-/{base}-{version}.tgz"


def _check_integrity(data: bytes, integrity: str, name: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm not in {"sha512", "sha384", "sha256"}:
        raise SystemExit(f"install-assets: {name}: unsupported integrity {algorithm}")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"install-assets: {name}: tarball does not match package-lock.json")


def _unpack(data: bytes, target: Path) -> None:
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            # npm tarballs keep everything under one top-level folder ("package/" mostly).
            parts = Path(member.name).parts[1:]
            if not parts or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts))
            tar.extract(member, staging, filter="data")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--registry", default=os.environ.get("NPM_REGISTRY", DEFAULT_REGISTRY), help="npm registry"
    )
    args = parser.parse_args(argv)
    lock = json.loads((ROOT / "package-lock.json").read_text("utf-8"))
    fetched = 0
    for path, meta in lock["packages"].items():
        if not path or meta.get("optional") or meta.get("dev"):
            continue
        name = path.removeprefix("node_modules/")
        target = ROOT / path
        if _installed_version(target) == meta["version"]:
            continue
        url = meta.get("resolved") or _tarball_url(args.registry, name, meta["version"])
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
        _check_integrity(data, meta["integrity"], name)
        target.parent.mkdir(parents=True, exist_ok=True)
        _unpack(data, target)
        fetched += 1
        print(f"install-assets: {name}@{meta['version']}", file=sys.stderr)
    if fetched == 0:
        print("install-assets: all present", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
