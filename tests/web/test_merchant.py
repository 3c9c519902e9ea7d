"""The merchant scan console (/merchant) in Chromium: a merchant signs in with the demo key file,
records events signed in the browser (the service stores exactly the signed envelope), sees
each receipt verified on the page, and is told in words what is wrong with a code or a step."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from playwright.sync_api import Page, Response, expect

from tests.web.conftest import LiveService
from trace_service.demo.actors import sscc
from trace_service.ledger.canonical import canonical_json, event_signing_input

# The demo's coffee bean listed by 云岭咖啡工坊 and not sold yet; a tea already received.
LISTED = "01/06901234500035/21/YN-0002"
RECEIVED = "01/06901234500011/21/LJ2026-0001"


def sign_in(page: Page, live: LiveService, role: str, path: str = "/merchant") -> dict[str, Any]:
    """Open a scan page and import a demo key file as a person would; returns the key file."""
    page.goto(f"{live.url}{path}")
    page.set_input_files(f"#{path.strip('/')}-keyfile", live.key_file(role))
    identity = live.identity(role)
    expect(page.get_by_test_id("identity-name")).to_have_text(identity["name"])
    expect(page.locator("#identity")).to_contain_text("密钥已登记，有效")
    return identity


def scan(page: Page, field: str, text: str) -> None:
    page.fill(f"#{field}-text", text)
    page.press(f"#{field}-text", "Enter")


def log_size(live: LiveService) -> int:
    """The tree size of the log's latest signed checkpoint, as an outside reader sees it."""
    note = live.app.test_client().get("/checkpoint").get_data(as_text=True)
    return int(note.splitlines()[1])


def stored_event(live: LiveService, event_hash: str) -> tuple[dict[str, Any], int]:
    """The canonical envelope the service logged under this hash, and its log index."""
    response = live.app.test_client().get(f"/events/{event_hash}")
    assert response.status_code == 200
    envelope: dict[str, Any] = json.loads(response.data)
    return envelope, int(response.headers["Log-Index"])


def assert_signed_by(envelope: dict[str, Any], *identities: dict[str, Any]) -> None:
    """Each signature verifies over the signing input with the named party's public key."""
    message = event_signing_input(canonical_json(envelope["payload"]))
    by_keyid = {s["keyid"]: s["sig"] for s in envelope["signatures"]}
    assert set(by_keyid) == {i["keyid"] for i in identities}
    for identity in identities:
        key = nacl.signing.VerifyKey(base64.b64decode(identity["public_key"]))
        key.verify(message, base64.b64decode(by_keyid[identity["keyid"]]))


def assert_refused_in_words(
    page: Page, live: LiveService, submit: str, code: str, zh: str, en: str
) -> None:
    """Submitting is refused: the code's words in Chinese, then in English once the reader
    switches language; nothing is logged and no receipt is shown."""
    before = log_size(live)
    page.click(submit)
    problem = page.locator("#action-problem")
    expect(problem).to_contain_text(zh)
    expect(problem).to_contain_text(code)
    page.click("button[data-lang=en]")
    expect(problem).to_contain_text(en)
    assert log_size(live) == before
    expect(page.get_by_test_id("receipt")).to_be_hidden()


def is_event_post(response: Response) -> bool:
    return response.url.endswith("/events") and response.request.method == "POST"


