"""The consumer verification page (static/consumer.html), driven as a phone camera would open it:
the verdict comes from the browser's own checks of the log, a tampered record is caught on its
step whatever the server says, the buyer acts with the key from the sale, and nothing personal
is ever shown or fetched."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import nacl.signing
import pytest
from playwright.sync_api import Locator, Page, Response, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.reliability.test_personal_data_exposure import (
    demo_recipients,
    readings,
    secret_patterns,
)
from tests.web.conftest import LiveService
from trace_service.demo.actors import gtin13
from trace_service.demo.story import PRODUCTS
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission

TEA, COFFEE = (f"01/0{PRODUCTS[key][0]}" for key in ("tea", "coffee"))
REVIEWED = f"{TEA}/21/LJ2026-0001"  # delivered in person, received and reviewed (buyer_a)
IN_TRANSIT = f"{TEA}/21/LJ2026-0002"  # at the Hangzhou hub, in a parcel with LJ2026-0003 (buyer_d)
SETTLE_MS = 30_000

# What the page may ask the service: public reads, and POST /events for the buyer's own events.
PUBLIC_PATH = re.compile(
    r"^/(01/.+|static/.+|vendor/.+|checkpoint|log/keys|log/entries/\d+|log/inclusion"
    r"|parties/[\w-]+(/keys)?|ratings/units/[\w-]+|admission/[\w-]+|events)$"
)


def open_item(page: Page, live: LiveService, subject: str) -> None:
    page.goto(f"{live.url}/{subject}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=SETTLE_MS)


def steps(page: Page) -> Locator:
    return page.locator("ol.timeline > li.step")


def step_of(page: Page, kind: str, nth: int = 0) -> Locator:
    return page.locator(f'ol.timeline > li.step[data-type="{kind}"]').nth(nth)


def key_holder(live: LiveService, role: str) -> KeyHolder:
    identity = live.identity(role)
    seed = base64.b64decode(identity["private_key"])
    return KeyHolder(nacl.signing.SigningKey(seed), identity["party_id"])


def deliver_parcel_of(live: LiveService, item: str) -> tuple[str, str]:
    """Bring the item's parcel from the hub to the buyer's door, as the couriers' devices would
    (handoff to the last-mile courier, delivery in person); returns (parcel, delivery hash)."""
    client = live.app.test_client()
    timeline = client.get(f"/{item}?format=application/json").get_json()
    [parcel] = timeline["parcels"]
    head = [e for e in timeline["events"] if e["subject"] == parcel][-1]["hash"]
    courier = key_holder(live, "sd_last")
    now = datetime.now(UTC).replace(microsecond=0)
    handoff = payload(
        "handoff",
        parcel,
        head,
        now,
        from_=live.identity("sd_hub")["party_id"],
        location={"name": "顺达上海浦东营业部", "city": "上海"},
        condition="intact",
        weight_g=838,
    )
    accepted = client.post("/events", json=submission(sign(handoff, courier)))
    assert accepted.status_code == 201, accepted.get_json()
    delivery = payload(
        "delivery",
        parcel,
        accepted.get_json()["hash"],
        now,
        method="in_person",
        consent=True,
        location={"name": "黄浦投递段", "city": "上海"},
        condition="intact",
        weight_g=838,
    )
    delivered = client.post("/events", json=submission(sign(delivery, courier)))
    assert delivered.status_code == 201, delivered.get_json()
    return parcel, str(delivered.get_json()["hash"])


def import_buyer_key(page: Page, live: LiveService) -> None:
    """The demo's buyers.json holds every buyer; the page picks the one this item was sold to."""
    page.set_input_files("input[type=file][data-key-import]", live.demo_dir / "buyers.json")
    expect(page.locator("#buyer-actions")).to_be_visible()


