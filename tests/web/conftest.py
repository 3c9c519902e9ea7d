"""Browser tests: the app with the demo loaded, served on loopback, driven by a real headless
Chromium (Debian's, installed by scripts/install-test-tools) through Playwright.

Every page runs with the network cut off from everything but the service: any request to
another origin is aborted and recorded, and `offline_violations` must stay empty.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from trace_service import create_app
from trace_service.demo import seed_demo

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def chromium_path() -> str:
    configured = os.environ.get("CHROMIUM")
    for candidate in (configured, *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("Chromium is missing: run scripts/install-test-tools (Debian 'chromium')")


@dataclass
class LiveService:
    """The service on loopback, with the demo's keys and credentials."""

    url: str
    app: Flask
    demo_dir: Path
    offline_violations: list[str] = field(default_factory=list)

    def key_file(self, role: str) -> Path:
        """A demo party's key file (instance/demo/<role>.json), as a user would import it."""
        return self.demo_dir / f"{role}.json"

    def identity(self, role: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.key_file(role).read_text("utf-8"))
        return data

    def buyer(self, name: str) -> dict[str, Any]:
        buyers: dict[str, dict[str, Any]] = json.loads(
            (self.demo_dir / "buyers.json").read_text("utf-8")
        )
        return buyers[name]


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveService]:
    """The app with the demo, served by a threaded WSGI server on a free loopback port."""
    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)}
    )
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["RESOLVER_BASE_URL"] = url
    seed_demo(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveService(url=url, app=app, demo_dir=instance / "demo")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["trace_engine"].dispose()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
    )
    yield browser
    browser.close()


def offline_context(browser: Browser, live: LiveService, **options: Any) -> BrowserContext:
    """A browser context that can reach the service and nothing else."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)

    def guard(route: Any) -> None:
        url: str = route.request.url
        if url == live.url or url.startswith((live.url + "/", "data:", "blob:")):
            route.continue_()
        else:
            live.offline_violations.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", guard)
    return context


def _checked_page(context: BrowserContext, live: LiveService) -> Iterator[Page]:
    """A page of `context` that fails the test on a script error or a request off the service."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"
    assert not live.offline_violations, f"requests left the service: {live.offline_violations}"


@pytest.fixture
def phone_page(browser: Browser, live: LiveService) -> Iterator[Page]:
    context = offline_context(browser, live, viewport=PHONE, is_mobile=True, has_touch=True)
    yield from _checked_page(context, live)


@pytest.fixture
def desktop_page(browser: Browser, live: LiveService) -> Iterator[Page]:
    yield from _checked_page(offline_context(browser, live, viewport=DESKTOP), live)
