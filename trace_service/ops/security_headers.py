"""Security headers on every response (pages, API, problems, static files).

The policy allows only this origin: the pages keep every asset local (the service must work
with no internet). Inline styles are allowed, inline scripts are not (except, by hash, on pages
fixed by code: the API docs); the scan console may use the phone's camera on this origin only.
HSTS is sent only when HSTS=1 (behind TLS).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # The pages carry small <style> blocks; styles cannot run code, and with every other
        # source limited to 'self' they cannot send anything elsewhere either.
        "style-src 'self' 'unsafe-inline'",
        # QR codes and camera frames drawn to a canvas may be data: or blob: URLs.
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
HSTS_VALUE = "max-age=31536000; includeSubDomains"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


# Pages whose HTML is fixed by code, never by request data (Swagger UI's page at /docs): their
# inline scripts are allowed by hash, which no injected script could match.
FIXED_PAGES = frozenset({"api_docs"})
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.I | re.S)


def inline_script_policy(html: bytes) -> str:
    """The policy with the SHA-256 of each inline script of `html` added to script-src."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    return CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", " ".join(["script-src 'self'", *hashes]), 1
    )


def init_app(app: Flask) -> None:
    headers = dict(HEADERS)
    if app.config.get("HSTS"):
        headers["Strict-Transport-Security"] = HSTS_VALUE

    @app.after_request
    def _secure(response: Response) -> Response:
        if (
            request.blueprint in FIXED_PAGES
            and response.mimetype == "text/html"
            and not response.direct_passthrough
        ):
            response.headers.setdefault(
                "Content-Security-Policy", inline_script_policy(response.get_data())
            )
        # A view with a stricter need (e.g. a page with a script nonce) may set its own; one
        # pass over the headers (Headers.setdefault would scan them once per name).
        present = {name.lower() for name, _ in response.headers.items()}
        for name, value in headers.items():
            if name.lower() not in present:
                response.headers[name] = value
        return response
