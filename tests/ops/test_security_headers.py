"""Every response carries the security headers; the pages need nothing the policy forbids."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize(
    "path", ["/", "/log/key", "/openapi.json", "/no/such/page", "/healthz", "/metrics"]
)
def test_headers_on_every_response(client, path):
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (path, name)
    csp = _policy(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    # Nothing from another origin, anywhere in the policy.
    assert not [v for values in csp.values() for v in values if re.match(r"(https?:|\*)", v)]
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_when_enabled(make_app):
    response = make_app(HSTS=True).test_client().get("/log/key")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _pages() -> list[Path]:
    return sorted((ROOT / "trace_service" / "templates").glob("*.html")) + sorted(
        (ROOT / "static").rglob("*.html")
    )


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_pages_fit_the_policy(page: Path):
    """Inline scripts and assets from other origins would be blocked by the browser."""
    html = page.read_text()
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert re.search(r"\bsrc=", tag, flags=re.I), f"{page.name}: inline script {tag}"
    external = re.findall(
        r"<(?:script|img|link|iframe|video|audio|source)\b[^>]*?"
        r"(?:src|href)=[\"']?(?:https?:)?//",
        html,
        flags=re.I,
    )
    assert not external, f"{page.name}: assets from another origin: {external}"
    assert not re.search(r"\son[a-z]+=", html, flags=re.I), f"{page.name}: inline event handler"


def test_fixed_page_inline_script_allowed_by_its_hash(client):
    """The API docs page (HTML fixed by code) may run exactly its own inline script."""
    response = client.get("/docs/")
    assert response.status_code == 200
    [script] = re.findall(rb"<script>(.*?)</script>", response.get_data(), flags=re.S)
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    sources = _policy(response.headers["Content-Security-Policy"])["script-src"]
    assert sources == ["'self'", f"'sha256-{digest}'"]
    # Other pages get no such allowance.
    assert _policy(client.get("/").headers["Content-Security-Policy"])["script-src"] == ["'self'"]
