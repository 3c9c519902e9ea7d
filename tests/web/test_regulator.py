"""The regulator dashboard (/regulator) in a real browser: a regulator signs in with the demo's
key file, drills from a grade down to a log proof verified in the browser, decides an objection
with a decision signed in the browser, sees overdue reviews in red, exports what is on screen as
CSV; anonymous visitors see the public ratings and are asked to sign in for evidence."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from tests.conftest import Actor
from tests.credit.records_flow import short_parcel, snapshot
from tests.lifecycle.flow import World
from tests.tracing.cases_flow import head_of
from tests.web.conftest import LiveService
from trace_service.lifecycle.compose import KeyHolder, payload, sign, submission

READY = "body[data-ready='true']"


def actor(live: LiveService, role: str) -> Actor:
    """A demo party as the tests sign for it: its key file's key and credential."""
    data = live.identity(role)
    key = KeyHolder(
        nacl.signing.SigningKey(base64.b64decode(data["private_key"])), data["party_id"]
    )
    return Actor(data["party_id"], data["kind"], data["credential"], key)


def api(live: LiveService, path: str, role: str | None = None) -> Any:
    client: FlaskClient = live.app.test_client()
    headers = actor(live, role).auth if role else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.get_json())
    return response.get_json()


def open_dashboard(page: Page, live: LiveService, route: str = "ratings") -> None:
    page.goto(f"{live.url}/regulator#{route}")
    page.wait_for_selector(READY)


def sign_in(page: Page, live: LiveService) -> None:
    page.set_input_files("input[data-key-import]", str(live.key_file("regulator")))
    expect(page.locator("[data-signed-in]")).to_contain_text(live.identity("regulator")["name"])


@pytest.mark.slow
def test_a_regulator_drills_from_a_grade_down_to_a_log_proof_verified_in_the_browser(
    desktop_page: Page, live: LiveService
) -> None:
    page = desktop_page
    open_dashboard(page, live)
    sign_in(page, live)
    hub = live.identity("sd_hub")["party_id"]
    published = next(u for u in api(live, "/ratings")["units"] if u["unit_id"] == hub)
    assert published["weighted_faults"] != "0.000000"  # the demo's damage weighs on the sorter

    page.click(f"#ratings-table tr[data-unit='{hub}'] .grade-link")
    expect(page.locator(".equality")).to_have_attribute("data-balanced", "true")
    shown_sum = page.locator("[data-field='sum']").inner_text()
    shown_figure = page.locator("[data-field='weighted_faults']").inner_text()
    assert shown_sum == shown_figure == published["weighted_faults"]
    explanation = api(live, f"/ratings/units/{hub}/explanation")
    rows = page.locator("#explanation-table tbody tr")
    expect(rows).to_have_count(len(explanation["complaints"]))

    complaint = explanation["complaints"][0]["complaint"]
    page.click(f"#explanation-table tr[data-complaint='{complaint}'] a")
    case = api(live, f"/cases/{complaint}", "regulator")
    attribution = case["records"][0]
    expect(page.locator(".case-card")).to_be_visible()
    expect(page.locator("[data-field='rule']")).to_have_text(attribution["rule"])
    expect(page.locator("[data-field='rules_version']")).to_have_text(attribution["rules_version"])
    expect(page.locator("#drill-body")).to_contain_text("个人信息访问记录")  # regulators see reads

    evidence = attribution["evidence"][0]
    page.click(f".evidence-list a[href='#event/{evidence['hash']}']")
    expect(page.locator(".event-card")).to_have_attribute("data-index", str(evidence["index"]))
    page.click("#verify-proof")
    expect(page.locator(".proof-result")).to_have_attribute("data-verified", "true", timeout=15000)
    expect(page.locator(".proof-result")).to_contain_text("已核验")

    client = live.app.test_client()
    entry = client.get(f"/log/entries/{evidence['index']}").data
    leaf = hashlib.sha256(b"\x00" + entry).hexdigest()
    assert page.locator("[data-field='leaf_hash']").inner_text() == leaf
    size = int(client.get("/checkpoint").get_data(as_text=True).splitlines()[1])
    assert page.locator("[data-field='checkpoint_size']").inner_text() == str(size)
    inclusion = client.get(f"/log/inclusion?index={evidence['index']}&size={size}").get_json()
    shown = page.locator(".proof-hashes li").all_inner_texts()
    assert shown == [base64.b64decode(h).hex() for h in inclusion["hashes"]]
    assert page.locator(".signature-checks .check-ok").count() == len(
        json.loads(entry)["signatures"]
    )