def test_a_scan_shows_the_whole_route_verified_with_who_signed_each_step(
    phone_page: Page, live: LiveService
) -> None:
    open_item(phone_page, live, REVIEWED)
    verdict = phone_page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "verified")
    expect(verdict).to_contain_text("已核验：记录真实完整")
    kinds = ["listing", "sale", "dispatch", "handoff", "handoff", "delivery", "receipt", "review"]
    expect(steps(phone_page)).to_have_count(len(kinds))
    assert [s.get_attribute("data-type") for s in steps(phone_page).all()] == kinds
    for step in steps(phone_page).all():
        expect(step).to_have_attribute("data-status", "ok")
        expect(step.locator("[data-check]")).to_have_text("✓ 已核验")

    product = phone_page.locator("section.product")
    expect(product).to_contain_text("西湖龙井 明前特级 250g")
    expect(product).to_contain_text("LJ2026-0001")
    expect(product).to_contain_text("买家已签收并评价")
    merchant = phone_page.locator("section.merchant")
    expect(merchant).to_contain_text("西湖龙井茶业旗舰店")
    expect(merchant).to_contain_text("91330100MA2H00002")
    expect(merchant).to_contain_text("正常")

    # The route: places, and each step's signers by role and name; the buyer only by key id.
    expect(step_of(phone_page, "dispatch")).to_contain_text("揽收员 陈明")
    expect(step_of(phone_page, "dispatch")).to_contain_text("西湖龙井茶业旗舰店")
    expect(step_of(phone_page, "handoff", 0)).to_contain_text("顺达杭州分拨中心")
    expect(step_of(phone_page, "handoff", 0)).to_contain_text("分拣员 刘强")
    expect(step_of(phone_page, "delivery")).to_contain_text("派送员 王芳")
    buyer_keyid = live.buyer("buyer_a")["keyid"]
    for kind in ("receipt", "review"):
        expect(step_of(phone_page, kind)).to_contain_text("买家（匿名设备密钥）")
        expect(step_of(phone_page, kind)).to_contain_text(buyer_keyid)
    expect(step_of(phone_page, "review")).to_contain_text("茶香浓郁")

    # The courier company's published credit standing, with the method version.
    credit = phone_page.locator("section.credit [data-courier]")
    expect(credit).to_have_count(1)
    expect(credit).to_contain_text("顺达快递")
    expect(credit.locator("[data-grade]")).to_have_text("数据不足，暂不评级")
    expect(credit).to_contain_text("评价方法 2026.2")

    # How the handoff was checked: its log index, the proof against the signed checkpoint.
    with urlopen(f"{live.url}/checkpoint") as response:
        tree_size = int(response.read().decode().split("\n")[1])
    handoff = step_of(phone_page, "handoff", 0)
    handoff.locator("details.how summary").click()
    how = handoff.locator("details.how")
    index = handoff.get_attribute("data-index")
    expect(how).to_contain_text(f"#{index}")
    expect(how).to_contain_text(f"检查点树大小 {tree_size}")
    expect(how).to_contain_text(f"日志共 {tree_size} 条，由日志公钥")
    expect(how).to_contain_text(live.identity("sd_hub")["keyid"])
    expect(how).to_contain_text("与本机结果一致")


def _claim_everything_valid(route: Route) -> None:
    """A lying server: the timeline JSON says every record is valid."""
    response = route.fetch()
    timeline: dict[str, Any] = response.json()
    for event in timeline["events"]:
        event.update(hash_valid=True, signature_valid=True, chain_valid=True, problem=None)
    timeline["verified"] = True
    route.fulfill(response=response, json=timeline)


def test_an_edited_record_fails_on_its_step_and_in_the_verdict_whatever_the_server_says(
    phone_page: Page, live: LiveService
) -> None:
    timeline = live.app.test_client().get(f"/{REVIEWED}?format=application/json").get_json()
    [parcel] = timeline["parcels"]
    engine = live.app.extensions["trace_engine"]
    with Session(engine) as session:
        entry = session.scalars(
            select(LogEntry)
            .where(LogEntry.subject == parcel, LogEntry.type == "handoff")
            .order_by(LogEntry.idx)
        ).first()
        assert entry is not None and b'"weight_g":418' in entry.body
        # Behind the service's back: the hub's measured weight rewritten in the stored bytes.
        entry.body = bytes(entry.body).replace(b'"weight_g":418', b'"weight_g":218')
        tampered = entry.idx
        session.commit()
    phone_page.route(re.compile(r".*[?&]format=application/json$"), _claim_everything_valid)
    open_item(phone_page, live, REVIEWED)

    verdict = phone_page.locator("#verdict")
    expect(verdict).to_have_attribute("data-verdict", "failed")
    expect(verdict).to_contain_text("核验未通过")
    expect(verdict).to_contain_text("第 4 步「交接」")
    expect(verdict).to_contain_text("服务器自检结果与本机核验结果不一致")
    bad = phone_page.locator(f'li.step[data-index="{tampered}"]')
    expect(bad).to_have_attribute("data-status", "bad")
    expect(bad.locator("[data-check]")).to_have_text("✗ 未通过")
    expect(bad).to_contain_text("记录内容与已签名的日志不符")
    expect(bad).to_contain_text("数字签名无效")
    # The steps before it still verify; the next one cannot be linked to the edited record.
    for kind in ("listing", "sale", "dispatch"):
        expect(step_of(phone_page, kind)).to_have_attribute("data-status", "ok")
    expect(step_of(phone_page, "handoff", 1)).to_have_attribute("data-status", "warn")
    expect(phone_page.locator("li.step[data-status=bad]")).to_have_count(1)


