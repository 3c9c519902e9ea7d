"""The codes HTTP API: images with long-lived caching, label sheets, parsing, problem responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import zxingcpp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Decode = Callable[[bytes], zxingcpp.Barcode]
GTIN = "09506000134352"
SSCC = "106141412345678908"


def assert_problem(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == code
    assert response.json["status"] == status
    return dict(response.json)


def test_qr_png_carries_the_configured_digital_link(
    client: FlaskClient, decode_png: Decode, resolver: str
) -> None:
    response = client.get(f"/codes/qr/01/{GTIN}/21/A%2FB%251.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert decode_png(response.data).text == f"{resolver}/01/{GTIN}/21/A%2FB%251"


def test_qr_etag_answers_conditional_requests(client: FlaskClient) -> None:
    first = client.get(f"/codes/qr/00/{SSCC}.svg")
    assert first.mimetype == "image/svg+xml"
    assert first.data.startswith(b"<svg")
    etag = first.headers["ETag"]
    again = client.get(f"/codes/qr/00/{SSCC}.svg", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_qr_refuses_a_gtin13_subject_and_names_the_gtin14(client: FlaskClient) -> None:
    # A subject path is Digital Link path info: the GTIN is written with 14 digits there.
    body = assert_problem(
        client.get("/codes/qr/01/9506000134352/10/L1.png"), 422, "invalid_subject"
    )
    assert f"01/{GTIN}" in body["detail"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/codes/qr/01/09506000134353/21/S1.png", "invalid_gtin"),
        (f"/codes/qr/01/{GTIN}/21/S%201.png", "invalid_serial"),
        (f"/codes/qr/01/{GTIN}/10/L%23.svg", "invalid_lot"),
        ("/codes/qr/00/106141412345678909.svg", "invalid_sscc"),
        (f"/codes/qr/01/{GTIN}.png", "invalid_subject"),
        ("/codes/qr/hello.png", "invalid_subject"),
    ],
)
def test_qr_rejects_bad_subjects(client: FlaskClient, path: str, code: str) -> None:
    assert_problem(client.get(path), 422, code)


def test_qr_of_an_unknown_image_format_is_not_found(client: FlaskClient) -> None:
    assert_problem(client.get(f"/codes/qr/01/{GTIN}/21/S1.gif"), 404, "not_found")


def test_ean13_barcode(client: FlaskClient, decode_png: Decode) -> None:
    response = client.get("/codes/barcode/ean13/5901234123457.png")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert decode_png(response.data).text == "5901234123457"
    assert client.get("/codes/barcode/ean13/5901234123457.svg").mimetype == "image/svg+xml"


@pytest.mark.parametrize(
    ("value", "data"),
    [
        (f"(00){SSCC}", f"00{SSCC}"),
        (f"00/{SSCC}", f"00{SSCC}"),
        (f"(01){GTIN}(21)A%2FB", f"01{GTIN}21A/B"),
        (f"01/{GTIN}/21/A%2FB", f"01{GTIN}21A/B"),
    ],
)
def test_gs1_128_barcode(client: FlaskClient, decode_png: Decode, value: str, data: str) -> None:
    response = client.get(f"/codes/barcode/gs1-128/{value}.png")
    assert response.status_code == 200
    assert decode_png(response.data).bytes == data.encode()


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/codes/barcode/ean13/5901234123458.png", 422, "invalid_gtin"),
        ("/codes/barcode/ean13/15901234123454.svg", 422, "not_ean13"),
        ("/codes/barcode/gs1-128/(00)106141412345678909.png", 422, "invalid_sscc"),
        ("/codes/barcode/gs1-128/nonsense.png", 422, "invalid_subject"),
        ("/codes/barcode/qr/5901234123457.png", 404, "not_found"),
    ],
)
def test_barcode_rejects_bad_input(client: FlaskClient, path: str, status: int, code: str) -> None:
    assert_problem(client.get(path), status, code)


def test_label_sheet_for_a_serial_range(client: FlaskClient) -> None:
    response = client.get(
        "/codes/labels",
        query_string={"gtin": GTIN, "serial_from": "0001", "count": 24, "name": "Tea"},
    )
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.count('<div class="label">') == 24
    assert html.count('<div class="qr"><svg') == 24
    assert f"(01){GTIN}(21)0024" in html


def test_label_sheet_for_listed_serials_and_for_a_lot(client: FlaskClient) -> None:
    listed = client.get(f"/codes/labels?gtin={GTIN}&serials=A1,A2,A%2F3")
    assert listed.get_data(as_text=True).count('<div class="label">') == 3
    assert f"(01){GTIN}(21)A/3" in listed.get_data(as_text=True)
    lot = client.get(f"/codes/labels?gtin={GTIN}&lot=L1&count=2")
    assert lot.get_data(as_text=True).count('<div class="label">') == 2


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"gtin": GTIN, "serial_from": "1", "count": 501}, "too_many_labels"),
        ({"gtin": GTIN, "serials": ",".join(f"S{n}" for n in range(501))}, "too_many_labels"),
        ({"gtin": "09506000134353", "serials": "A1"}, "invalid_gtin"),
        ({"gtin": GTIN, "serials": "A 1"}, "invalid_serial"),
        ({"gtin": GTIN, "serial_from": "99", "count": 2}, "invalid_serial"),
        ({"gtin": GTIN}, "validation_failed"),
        ({"gtin": GTIN, "serials": "A1", "lot": "L1"}, "validation_failed"),
        ({"gtin": GTIN, "serial_from": "1"}, "validation_failed"),
        ({"gtin": GTIN, "serial_from": "1", "count": "many"}, "validation_failed"),
        ({"gtin": GTIN, "serials": "A1,A1"}, "validation_failed"),
    ],
)
def test_label_sheet_rejects_bad_requests(
    client: FlaskClient, query: dict[str, object], code: str
) -> None:
    assert_problem(client.get("/codes/labels", query_string=query), 422, code)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"(01){GTIN}(21)A/B%1",
            {"kind": "item", "gtin": GTIN, "serial": "A/B%1", "lot": None, "sscc": None,
             "subject": f"01/{GTIN}/21/A%2FB%251"},
        ),
        (
            f"https://id.gs1.org/01/{GTIN}/10/L1?linkType=all",
            {"kind": "lot", "gtin": GTIN, "serial": None, "lot": "L1", "sscc": None,
             "subject": f"01/{GTIN}/10/L1"},
        ),
        (
            f"]C100{SSCC}",
            {"kind": "parcel", "gtin": None, "serial": None, "lot": None, "sscc": SSCC,
             "subject": f"00/{SSCC}"},
        ),
    ],
)  # fmt: skip
def test_parse_normalises_scanned_text(
    client: FlaskClient, resolver: str, text: str, expected: dict[str, str | None]
) -> None:
    response = client.get("/codes/parse", query_string={"text": text})
    assert response.status_code == 200
    body = dict(response.json)
    assert [e["ai"] for e in body.pop("elements")][:1] == [expected["subject"][:2]]
    assert body == {**expected, "uri": f"{resolver}/{expected['subject']}"}


def test_parse_lists_every_element_with_its_title(client: FlaskClient) -> None:
    text = f"https://example.com/01/{GTIN}/10/L1/21/S1?17=271231&linkType=all"
    body = client.get("/codes/parse", query_string={"text": text}).json
    assert body["subject"] == f"01/{GTIN}/21/S1"
    assert body["elements"] == [
        {"ai": "01", "title": "GTIN", "value": GTIN},
        {"ai": "10", "title": "BATCH/LOT", "value": "L1"},
        {"ai": "21", "title": "SERIAL", "value": "S1"},
        {"ai": "17", "title": "USE BY or EXPIRY", "value": "271231"},
    ]


def test_a_syntax_fault_names_its_position(client: FlaskClient) -> None:
    text = f"(01){GTIN}(21)A B"
    body = assert_problem(
        client.get("/codes/parse", query_string={"text": text}), 422, "invalid_serial"
    )
    assert (body["position"], body["ai"]) == (text.index(" ") + 1, "21")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"text": f"01{GTIN[:-1]}3" + "21S1"}, "invalid_gtin"),
        ({"text": GTIN}, "invalid_subject"),
        ({"text": "hello"}, "invalid_subject"),
        ({"text": f"https://a/01/{GTIN}/21/S1?17=201332"}, "invalid_subject"),
        ({"text": "https://a/414/9506000134352"}, "unsupported_subject"),
        ({"text": ""}, "validation_failed"),
        ({}, "validation_failed"),
    ],
)
def test_parse_rejects_bad_text(client: FlaskClient, query: dict[str, str], code: str) -> None:
    assert_problem(client.get("/codes/parse", query_string=query), 422, code)


def test_openapi_documents_image_content_types(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").json["paths"]
    qr = paths["/codes/qr/{subject}.{fmt}"]["get"]["responses"]
    assert set(qr["200"]["content"]) == {"image/png", "image/svg+xml"}
    assert "application/problem+json" in qr["422"]["content"]
    barcode = paths["/codes/barcode/{kind}/{value}.{fmt}"]["get"]["responses"]
    assert set(barcode["200"]["content"]) == {"image/png", "image/svg+xml"}
    labels = paths["/codes/labels"]["get"]["responses"]
    assert set(labels["200"]["content"]) == {"text/html"}
    assert "/codes/parse" in paths
