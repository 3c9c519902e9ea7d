"""Screenshots of every page at phone (390×844) and desktop (1440×900) size.

Starts the service on a free loopback port over a temporary instance (SQLite, keys, the demo
seeded through the app's own seed function), opens each page in headless Chromium with the
network cut off from everything but the service, waits until the page has settled (network
idle and `document.body.dataset.ready === "true"`), and writes PNGs to `screenshots/`.

Signed-in states: where a page offers `input[type=file][data-key-import]`, the demo key file of
the page's role is imported through it and the page is captured again.

Exit 1 when a page asks anything outside the service, raises or logs a script error (a CSP
violation included), fails to load, or never says it is ready.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trace_service import create_app  # noqa: E402
from trace_service.demo import seed_demo  # noqa: E402
from trace_service.migrations import upgrade  # noqa: E402

VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}
READY_MS = 30_000
KEY_IMPORT = "input[type=file][data-key-import]"
# A delivered, received and reviewed demo item (the first parcel of the demo story).
REVIEWED = "/01/06901234500011/21/LJ2026-0001"


@dataclass(frozen=True)
class Shot:
    """One page to capture, and the demo key file that signs in on it (if it takes one)."""

    name: str
    path: str
    key_role: str | None = None


SHOTS = (
    Shot("consumer", REVIEWED),
    Shot("consumer-en", f"{REVIEWED}?lang=en"),
    Shot("home", "/"),
    Shot("merchant", "/merchant", key_role="tea"),
    Shot("courier", "/courier", key_role="sd_last"),
    Shot("regulator", "/regulator", key_role="regulator"),
)


@dataclass
class Findings:
    """What went wrong while capturing, by page."""

    problems: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")


@contextmanager
def demo_service(instance: Path) -> Iterator[tuple[str, Path]]:
    """The app over a fresh SQLite database with the demo, on a free loopback port."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{instance / 'trace.db'}",
            "INSTANCE_PATH": str(instance),
            "LOG_LEVEL": "WARNING",  # one line per request would bury the result
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    upgrade(app.extensions["trace_engine"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["RESOLVER_BASE_URL"] = url
    seed_demo(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, instance / "demo"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["trace_engine"].dispose()


def settle(page: Page, where: str, findings: Findings) -> None:
    """Wait for the network to go quiet and for the page's own ready marker."""
    try:
        page.wait_for_load_state("networkidle", timeout=READY_MS)
        page.wait_for_function(
            "() => document.body && document.body.dataset.ready === 'true'", timeout=READY_MS
        )
        page.wait_for_load_state("networkidle", timeout=READY_MS)
    except PlaywrightError as exc:
        findings.add(where, f"never became ready ({exc.message.splitlines()[0]})")


def capture(
    browser: Browser, url: str, keys: Path, shot: Shot, device: str, out: Path, findings: Findings
) -> list[Path]:
    """Capture one page on one device (and signed in, where it can be); returns the PNGs."""
    where = f"{shot.name} ({device})"
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **VIEWPORTS[device])

    def guard(route: Route) -> None:
        target = route.request.url
        if target == url or target.startswith((url + "/", "data:", "blob:")):
            route.continue_()
        else:
            findings.add(where, f"request outside the service: {target}")
            route.abort("internetdisconnected")

    def console(message: ConsoleMessage) -> None:
        # A failed fetch is the page's business (it may show a not-found state); anything
        # else logged as an error (uncaught errors, CSP refusals) is a defect.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            findings.add(where, f"console error: {message.text}")

    context.route("**/*", guard)
    page = context.new_page()
    page.on("pageerror", lambda exc: findings.add(where, f"script error: {exc}"))
    page.on("console", console)
    written: list[Path] = []
    try:
        response = page.goto(url + shot.path)
        if response is None or response.status >= 400:
            status = response.status if response else "no response"
            findings.add(where, f"the page did not load ({status})")
            return written
        settle(page, where, findings)
        written.append(out / f"{shot.name}-{device}.png")
        page.screenshot(path=written[-1], full_page=True)
        if shot.key_role and page.locator(KEY_IMPORT).count():
            page.set_input_files(KEY_IMPORT, keys / f"{shot.key_role}.json")
            # The key is imported (IndexedDB) before the page fetches anything as the signed-in
            # party, so give it a moment to start before waiting for the network to go quiet.
            page.wait_for_timeout(300)
            settle(page, f"{where} signed in", findings)
            written.append(out / f"{shot.name}-signed-in-{device}.png")
            page.screenshot(path=written[-1], full_page=True)
    finally:
        context.close()
    return written


def chromium_path(explicit: str | None) -> str:
    for candidate in (explicit, os.environ.get("CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise SystemExit("Chromium is missing: run scripts/install-test-tools (Debian 'chromium')")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument(
        "--chromium", help="path of the Chromium binary (default /usr/bin/chromium)"
    )
    parser.add_argument(
        "--pages",
        default=",".join(s.name for s in SHOTS),
        help="comma-separated page names (default: all): " + ", ".join(s.name for s in SHOTS),
    )
    args = parser.parse_args(argv)
    wanted = set(args.pages.split(","))
    unknown = wanted - {s.name for s in SHOTS}
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    findings = Findings()
    written: list[Path] = []
    executable = chromium_path(args.chromium)
    with (
        tempfile.TemporaryDirectory(prefix="trace-screenshots-") as tmp,
        demo_service(Path(tmp) / "instance") as (url, keys),
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        try:
            for shot in (s for s in SHOTS if s.name in wanted):
                for device in VIEWPORTS:
                    written += capture(browser, url, keys, shot, device, args.out, findings)
        finally:
            browser.close()
    for path in written:
        print(path)
    for problem in findings.problems:
        print(f"FAILED {problem}", file=sys.stderr)
    return 1 if findings.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