def case_of(live: LiveService, category: str) -> str:
    """The demo's complaint case of that category (damaged: sd_hub; unauthorised_signoff:
    ty_last)."""
    cases = api(live, "/cases", "regulator")["items"]
    return str(next(c["complaint"] for c in cases if c["category"] == category))


def object_to_case(live: LiveService, complaint: str, role: str, at: datetime) -> None:
    """The attributed party `role` objects to the case's finding, signed at `at` (Python-side)."""
    head = head_of(live.app, f"case/{complaint}")
    body = payload(
        "objection", f"case/{complaint}", head, at, on=head,
        reason="交接时外箱完好，损坏发生在派送环节", evidence=[],
    )  # fmt: skip
    response = live.app.test_client().post(
        "/events", json=submission(sign(body, actor(live, role).key))
    )
    assert response.status_code == 201, response.get_json()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_a_regulator_decides_an_objection_with_a_decision_signed_in_the_browser(
    desktop_page: Page, live: LiveService
) -> None:
    complaint = case_of(live, "damaged")
    object_to_case(live, complaint, "sd_hub", now())
    pending = api(live, f"/cases/{complaint}", "regulator")
    due = pending["review_due"]

    page = desktop_page
    open_dashboard(page, live, "objections")
    sign_in(page, live)
    row = page.locator(f"#objections-table tr[data-complaint='{complaint}']")
    expect(row).to_have_attribute("data-overdue", "false")
    expect(row.locator(f"td[data-csv='{due}']")).to_be_visible()  # the review deadline
    expect(row).to_contain_text("剩余 10 天")
    expect(row).to_contain_text("分拣员 刘强")  # attributed, and objecting

    row.locator("a", has_text="复核").click()
    form = page.locator(".decision-form")
    form.locator("input[value='upheld']").check()
    form.locator("textarea[name='reasons']").fill(
        "经调取交接记录复核：分拨中心交出时已记录破损，维持原认定。"
    )
    form.locator("button[type='submit']").click()
    expect(page.locator("[data-receipt]")).to_have_attribute(
        "data-receipt", "verified", timeout=15000
    )
    expect(page.locator("[data-field='decision_outcome']")).to_have_text("维持")
    expect(page.locator(".case-card [data-status]")).to_have_attribute("data-status", "attributed")

    decided = api(live, f"/cases/{complaint}", "regulator")
    decision = decided["records"][-1]
    regulator = live.identity("regulator")
    assert decision["kind"] == "decision" and decision["outcome"] == "upheld"
    assert (
        decision["by"] == regulator["party_id"] and decision["on"] == pending["objection"]["hash"]
    )
    envelope = live.app.test_client().get(f"/events/{decision['hash']}").get_json()
    assert [s["keyid"] for s in envelope["signatures"]] == [regulator["keyid"]]
    assert api(live, "/cases?status=pending_objection", "regulator")["total"] == 0


