"""Printable label sheets: one QR label per serial, self-contained, bounded in size."""

from __future__ import annotations

import pytest

from trace_service.codes.identifiers import InvalidGtin, InvalidLot, InvalidSerial
from trace_service.codes.labels import (
    LABELS_PER_PAGE,
    MAX_LABELS,
    TooManyLabels,
    label_sheet,
    serial_range,
)
from trace_service.errors import ValidationFailed

GTIN = "9506000134352"
BASE = "https://resolver.example"


def _labels(html: str) -> list[str]:
    return html.split('<div class="label">')[1:]


def test_sheet_for_24_serials_has_24_qr_labels() -> None:
    serials = serial_range("0001", 24)
    html = label_sheet(BASE, GTIN, serials=serials, product_name="Longjing tea 250 g")
    labels = _labels(html)
    assert len(labels) == 24
    for serial, label in zip(serials, labels, strict=True):
        assert '<div class="qr"><svg' in label
        assert f"(01)0{GTIN}(21){serial}" in label
        assert "Longjing tea 250 g" in label
        assert '<div class="ean"><svg' in label
    assert html.count('<section class="sheet">') == -(-24 // LABELS_PER_PAGE)


def test_sheet_prints_on_a4_without_external_assets() -> None:
    html = label_sheet(BASE, GTIN, serials=["A1"])
    assert html.startswith("<!doctype html>")
    assert "@page { size: A4" in html
    for external in ("<link", "<script", "src=", "url(", "@import"):
        assert external not in html


def test_product_name_is_escaped() -> None:
    html = label_sheet(BASE, GTIN, serials=["A1"], product_name="<b>Tea & Co</b>")
    assert "&lt;b&gt;Tea &amp; Co&lt;/b&gt;" in html
    assert "<b>" not in html


def test_gtin14_labels_carry_no_ean13() -> None:
    html = label_sheet(BASE, "15901234123454", serials=["A1"])
    assert len(_labels(html)) == 1
    assert 'class="ean"' not in html


def test_lot_sheet_repeats_the_lot_label() -> None:
    html = label_sheet(BASE, GTIN, lot="L/7", copies=3)
    assert len(_labels(html)) == 3
    assert html.count(f"(01)0{GTIN}(10)L/7") == 3


def test_more_than_500_labels_are_refused() -> None:
    with pytest.raises(TooManyLabels) as caught:
        label_sheet(BASE, GTIN, serials=[str(n) for n in range(MAX_LABELS + 1)])
    assert caught.value.code == "too_many_labels"
    assert caught.value.status == 422
    with pytest.raises(TooManyLabels):
        label_sheet(BASE, GTIN, lot="L1", copies=MAX_LABELS + 1)
    with pytest.raises(TooManyLabels):
        serial_range("1", 10**12)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"serials": ["A1"], "lot": "L1"}, ValidationFailed),
        ({}, ValidationFailed),
        ({"serials": ["A1", "A2", "A1"]}, ValidationFailed),
        ({"serials": ["A 1"]}, InvalidSerial),
        ({"lot": "L#1"}, InvalidLot),
    ],
)
def test_bad_label_requests_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        label_sheet(BASE, GTIN, **kwargs)  # type: ignore[arg-type]


def test_bad_gtin_is_refused() -> None:
    with pytest.raises(InvalidGtin):
        label_sheet(BASE, "9506000134353", serials=["A1"])


def test_serial_range_is_zero_padded_to_the_first_serial() -> None:
    assert serial_range("0098", 3) == ["0098", "0099", "0100"]
    assert serial_range("7", 3) == ["7", "8", "9"]


@pytest.mark.parametrize(("first", "count"), [("98", 3), ("A01", 2), ("", 1), ("١", 1)])
def test_serial_range_refuses_overflow_and_non_digits(first: str, count: int) -> None:
    with pytest.raises(InvalidSerial):
        serial_range(first, count)


def test_serial_range_needs_a_positive_count() -> None:
    with pytest.raises(ValidationFailed):
        serial_range("1", 0)
