"""Every environment variable the service reads is in README's Configuration table."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(
    r"""(?:environ\.get|environ\[|_int|_str|getenv)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def test_every_variable_is_documented():
    sources = [
        ROOT / "trace_service" / "config.py",
        ROOT / "trace_service" / "gunicorn_conf.py",
        ROOT / "trace_service" / "__init__.py",
    ]
    read = {name for path in sources for name in READS.findall(path.read_text())}
    assert {"DATABASE_URL", "RATE_LIMIT_PUBLIC", "PROMETHEUS_MULTIPROC_DIR"} <= read
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Operations")]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, flags=re.M))
    internal = {"TRACE_OWNS_PROMETHEUS_DIR"}  # set by the gunicorn config for itself
    assert read - internal <= documented, sorted(read - internal - documented)