def test_an_objection_past_its_ten_day_review_is_highlighted_as_overdue(
    desktop_page: Page, live: LiveService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two objections, filed three days ago and now; the regulator looks eight days from now:
    # the first review was due yesterday, the second is due in two days.
    filed = now()
    signoff, damaged = case_of(live, "unauthorised_signoff"), case_of(live, "damaged")
    monkeypatch.setattr("trace_service.lifecycle.api.utcnow", lambda: filed - timedelta(days=3))
    object_to_case(live, signoff, "ty_last", filed - timedelta(days=3))
    monkeypatch.undo()
    object_to_case(live, damaged, "sd_hub", filed)
    later = filed + timedelta(days=8)
    monkeypatch.setattr("trace_service.tracing.api.utcnow", lambda: later)
    overdue = api(live, "/cases?overdue=true", "regulator")["items"]
    assert [c["complaint"] for c in overdue] == [signoff]

    page = desktop_page
    page.clock.set_fixed_time(later)
    open_dashboard(page, live, "objections")
    sign_in(page, live)
    rows = page.locator("#objections-table tbody tr")
    expect(rows).to_have_count(2)
    late, due = rows.nth(0), rows.nth(1)  # overdue first
    expect(late).to_have_attribute("data-complaint", signoff)
    expect(late).to_have_attribute("data-overdue", "true")
    expect(late).to_have_class("overdue")
    expect(late).to_contain_text("已逾期 1 天")
    background = late.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor")
    assert background == "rgb(253, 236, 234)"  # the page's red (--bad-bg)
    expect(due).to_have_attribute("data-overdue", "false")
    expect(due).to_contain_text("剩余 2 天")
    assert (
        due.locator("td").first.evaluate("td => getComputedStyle(td).backgroundColor") != background
    )
    expect(page.locator("[data-overdue='1']")).to_contain_text("其中逾期 1 件")


def test_csv_export_holds_the_rows_on_screen_in_their_order(
    desktop_page: Page, live: LiveService
) -> None:
    page = desktop_page
    open_dashboard(page, live)
    page.click(".tabs-inline button[data-role='staff']")
    page.click("th[data-column='posterior'] button")
    page.click("th[data-column='posterior'] button")  # highest posterior first
    expect(page.locator("th[data-column='posterior']")).to_have_attribute("aria-sort", "descending")
    shown = page.locator("#ratings-table tbody tr")
    ids = [str(shown.nth(i).get_attribute("data-unit")) for i in range(shown.count())]
    units = {u["unit_id"]: u for u in api(live, "/ratings?role=staff")["units"]}
    assert sorted(ids) == sorted(units) and len(ids) == 6
    assert ids == sorted(ids, key=lambda i: -float(units[i]["posterior_mean_per_million"]))

    with page.expect_download() as download_info:
        page.click(".card:has(#ratings-table) [data-export='csv']")
    download = download_info.value
    raw = Path(download.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = page.locator("#ratings-table thead th").all_inner_texts()
    assert rows[0] == [h.replace("↕", "").replace("▼", "").replace("▲", "").strip() for h in header]
    assert len(rows) == 1 + len(ids)
    for row, unit_id in zip(rows[1:], ids, strict=True):
        unit = units[unit_id]
        assert row[0] == f"{unit['name']} ({unit_id})"
        assert row[1] == "从业人员"
        assert row[2] == (
            "数据不足" if unit["grade"] == "insufficient_data" else f"{unit['grade']} 级"
        )
        assert row[3] == unit["posterior_mean_per_million"]
        assert row[5] == unit["exposure"]


def test_anonymous_visitors_see_public_ratings_but_are_asked_to_sign_in_for_evidence(
    phone_page: Page, live: LiveService
) -> None:
    page = phone_page
    open_dashboard(page, live)
    expect(page.locator("#ratings-table tbody tr")).to_have_count(
        len(api(live, "/ratings")["units"])
    )
    with_volume = [u for u in api(live, "/ratings")["units"] if float(u["exposure"]) > 0]
    expect(page.locator(".funnel .point")).to_have_count(len(with_volume))
    hub = live.identity("sd_hub")["party_id"]
    page.click(f"#ratings-table tr[data-unit='{hub}'] .grade-link")
    expect(page.locator(".equality")).to_have_attribute("data-balanced", "true")

    page.locator("#explanation-table tbody tr a").first.click()
    refusal = page.locator("#drill-body .problem")
    expect(refusal).to_contain_text("请先登录：缺少或无效的凭证。")
    expect(refusal).to_contain_text("unauthorized")
    expect(page.locator("#drill-body")).to_contain_text("需要监管部门登录")

    page.click(".lang-switch button[data-lang='en']")
    expect(refusal).to_contain_text("Please sign in: the credential is missing or not valid.")
    page.click("#tabs a[data-tab='objections']")
    expect(page.locator("#view-objections .problem")).to_contain_text("Please sign in")
    page.click("#tabs a[data-tab='lists']")
    expect(page.locator("#view-lists")).to_contain_text("Nominations are shown to regulators only")
    expect(page.locator("#view-lists")).to_contain_text("The red list is empty")


def test_a_snapshot_taken_from_the_dashboard_extends_every_trend_and_the_funnel_drills_down(
    desktop_page: Page, live: LiveService
) -> None:
    page = desktop_page
    open_dashboard(page, live)
    sign_in(page, live)
    before = api(live, "/ratings/snapshots")["items"][0]
    page.click("#take-snapshot")
    expect(page.locator(".snapshot-card .alert.ok")).to_contain_text("已生成快照", timeout=15000)
    latest = api(live, "/ratings/snapshots")["items"][0]
    assert latest["index"] > before["index"]
    expect(page.locator("#snapshot-picker option")).to_have_count(2)
    expect(page.locator("[data-field='content_hash']")).to_have_text(latest["content_hash"])
    # Each unit's sparkline now has a point per snapshot, the current one ringed.
    expect(
        page.locator("#ratings-table tbody tr").first.locator(".sparkline circle")
    ).to_have_count(2)

    page.click(".tabs-inline button[data-role='staff']")
    staff = api(live, "/ratings?role=staff")["units"]
    points = page.locator(".funnel .point")
    expect(points).to_have_count(len([u for u in staff if float(u["exposure"]) > 0]))
    hub = live.identity("sd_hub")
    point = page.locator(f".funnel .point[data-unit='{hub['party_id']}']")
    point.hover()
    expect(page.locator(".funnel-tip")).to_contain_text(hub["name"])
    point.click()
    expect(page.locator(".unit-card h2")).to_have_text(hub["name"])
    expect(page.locator(".trend-chart circle")).to_have_count(2)

    # The older snapshot, read from its logged content and hashed in the browser.
    page.click("#tabs a[data-tab='ratings']")
    page.select_option("#snapshot-picker", str(before["index"]))
    expect(page.locator(".snapshot-card .check-ok")).to_contain_text("内容哈希一致")
    expect(page.locator("[data-field='content_hash']")).to_have_text(before["content_hash"])


def test_a_regulator_confirms_a_black_list_nomination_and_the_unit_is_listed(
    desktop_page: Page, live: LiveService
) -> None:
    # 300 g vanish while the last-mile courier holds a parcel: a serious fault, so the next
    # snapshot nominates the courier for the black list.
    world = World(
        client=live.app.test_client(), platform=actor(live, "platform"),
        merchant=actor(live, "tea"), courier=actor(live, "sd"), pickup=actor(live, "sd_pick"),
        hub=actor(live, "sd_hub"), last_mile=actor(live, "sd_last"),
        regulator=actor(live, "regulator"),
    )  # fmt: skip
    world.product()
    short_parcel(world, 1)
    assert snapshot(live.app, now()).nominations == 1
    courier = live.identity("sd_last")

    page = desktop_page
    open_dashboard(page, live, "lists")
    sign_in(page, live)
    nomination = page.locator(f".nomination[data-party='{courier['party_id']}']")
    expect(nomination).to_contain_text(courier["name"])
    expect(nomination).to_contain_text("严重失信次数达到提名标准")
    nomination.locator("summary").click()
    nomination.locator("input[value='confirmed']").check()
    nomination.locator("textarea[name='reasons']").fill(
        "派送环节包裹重量减少 300 克，经核查属实，列入失信黑名单。"
    )
    nomination.locator("button[type='submit']").click()
    expect(page.locator(".alert.ok[role='status']")).to_contain_text(
        "决定已记入日志", timeout=15000
    )
    expect(page.locator("#black-table")).to_contain_text(courier["name"])
    expect(page.locator("#view-lists")).to_contain_text("目前没有待决定的黑名单提名")

    listed = api(live, "/lists/black")
    assert [entry["party"] for entry in listed] == [courier["party_id"]]
    envelope = live.app.test_client().get(f"/events/{listed[0]['decision']}").get_json()
    assert envelope["payload"]["outcome"] == "confirmed"
    assert [s["keyid"] for s in envelope["signatures"]] == [live.identity("regulator")["keyid"]]
