"""The browser's code parser (static/js/core/code_parser.js), run in Chromium: it must name the same
subject as the service's own parser (GET /codes/parse) for every way a code
reaches a scan page, and refuse what the service refuses, saying which check digit was expected.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from playwright.sync_api import Page

from tests.web.conftest import LiveService
from trace_service.codes.digital_link import SubjectRef
from trace_service.codes.render import qr_code

GS = "\x1d"
LISTED_GTIN = "01/06901234500035"
# What phones, scanners and people produce: Digital Link URIs on any host (with a resolver's
# own path before the key, a lot before the serial, a "/" inside a serial, a query string),
# element strings, raw GS1-128/DataMatrix data with FNC1 as GS and a symbology prefix, bare
# SSCCs; then codes with faults.
CASES = [
    "https://id.gs1.org/01/06901234500035/21/YN-0002",
    "http://shop.example.cn/resolver/v1/01/06901234500035/21/YN-0002?linkType=gs1:pip",
    "https://example.org/01/09506000134352/10/LOT-7/21/A%2FB",
    "/01/06901234500035/21/SN%2D1",
    "(01)06901234500035(21)YN-0002",
    "(01)09506000134352(17)271231(10)L1(21)X-1",
    "(00)069012340000000047",
    "]C1" + "0106901234500035" + "10LOT1" + GS + "21SN-9",
    "]d2" + "01069012345000351727123121ABC" + GS + "10L2",
    "010690123450003521" + "ZZ99",
    "069012340000000047",
    "00069012340000000047",
    # Faults: wrong check digits, a GTIN alone, an unsupported key, nothing GS1, a bad serial.
    "(01)06901234500033(21)X",
    "https://id.gs1.org/01/06901234500034/21/YN-0002",
    "069012340000000046",
    "(00)069012340000000041",
    "https://id.gs1.org/01/06901234500035",
    "(01)06901234500035(22)V1(21)X",
    "hello world",
    "(01)06901234500035(21)批号",
    "/01/6901234500035/21/SN%2D1",  # a GTIN-13 in a Digital Link path: write 14 digits
]

PARSE_ALL = """async (cases) => {
  const { parseScan } = await import("/static/js/core/code_parser.js");
  const { scanErrorMessage } = await import("/static/js/core/scan_error.js");
  return cases.map((text) => {
    try {
      const r = parseScan(text);
      return { kind: r.kind, subject: r.subject ?? null };
    } catch (error) {
      return { error: error.messageKey, message: scanErrorMessage(error) };
    }
  });
}"""


def server_parse(live: LiveService, text: str) -> dict[str, Any]:
    response = live.app.test_client().get("/codes/parse", query_string={"text": text})
    body: dict[str, Any] = response.get_json()
    return body


def test_browser_parser_agrees_with_the_service_on_every_way_a_code_arrives(
    desktop_page: Page, live: LiveService
) -> None:
    desktop_page.goto(f"{live.url}/merchant")
    results = desktop_page.evaluate(PARSE_ALL, CASES)
    accepted = 0
    for text, browser in zip(CASES, results, strict=True):
        server = server_parse(live, text)
        if "subject" in server:
            assert browser.get("subject") == server["subject"], (text, browser, server)
            assert browser["kind"] == server["kind"], (text, browser, server)
            accepted += 1
        else:
            # The service refuses it; the browser must too (a GTIN alone asks for a serial).
            assert browser.get("kind") == "product" or "error" in browser, (text, browser, server)
    assert accepted == 12, results


def test_bad_check_digits_and_wrong_kinds_are_explained_in_both_languages(
    desktop_page: Page, live: LiveService
) -> None:
    desktop_page.goto(f"{live.url}/merchant")
    explain = """async ([text, options, lang]) => {
      localStorage.setItem("trace_service.lang", lang);
      const { parseScan } = await import("/static/js/core/code_parser.js");
      const { scanErrorMessage } = await import("/static/js/core/scan_error.js");
      try { return parseScan(text, options).subject; } catch (e) { return scanErrorMessage(e); }
    }"""

    def say(text: str, options: dict[str, Any] | None = None, lang: str = "zh-CN") -> str:
        result: str = desktop_page.evaluate(explain, [text, options or {}, lang])
        return result

    assert say("(01)06901234500033(21)X") == (
        "商品条码 06901234500033 的校验位是 3，正确应为 5。请核对条码是否输错或印错。"
    )
    assert "check digit 3, but it should be 5" in say("06901234500033", lang="en")
    assert "校验位是 6，正确应为 7" in say("069012340000000046")
    assert (
        say("069012340000000047", {"expect": "item"}) == "这是包裹码，请扫描商品上的二维码或条码。"
    )
    assert say("(01)06901234500035(21)A", {"expect": "parcel"}, "en").startswith(
        "This is a product code"
    )
    assert "第 1 个字符“批”" in say("(01)06901234500035(21)批号")
    # A parcel field with a courier company: a bare number is that company's waybill.
    assert say("SF1234567890", {"expect": "parcel", "courier": "cor-1"}) == "wb/cor-1/SF1234567890"
    assert say("069012340000000047", {"expect": "parcel", "courier": "cor-1"}) == (
        "00/069012340000000047"
    )
    # The serial is percent-encoded as the service spells subjects (RFC 3986 unreserved only).
    serial = "A!'()*B"
    assert (
        say(f"(01)06901234500035(21){serial}") == f"01/06901234500035/21/{quote(serial, safe='')}"
    )


DECODE_PICTURES = """async (pictures) => {
  const { decodeImageFile } = await import("/static/js/core/barcode_decoder.js");
  const read = [];
  for (const encoded of pictures) {
    const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
    const picture = new Blob([bytes], { type: "image/png" });
    read.push(await decodeImageFile(picture).catch((error) => error.messageKey));
  }
  return read;
}"""


def test_labels_the_service_prints_are_read_from_a_picture(
    desktop_page: Page, live: LiveService
) -> None:
    # ZXing's finder search misses some clean symbols upright (these resolver hosts give such
    # symbols for this parcel); the reader turns the picture until it reads.
    parcel = SubjectRef.for_parcel("069012340000000047")
    labels = [(f"http://127.0.0.1:{port}", parcel) for port in (40011, 40012, 40041, 40094, 40110)]
    labels += [(live.url, SubjectRef.for_item("06901234500035", f"YN-{n:04d}")) for n in range(20)]
    pictures = [base64.b64encode(qr_code(base, ref, "png")).decode() for base, ref in labels]
    desktop_page.goto(f"{live.url}/merchant")
    assert desktop_page.evaluate(DECODE_PICTURES, pictures) == [ref.uri(b) for b, ref in labels]