@pytest.mark.slow
def test_the_buyer_confirms_receipt_reviews_and_complains_with_the_key_from_the_sale(
    phone_page: Page, live: LiveService
) -> None:
    deliver_parcel_of(live, IN_TRANSIT)
    open_item(phone_page, live, IN_TRANSIT)
    expect(phone_page.locator("#buyer-claim")).to_be_visible()
    # A key that is not the buyer's (a merchant's key file) is refused in words.
    phone_page.set_input_files("input[type=file][data-key-import]", live.key_file("tea"))
    expect(phone_page.locator("#buyer-import-problem")).to_have_text(
        "文件中没有与这件商品的销售记录相符的买家密钥。"
    )
    import_buyer_key(phone_page, live)
    expect(phone_page.locator("#buyer-actions")).to_contain_text(live.buyer("buyer_d")["keyid"])
    expect(phone_page.locator("#review-state")).to_have_text("确认签收后即可评价。")

    phone_page.locator("#receipt-form button[type=submit]").click()
    result = phone_page.locator("#buyer-result")
    expect(result).to_have_attribute("data-receipt", "verified", timeout=SETTLE_MS)
    expect(result.locator("li.ok-text")).to_have_count(3)
    expect(phone_page.locator("body")).to_have_attribute("data-ready", "true", timeout=SETTLE_MS)
    receipt = step_of(phone_page, "receipt")
    expect(receipt).to_have_attribute("data-status", "ok")
    expect(receipt).to_contain_text("买家（匿名设备密钥）")
    expect(phone_page.locator("#receipt-state")).to_have_text("您已确认签收。")

    phone_page.locator("label[for=score-4]").click()
    phone_page.fill("#review-text", "两罐都完好，茶叶新鲜。")
    phone_page.locator("#review-form button[type=submit]").click()
    expect(step_of(phone_page, "review")).to_contain_text("两罐都完好", timeout=SETTLE_MS)
    expect(phone_page.locator("body")).to_have_attribute("data-ready", "true", timeout=SETTLE_MS)
    expect(step_of(phone_page, "review")).to_have_attribute("data-status", "ok")
    expect(step_of(phone_page, "review").locator(".stars")).to_have_text("★★★★☆")
    expect(phone_page.locator("#review-state")).to_have_text("您已评价过这件商品。")

    phone_page.locator("#action-complaint summary").click()
    phone_page.select_option("#complaint-category", "not_as_described")
    phone_page.fill("#complaint-description", "礼盒印刷与商品页图片不一致。")
    phone_page.locator("#complaint-form button[type=submit]").click()
    expect(step_of(phone_page, "complaint")).to_contain_text("与描述不符", timeout=SETTLE_MS)
    expect(phone_page.locator("body")).to_have_attribute("data-ready", "true", timeout=SETTLE_MS)
    expect(phone_page.locator("#verdict")).to_have_attribute("data-verdict", "verified")
    assert {s.get_attribute("data-status") for s in steps(phone_page).all()} == {"ok"}


def test_a_refused_event_is_explained_in_words(phone_page: Page, live: LiveService) -> None:
    """Another device of the buyer confirmed receipt after this page loaded: the page's own
    receipt is refused by the service, and the page says why instead of showing a code."""
    parcel, delivered = deliver_parcel_of(live, IN_TRANSIT)
    open_item(phone_page, live, IN_TRANSIT)
    import_buyer_key(phone_page, live)
    buyer = live.buyer("buyer_d")
    holder = KeyHolder(nacl.signing.SigningKey(base64.b64decode(buyer["private_key"])))
    now = datetime.now(UTC).replace(microsecond=0)
    other = payload("receipt", parcel, delivered, now, condition="intact", note="家人代收")
    posted = live.app.test_client().post("/events", json=submission(sign(other, holder)))
    assert posted.status_code == 201

    phone_page.locator("#receipt-form button[type=submit]").click()
    problem = phone_page.locator("#receipt-form .problem")
    expect(problem).to_be_visible(timeout=SETTLE_MS)
    expect(problem.locator(".problem-message")).to_have_text(
        "该商品或包裹已有一条后续记录（另一个操作抢先提交了）。请刷新后重试。"
    )
    expect(phone_page.locator("#buyer-result")).not_to_have_attribute("data-receipt", "verified")


