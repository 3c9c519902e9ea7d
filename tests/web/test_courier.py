"""The courier scan view (/courier) on a phone: staff see who holds the demo's in-transit parcel,
take it over with its condition and weight signed in the browser, read the recipient only while
holding it (each read logged), and are refused in words when they do not hold it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, Playwright, expect

from tests.web.conftest import PHONE, LiveService, chromium_path, offline_context
from tests.web.test_merchant import (
    assert_refused_in_words,
    assert_signed_by,
    posted_and_answered,
    scan,
    sign_in,
    stored_event,
)
from trace_service.demo.actors import sscc

# The demo's fourth parcel: two teas, picked up, now held by the hub sorter 分拣员 刘强.
IN_TRANSIT = f"00/{sscc(4)}"


def test_next_courier_takes_over_the_parcel_signed_on_the_phone(
    phone_page: Page, live: LiveService
) -> None:
    page = phone_page
    courier = sign_in(page, live, "sd_last", "/courier")
    hub = live.identity("sd_hub")
    scan(page, "parcel", IN_TRANSIT[3:])
    parcel_card = page.locator("#parcel")
    expect(parcel_card).to_contain_text(hub["name"])
    expect(parcel_card).to_contain_text("838 g")
    expect(page.locator("#handoff-from")).to_have_text(f"从 {hub['name']} 手中接收该包裹")

    # Not holding it yet: the recipient's details are refused, in words.
    page.click("#recipient-read")
    expect(page.locator("#recipient-problem")).to_contain_text(
        "只有当前持有包裹的快递员和监管部门可以查看收件人信息。"
    )

    handoff = page.locator("#form-handoff")
    handoff.locator("label:has(input[value=damaged])").click()
    handoff.locator("label:has(input[name=seal][value=broken])").click()
    page.fill("#handoff-weight", "815")
    posted, answer = posted_and_answered(page, "#form-handoff > button[type=submit]")
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("包含性已验证", timeout=15_000)
    expect(receipt).to_contain_text(str(answer["index"]))

    stored, _ = stored_event(live, answer["hash"])
    assert stored == {"payload": posted["payload"], "signatures": posted["signatures"]}
    assert_signed_by(stored, courier)
    handed = stored["payload"]
    assert handed["from"] == hub["party_id"]
    assert (handed["condition"], handed["seal"], handed["weight_g"]) == ("damaged", "broken", 815)
    assert handed["location"] == {"name": "顺达快递 上海浦东营业部", "city": "上海"}

    # Now the holder: the page says so, and the recipient can be read, the read logged.
    expect(parcel_card).to_contain_text(courier["name"])
    expect(parcel_card.locator(".holder")).to_contain_text("您")
    expect(page.locator("#recipient .logged-notice")).to_contain_text("查看收件人信息会被记录")
    page.click("#recipient-read")
    expect(page.get_by_test_id("recipient-data")).to_contain_text("钱程")
    regulator = {"Authorization": f"Bearer {live.identity('regulator')['credential']}"}
    reads = live.app.test_client().get(f"/parcels/{IN_TRANSIT}/recipient/reads", headers=regulator)
    assert [(r["party_id"], r["purpose"]) for r in reads.get_json()] == [
        (courier["party_id"], "delivery_contact")
    ]


def test_courier_not_holding_the_parcel_is_refused_in_words(
    phone_page: Page, live: LiveService
) -> None:
    page = phone_page
    sign_in(page, live, "sd_pick", "/courier")
    page.click("label:has(input[value=delivery])")
    scan(page, "parcel", IN_TRANSIT[3:])
    holder = live.identity("sd_hub")["name"]
    expect(page.locator("#delivery-holder")).to_contain_text(f"该包裹由 {holder} 持有")
    page.fill("#delivery-place", "西湖投递段")
    assert_refused_in_words(
        page, live, "#form-delivery > button[type=submit]",
        "not_holder", "您当前并未持有该包裹。", "You do not hold this parcel now.",
    )  # fmt: skip


def camera_clip(png: bytes, path: Path) -> Path:
    """A short Y4M video of a label held in front of the camera (what Chromium's fake camera
    plays to the page): the picture at its own size (resampling a QR code unevenly can make
    it unreadable, as a blurred photo would), grey levels in the Y plane, neutral chroma."""
    picture = Image.open(io.BytesIO(png)).convert("L")
    width = max(640, picture.width + 64) // 2 * 2
    height = max(480, picture.height + 64) // 2 * 2
    frame = Image.new("L", (width, height), 255)
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    chroma = bytes([128]) * (width * height // 4)
    with path.open("wb") as clip:
        clip.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            clip.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return path


@pytest.mark.slow
def test_parcel_label_is_read_through_the_phone_camera(
    playwright_instance: Playwright, live: LiveService, tmp_path: Path
) -> None:
    label = live.app.test_client().get(f"/codes/qr/{IN_TRANSIT}.png").data
    clip = camera_clip(label, tmp_path / "camera.y4m")
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[
            "--no-sandbox",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    try:
        context = offline_context(
            browser, live, viewport=PHONE, is_mobile=True, has_touch=True, permissions=["camera"]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, live, "sd_last", "/courier")
        page.click("#scan button.scan-camera")
        expect(page.locator("#parcel-text")).to_have_value(IN_TRANSIT, timeout=15_000)
        expect(page.locator("#scan .camera")).to_be_hidden()  # the camera stops once it has read
        expect(page.locator("#parcel")).to_contain_text(live.identity("sd_hub")["name"])
        assert not errors and not live.offline_violations
    finally:
        browser.close()