def posted_and_answered(page: Page, submit: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Click a submit button; the envelope the browser POSTed to /events and the receipt."""
    with page.expect_response(is_event_post) as info:
        page.click(submit)
    response = info.value
    assert response.status == 201, response.text()
    posted: dict[str, Any] = json.loads(response.request.post_data or "{}")
    answer: dict[str, Any] = response.json()
    return posted, answer


def test_sale_is_signed_in_the_browser_and_its_receipt_verified(
    desktop_page: Page, live: LiveService
) -> None:
    page = desktop_page
    merchant = sign_in(page, live, "coffee")
    expect(page.locator("#identity")).to_contain_text(merchant["party_id"])
    expect(page.locator("#identity")).to_contain_text(merchant["keyid"])
    page.reload()  # the identity is remembered across reloads
    expect(page.get_by_test_id("identity-name")).to_have_text(merchant["name"])

    scan(page, "item", f"https://id.gs1.org/{LISTED}")
    expect(page.locator("#item")).to_contain_text("已上架，待售")
    listing_head = live.app.test_client().get(f"/{LISTED}?format=application/json").get_json()
    expect(page.locator("#tab-sale")).to_have_attribute("aria-selected", "true")
    page.fill("#sale-order", "O-WEB-0001")
    posted, answer = posted_and_answered(page, "#form-sale > button[type=submit]")

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text("包含性已验证", timeout=15_000)
    expect(receipt).to_contain_text(str(answer["index"]))
    expect(receipt).to_contain_text(str(answer["inclusion"]["tree_size"]))
    expect(receipt).to_contain_text(base64.b64decode(answer["leaf_hash"]).hex())
    expect(receipt.locator(f'a[href="/{LISTED}"]')).to_be_visible()
    expect(page.locator("#item")).to_contain_text("已售出，待发货")

    # The service holds exactly what the browser signed, under the merchant's key alone.
    stored, index = stored_event(live, answer["hash"])
    assert index == answer["index"]
    assert stored == {"payload": posted["payload"], "signatures": posted["signatures"]}
    assert_signed_by(stored, merchant)
    sale = stored["payload"]
    assert sale["type"] == "sale" and sale["subject"] == LISTED
    assert sale["prev"] == listing_head["events"][-1]["hash"]
    assert sale["order_ref"] == "O-WEB-0001" and sale["price"] == {
        "amount": "128.00",
        "currency": "CNY",
    }

    # The merchant's private key cannot be read back out of the browser, and the buyer key
    # named in the sale was made on this device, equally non-extractable.
    keys = page.evaluate(
        """async () => {
          const { listIdentities } = await import("/static/js/core/keys.js");
          const out = {};
          for (const identity of await listIdentities()) {
            const refused = await crypto.subtle.exportKey("jwk", identity.privateKey)
              .then(() => "exported", (error) => error.name);
            out[identity.kind] = { public_key: identity.public_key, refused,
                                   extractable: identity.privateKey.extractable };
          }
          return out;
        }"""
    )
    assert keys["merchant"] == {
        "public_key": merchant["public_key"],
        "refused": "InvalidAccessError",
        "extractable": False,
    }
    assert keys["buyer"]["public_key"] == sale["buyer_key"]
    assert keys["buyer"]["refused"] == "InvalidAccessError"


def test_typed_gtin_with_a_wrong_check_digit_is_explained_before_anything_is_sent(
    phone_page: Page, live: LiveService
) -> None:
    page = phone_page
    sign_in(page, live, "coffee")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    scan(page, "item", "(01)06901234500033(21)YN-0002")
    problem = page.locator("#scan .problem")
    expect(problem).to_have_text(
        "商品条码 06901234500033 的校验位是 3，正确应为 5。请核对条码是否输错或印错。"
    )
    page.click("button[data-lang=en]")
    expect(problem).to_contain_text("ends in check digit 3, but it should be 5")
    assert not [url for url in asked if "/06901234500033" in url]
    expect(page.locator("#item")).to_be_hidden()


def test_selling_an_item_twice_is_refused_in_words_and_nothing_is_logged(
    desktop_page: Page, live: LiveService
) -> None:
    page = desktop_page
    sign_in(page, live, "tea")
    scan(page, "item", RECEIVED)
    expect(page.locator("#item")).to_contain_text("已签收")
    page.click("#tab-sale")
    page.fill("#sale-order", "O-AGAIN")
    page.fill("#sale-price", "368.00")
    assert_refused_in_words(
        page, live, "#form-sale > button[type=submit]",
        "already_sold", "该商品已售出。", "This item is already sold.",
    )  # fmt: skip


def test_photos_of_a_qr_code_and_a_barcode_are_decoded_in_the_browser(
    phone_page: Page, live: LiveService, tmp_path: Path
) -> None:
    page = phone_page
    sign_in(page, live, "coffee")
    client = live.app.test_client()
    qr = client.get(f"/codes/qr/{LISTED}.png")
    ean = client.get("/codes/barcode/ean13/6901234500035.png")
    assert qr.mimetype == ean.mimetype == "image/png"
    (tmp_path / "label.png").write_bytes(qr.data)
    (tmp_path / "ean13.png").write_bytes(ean.data)
    expect(page.locator("#item-photo")).to_have_attribute("capture", "environment")

    # The EAN-13 on the pack names the product only: the page asks for the unit's serial.
    page.set_input_files("#item-photo", tmp_path / "ean13.png")
    expect(page.locator("#scan .scan-serial")).to_contain_text("条码 06901234500035 只标识商品种类")
    page.fill("#item-serial", "YN-0002")
    page.press("#item-serial", "Enter")
    expect(page.locator("#item")).to_contain_text("已上架，待售")

    # The label's QR code carries the item's Digital Link.
    page.fill("#item-text", "")
    page.set_input_files("#item-photo", tmp_path / "label.png")
    expect(page.locator("#item-text")).to_have_value(LISTED, timeout=15_000)
    expect(page.locator("#item")).to_contain_text("云南小粒咖啡豆 中度烘焙 500g")


@pytest.mark.slow
def test_dispatch_is_countersigned_on_the_couriers_phone(
    desktop_page: Page, phone_page: Page, live: LiveService
) -> None:
    merchant_page, courier_page = desktop_page, phone_page
    merchant = sign_in(merchant_page, live, "coffee")
    courier = sign_in(courier_page, live, "ty_pick", "/courier")
    scan(merchant_page, "item", LISTED)
    expect(merchant_page.locator("#item")).to_contain_text("已上架，待售")
    merchant_page.fill("#sale-order", "O-WEB-0002")
    merchant_page.click("#form-sale > button[type=submit]")
    expect(merchant_page.get_by_test_id("receipt")).to_contain_text("包含性已验证", timeout=15_000)

    # The sold item is offered for the parcel; the merchant fills in the rest and signs.
    expect(merchant_page.locator("#tab-dispatch")).to_have_attribute("aria-selected", "true")
    expect(merchant_page.locator("#dispatch-items")).to_contain_text(LISTED)
    merchant_page.select_option("#dispatch-courier", label="通远速运")
    parcel = f"00/{sscc(20)}"
    scan(merchant_page, "parcel", parcel[3:])
    expect(merchant_page.locator("#parcel-text")).to_have_value(parcel)
    merchant_page.fill("#dispatch-weight", "560")
    merchant_page.fill("#dispatch-destination", "上海")
    merchant_page.fill("#recipient-name", "韩梅梅")
    merchant_page.fill("#recipient-phone", "13911112222")
    merchant_page.fill("#recipient-address", "上海市长宁区延安西路1号")
    merchant_page.click("#form-dispatch > button[type=submit]")
    request = merchant_page.get_by_test_id("cosign-request")
    expect(request).to_have_value(re.compile(r"^TS-DISPATCH/1 "))
    assert "韩梅梅" not in request.input_value()

    # On the courier's phone: scan (here: paste) the request, check it, countersign.
    courier_page.click("label:has(input[value=pickup])")
    scan(courier_page, "request", request.input_value())
    expect(courier_page.locator("#form-pickup")).to_contain_text("云岭咖啡工坊")
    expect(courier_page.locator("#form-pickup")).to_contain_text("商家签名有效")
    courier_page.click("text=核对无误，签名会签")
    answer = courier_page.get_by_test_id("cosign-answer")
    expect(answer).to_have_value(re.compile(r"^TS-COSIGN/1 "))

    # Back on the console: the countersignature is checked, then the dispatch submitted.
    with merchant_page.expect_response(is_event_post) as info:
        scan(merchant_page, "cosign", answer.input_value())
    receipt_json = info.value.json()
    expect(merchant_page.get_by_test_id("receipt")).to_contain_text("包含性已验证", timeout=15_000)
    stored, _ = stored_event(live, receipt_json["hash"])
    assert_signed_by(stored, merchant, courier)
    assert stored["payload"]["items"] == [LISTED] and stored["payload"]["subject"] == parcel

    # The recipient reached the service beside the envelope, never into public view.
    client = live.app.test_client()
    regulator = {"Authorization": f"Bearer {live.identity('regulator')['credential']}"}
    read = client.get(f"/parcels/{parcel}/recipient?purpose=audit", headers=regulator)
    assert read.get_json()["recipient"]["name"] == "韩梅梅"
    public = client.get(f"/{LISTED}?format=application/json").get_data(as_text=True)
    public += client.get(f"/epcis/parcels/{parcel}").get_data(as_text=True)
    for secret in ("韩梅梅", "13911112222", "延安西路"):
        assert secret not in public