def test_an_unknown_or_malformed_code_shows_a_not_found_page(
    phone_page: Page, live: LiveService
) -> None:
    unregistered = gtin13("690123459999")
    bad_check_digit = TEA[:-1] + str((int(TEA[-1]) + 1) % 10)
    cases = {
        f"{TEA}/21/NO-SUCH-ITEM": "该商品码或包裹码尚无记录。",
        f"01/0{unregistered}/21/X1": "该商品未登记。",
        f"{bad_check_digit}/21/X1": "商品条码（GTIN）无效：请核对位数与校验位。",
    }
    for subject, words in cases.items():
        open_item(phone_page, live, subject)
        missing = phone_page.locator("#missing")
        expect(missing).to_be_visible()
        expect(missing).to_have_attribute("data-state", "notfound")
        expect(missing.locator("h1")).to_have_text("未找到该商品")
        expect(missing).to_contain_text(words)
        expect(missing.locator("a[href='/']")).to_be_visible()
        expect(phone_page.locator("#verdict")).to_be_hidden()


@pytest.mark.slow
def test_the_language_switch_turns_the_page_into_english_and_back(
    desktop_page: Page, live: LiveService
) -> None:
    open_item(desktop_page, live, REVIEWED)
    desktop_page.locator(".lang-switch button[data-lang=en]").click()
    expect(desktop_page.locator("html")).to_have_attribute("lang", "en")
    expect(desktop_page.locator("#verdict h2")).to_have_text(
        "Verified: the record is genuine and complete"
    )
    expect(step_of(desktop_page, "handoff").locator("h3")).to_contain_text("Handed over")
    expect(step_of(desktop_page, "review").locator("[data-check]")).to_have_text("✓ Verified")
    expect(step_of(desktop_page, "receipt")).to_contain_text("Buyer (anonymous device key)")
    expect(desktop_page.locator("section.merchant h2")).to_have_text("Merchant")
    expect(desktop_page.locator("section.about h2")).to_have_text("How this page checks")
    expect(desktop_page.locator("[data-grade]")).to_have_text("Insufficient data, not graded")
    # The choice is remembered on the device.
    open_item(desktop_page, live, REVIEWED)
    expect(desktop_page.locator("#verdict h2")).to_have_text(
        "Verified: the record is genuine and complete"
    )
    desktop_page.locator(".lang-switch button[data-lang=zh-CN]").click()
    expect(desktop_page.locator("#verdict h2")).to_have_text("已核验：记录真实完整")
    # A shared English link opens in English, and the reader's own choice still wins.
    page_url = f"{live.url}/{REVIEWED}?lang=en"
    desktop_page.goto(page_url)
    expect(desktop_page.locator("body")).to_have_attribute("data-ready", "true", timeout=SETTLE_MS)
    expect(step_of(desktop_page, "dispatch").locator("h3")).to_contain_text("Picked up")
    desktop_page.locator(".lang-switch button[data-lang=zh-CN]").click()
    expect(step_of(desktop_page, "dispatch").locator("h3")).to_contain_text("揽收发出")


@pytest.mark.slow
def test_no_personal_data_is_shown_or_fetched_and_only_public_endpoints_are_asked(
    phone_page: Page, live: LiveService
) -> None:
    patterns = {
        label: pattern
        for recipient in demo_recipients(live.app)
        for label, pattern in secret_patterns(recipient).items()
    }
    fetched: list[tuple[str, bytes]] = []
    asked: list[tuple[str, str, bool]] = []
    phone_page.on(
        "request",
        lambda r: asked.append((r.method, r.url, "authorization" in r.all_headers())),
    )

    def keep(response: Response) -> None:
        # Everything but the fonts (binary files of the npm package, the same for everyone).
        if not urlsplit(response.url).path.startswith("/vendor/"):
            fetched.append((response.url, response.body()))

    phone_page.on("response", keep)
    for subject in (REVIEWED, f"{COFFEE}/21/YN-0001"):
        open_item(phone_page, live, subject)
        import_buyer_key(phone_page, live)
        for details in phone_page.locator("details").all():
            details.evaluate("d => { d.open = true; }")
        shown = phone_page.content() + "\n" + phone_page.locator("body").inner_text()
        for label, pattern in patterns.items():
            assert not pattern.search(shown), f"{label} shown on the page for {subject}"
    assert len(fetched) > 30
    for url, body in fetched:
        texts = readings(body)
        for label, pattern in patterns.items():
            assert not any(pattern.search(text) for text in texts), f"{label} in {url}"
    for method, url, authorised in asked:
        path = urlsplit(url).path
        assert PUBLIC_PATH.match(path), f"{method} {url} is not a public endpoint"
        assert not authorised, f"{method} {url} sent credentials"
