"""The browser harness itself: Chromium runs, the vendor assets are local, the network is cut."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.web.conftest import LiveService


def test_vendor_assets_are_served_locally_and_other_origins_are_unreachable(
    desktop_page: Page, live: LiveService
) -> None:
    response = desktop_page.goto(f"{live.url}/vendor/@zxing/library/umd/index.min.js")
    assert response is not None and response.status == 200
    # A package that package-lock.json does not install is not served.
    missing = desktop_page.goto(f"{live.url}/vendor/left-pad/index.js")
    assert missing is not None and missing.status == 404
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        desktop_page.goto("https://example.org/")
    assert live.offline_violations == ["https://example.org/"]
    live.offline_violations.clear()
