"""Front-end libraries served from `node_modules/` at `/vendor/<package>/<file>`.

The pages work with no internet, so nothing is loaded from a CDN; the libraries are installed
from the npm registry by `scripts/setup` (pinned by package-lock.json, never copied into the
repository). Only the packages package-lock.json names are served, nothing else on disk.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from trace_service.errors import NotFound

ROOT = Path(__file__).resolve().parent.parent.parent
NODE_MODULES = ROOT / "node_modules"
LOCK_FILE = ROOT / "package-lock.json"

bp = Blueprint("vendor", __name__)


@cache
def served_packages() -> frozenset[str]:
    """The package names package-lock.json installs (optional ones included if present)."""
    lock = json.loads(LOCK_FILE.read_text("utf-8"))
    return frozenset(
        path.removeprefix("node_modules/") for path in lock["packages"] if path.startswith("node_")
    )


def _package_of(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0].startswith("@") else parts[0]


@bp.get("/vendor/<path:path>")
def vendor(path: str) -> Response:
    """A file of an installed front-end package, cached for a day (versions are pinned)."""
    if _package_of(path) not in served_packages():
        raise NotFound(f"/vendor/{path} is not a served front-end package", code="not_found")
    response = send_from_directory(NODE_MODULES, path, max_age=86400)
    return response
