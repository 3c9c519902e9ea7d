"""No recipient's personal data in anything the public can fetch (DESIGN §7): the full demo is
loaded, every public GET endpoint is crawled with every id the demo produced, and every response
body, header and log line is searched for the demo recipients' names, phones and addresses, and
for the fragments a careless view would show (masked phones, phone digits, street, district).

The secrets are not copied from the demo's source: they are read back from the service's own
encrypted store, as a regulator would read them, so a new demo recipient is searched for too.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.reliability.access_matrix import TABLE, Row
from trace_service.db import new_session
from trace_service.demo import seed_demo
from trace_service.identity.models import Party
from trace_service.ledger.models import LogEntry
from trace_service.lifecycle.models import PersonalData, Product, Subject
from trace_service.lifecycle.personal_data import current_vault
from trace_service.ops.request_log import JsonFormatter
from trace_service.web.assets import served_packages

# Street addresses as Chinese addresses write them: province, city, district, road, number.
ADDRESS = re.compile(
    r"^(?:.+?省)?(?:.+?市)?(?P<district>.+?(?:区|县))?(?P<road>.+?(?:路|街|道|巷|弄))?"
    r"(?P<number>\d+号)?(?P<rest>.*)$"
)


def demo_recipients(app: Flask) -> list[dict[str, str]]:
    """Every stored recipient, decrypted with the service's key (as a regulator's read would)."""
    with app.app_context():
        session = new_session(app)
        try:
            vault = current_vault()
            rows = session.scalars(select(PersonalData).order_by(PersonalData.parcel))
            return [vault.open(r.parcel, r.nonce, r.ciphertext)["recipient"] for r in rows]
        finally:
            session.close()


def secret_patterns(recipient: dict[str, str]) -> dict[str, re.Pattern[str]]:
    """What must never appear, by label: the values and the fragments that identify a person.
    The city is not among them: a consumer may see it (DESIGN §7)."""
    name, phone, address = recipient["name"], recipient["phone"], recipient["address"]
    literals = {
        f"name {name}": name,
        f"masked name {name[0]}*": name[0] + "*",
        f"masked name {name[0]}某": name[0] + "某",
        f"address {address}": address,
    }
    parts = ADDRESS.match(address)
    assert parts and parts["district"] and parts["road"] and parts["number"], address
    literals |= {
        f"district {parts['district']}": parts["district"],
        f"road {parts['road']}": parts["road"],
        f"street {parts['road']}{parts['number']}": parts["road"] + parts["number"],
        f"address below the city {address}": address[address.index(parts["district"]) :],
    }
    patterns = {label: re.compile(re.escape(text)) for label, text in literals.items()}
    digits = re.sub(r"\D", "", phone)
    head, middle, tail = digits[:3], digits[3:7], digits[7:]
    # Phone digits count only where they stand alone, not inside a hash or a signature.
    alone = r"(?<![0-9A-Za-z+/]){}(?![0-9A-Za-z+/])"
    patterns |= {
        f"phone {phone}": re.compile(re.escape(digits)),
        f"phone {head} {middle} {tail}": re.compile(rf"{head}[\s.-]?{middle}[\s.-]?{tail}"),
        f"masked phone {head}****{tail}": re.compile(rf"{head}[*xX•·＊]{{3,5}}{tail}"),
        f"phone digits {digits[:8]}": re.compile(alone.format(digits[:8])),
        f"phone digits {digits[-8:]}": re.compile(alone.format(digits[-8:])),
    }
    return patterns


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def readings(data: bytes) -> list[str]:
    """The ways a client could read these bytes: as text, with JSON and HTML escapes and
    percent-encoding undone, base64 tokens decoded, and barcodes in an image decoded."""
    text = data.decode("utf-8", errors="replace")
    out = [text, _UNICODE_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text), html.unescape(text)]
    out.append(unquote(text))
    decoded = []
    for token in _BASE64.findall(text):
        padded = token.rstrip("=") + "=" * (-len(token.rstrip("=")) % 4)
        urlsafe = "-" in token or "_" in token
        try:
            raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)
        except (binascii.Error, ValueError):
            continue
        decoded.append(raw.decode("utf-8", errors="ignore"))
    out.append("\n".join(decoded))
    if data.startswith(b"\x89PNG"):
        import zxingcpp
        from PIL import Image

        out += [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]
    return out


@dataclass
class Scan:
    """Searches everything it is given and remembers what it found where."""

    patterns: dict[str, re.Pattern[str]]
    hits: list[str] = field(default_factory=list)
    responses: int = 0
    log_lines: int = 0

    def search(self, where: str, data: bytes) -> None:
        texts = readings(data)
        for label, pattern in self.patterns.items():
            if any(pattern.search(text) for text in texts):
                self.hits.append(f"{label} in {where}")

    def response(self, where: str, response: Any) -> None:
        self.responses += 1
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.search(f"{where} (headers)", headers.encode())
        self.search(where, response.get_data())


def all_patterns(app: Flask) -> dict[str, re.Pattern[str]]:
    recipients = demo_recipients(app)
    assert len(recipients) == 4, "the demo dispatches four parcels, each with its recipient"
    return {label: p for r in recipients for label, p in secret_patterns(r).items()}


# --- the crawl ------------------------------------------------------------------------------------


def demo_urls(
    app: Flask, client: FlaskClient, items: list[str]
) -> Iterator[tuple[str, dict[str, str]]]:
    """Every GET the public could make about what the demo produced, with the Accept header."""
    as_json, as_html = {"Accept": "application/json"}, {"Accept": "text/html"}
    with app.app_context():
        session = new_session(app)
        try:
            subjects = list(session.execute(select(Subject.id, Subject.kind)))
            parties = list(session.scalars(select(Party.id)))
            entries = list(
                session.execute(select(LogEntry.idx, LogEntry.hash).order_by(LogEntry.idx))
            )
            gtins = list(session.scalars(select(Product.gtin)))
        finally:
            session.close()
    size = len(entries)
    for page in ("/", "/merchant", "/courier", "/regulator", "/docs/", "/docs/swagger-ui.css",
                 "/openapi.json", "/healthz", "/readyz", "/metrics", "/checkpoint", "/log/key",
                 "/log/keys", "/ratings", "/ratings?role=staff", "/ratings/method",
                 "/ratings/snapshots", "/lists/red", "/lists/black", "/exchange/credit.json",
                 "/exchange/credit.csv", "/cases", "/lists/nominations"):  # fmt: skip
        yield page, {}
    static = Path(app.static_folder or "")
    for path in sorted(static.rglob("*")):
        if path.is_file():
            yield f"/static/{path.relative_to(static).as_posix()}", {}
    for package in sorted(served_packages()):
        yield f"/vendor/{package}/package.json", {}
    for index, digest in entries:
        yield f"/log/entries/{index}", {}
        yield f"/log/inclusion?index={index}&size={size}", {}
        yield f"/log/consistency?first={index + 1}&second={size}", {}
        yield f"/events/{digest}", {}
    for party in parties:
        for suffix in ("", "/keys", "/credit"):
            yield f"/parties/{party}{suffix}", {}
        yield f"/ratings/units/{party}", {}
        yield f"/ratings/units/{party}/explanation", {}
        yield f"/admission/{party}", {}
        yield f"/ratings?company={party}", {}
    for gtin in gtins:
        serials = [s.rsplit("/", 1)[1] for s in items if s.startswith(f"01/{gtin}/")]
        yield f"/products/{gtin}", {}
        yield f"/codes/barcode/ean13/{gtin[1:]}.png", {}
        yield f"/codes/barcode/ean13/{gtin[1:]}.svg", {}
        yield f"/codes/labels?gtin={gtin}&serials={','.join(serials) or 'A1'}", {}
        yield f"/01/{gtin}/10/NO-SUCH-LOT", as_json  # the demo lists no lot
    for subject, kind in subjects:
        if kind == "item":
            yield f"/{subject}", as_json
            yield f"/{subject}?format=application/json", as_html
            yield f"/{subject}", as_html
            yield f"/epcis/items/{subject}", {}
            yield f"/codes/qr/{subject}.png", {}
            yield f"/codes/qr/{subject}.svg", {}
        if kind == "parcel":
            yield f"/epcis/parcels/{subject}", {}
            if subject.startswith("00/"):
                yield f"/{subject}", as_json
            yield f"/parcels/{subject}/recipient?purpose=crawl", {}
            yield f"/parcels/{subject}/recipient/reads", {}
        if kind in ("item", "parcel"):
            yield f"/codes/barcode/gs1-128/{subject}.png", {}
            yield f"/codes/barcode/gs1-128/{subject}.svg", {}
            yield f"/codes/parse?text={subject}", {}
        if kind == "case":
            yield f"/cases/{subject.removeprefix('case/')}", {}
    for uri in items:
        yield f"/codes/parse?text={uri}", {}
    for snapshot in client.get("/ratings/snapshots?page_size=500").get_json()["items"]:
        index = snapshot["index"]
        yield f"/ratings/snapshots/{index}", {}
        yield f"/ratings/snapshots/{index}/content", {}
        yield f"/exchange/credit.json?snapshot={index}", {}
        yield f"/exchange/credit.csv?snapshot={index}", {}


def epcis_pages(client: FlaskClient, start: str, end: str) -> Iterator[tuple[str, Any]]:
    """The EPCIS event export page by page, following `Link: rel="next"`."""
    url: str | None = f"/epcis/events?from={start}&to={end}&perPage=7"
    while url:
        response = client.get(url)
        yield url, response
        link = re.match(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
        url = link[1] if link else None


def public_get_rules() -> set[str]:
    """GET endpoints the access table opens to anyone."""
    return {
        rule
        for (method, rule), row in TABLE.items()
        if method == "GET" and isinstance(row, Row) and row.expect["anonymous"].allowed
    }


@pytest.mark.slow
def test_no_public_response_or_log_line_holds_personal_data(
    app: Flask, client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    root, service = logging.getLogger(), logging.getLogger("trace_service")
    levels = root.level, service.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    service.setLevel(logging.DEBUG)  # the quiet probe lines too
    try:
        base = app.config["RESOLVER_BASE_URL"]
        items = [uri.removeprefix(base + "/") for uri in seed_demo(app)]
        scan = Scan(all_patterns(app))
        adapter = app.url_map.bind("localhost")
        answered: dict[str, set[int]] = {}
        crawl = [
            (url, client.get(url, headers=headers))
            for url, headers in demo_urls(app, client, items)
        ]
        crawl += list(epcis_pages(client, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"))
        for url, response in crawl:
            rule, _ = adapter.match(urlsplit(url).path, method="GET", return_rule=True)
            answered.setdefault(rule.rule, set()).add(response.status_code)
            assert response.status_code < 500, (url, response.status_code)
            scan.response(url, response)
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        service.setLevel(levels[1])
    captured = capsys.readouterr()
    log_text = lines.getvalue() + captured.err + captured.out
    scan.log_lines = log_text.count("\n")
    scan.search("the service's log", log_text.encode())
    figures = {
        "responses": scan.responses,
        "endpoints": len(answered),
        "log_lines": scan.log_lines,
        "patterns": len(scan.patterns),
        "hits": len(scan.hits),
        "seconds": round(time.perf_counter() - started, 2),
    }
    with capsys.disabled():  # the figures go to the terminal (pytest -s), not the scan
        print("personal data exposure:", json.dumps(figures))
    assert not scan.hits, "personal data exposed:\n" + "\n".join(sorted(set(scan.hits)))

    # The crawl reached every GET endpoint, and every public one answered with demo data.
    served = {r.rule for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}
    assert served <= set(answered), f"never crawled: {served - set(answered)}"
    no_lot = "/01/<gtin>/10/<path:lot>"  # the demo lists no lot: probed, answered 404
    empty = {
        r for r in public_get_rules() - {no_lot} if not any(200 <= s < 300 for s in answered[r])
    }
    assert not empty, f"public endpoints that never answered 2xx: {empty}"
    assert scan.log_lines > len(crawl) / 2, "the request log was captured"


def test_the_scan_finds_personal_data_however_it_is_written() -> None:
    """The search would see a leak in any of the forms a response could carry it."""
    from urllib.parse import quote

    import qrcode

    person = {"name": "欧阳娜", "phone": "13912345678", "address": "上海市徐汇区漕溪北路88号3楼"}
    scan = Scan(secret_patterns(person))
    qr = io.BytesIO()
    qrcode.make("送至 漕溪北路88号").save(qr)
    leaks = {
        "json": json.dumps({"to": "欧阳娜"}).encode(),  # \u-escaped
        "url": f"urn:x:location:{quote('漕溪北路')}".encode(),
        "html": b"<p>&#27431;&#38451;&#23068;</p>",
        "base64": base64.b64encode("电话 13912345678".encode()),
        "masked": "收件人 欧* 139****5678".encode(),
        "spaced": b"tel 139 1234 5678",
        "digits": "尾号 12345678".encode(),
        "district": "徐汇区".encode(),
        "qr": qr.getvalue(),
    }
    for where, data in leaks.items():
        scan.search(where, data)
    assert {hit.rsplit(" in ", 1)[1] for hit in scan.hits} == set(leaks)
    clean = Scan(secret_patterns(person))
    digest = "ab" + "13912345" + "c0ffee" * 9  # phone digits inside a hash are not a phone
    clean.search("clean", f"上海 {digest} 徐汇菜鸟驿站 2026-11-26T13:91:23Z".encode())
    assert clean.hits == []
