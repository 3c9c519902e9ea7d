"""GS1 Digital Link subjects: canonical spelling, round trips and every accepted input form."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace_service.codes.digital_link import (
    InvalidSubject,
    SubjectRef,
    digital_link_uri,
    item_subject,
    lot_subject,
    parse_route_subject,
    parse_subject,
    sscc_subject,
)
from trace_service.codes.identifiers import InvalidGtin, InvalidLot, InvalidSerial, InvalidSscc
from trace_service.errors import DomainError

GTIN = "09506000134352"
SSCC = "106141412345678908"
BASE = "https://resolver.example"
GS = "\x1d"

SERIALS = ["ABC", "A/B%1", "0001", "!\"%&'()*+,-./:;<=>?_", "x%2Fy", "a.b-c_d"]


def test_subject_builders() -> None:
    assert item_subject(GTIN, "A/B%1") == "01/09506000134352/21/A%2FB%251"
    assert item_subject("9506000134352", "S1") == "01/09506000134352/21/S1"
    assert lot_subject(GTIN, "L-1") == "01/09506000134352/10/L-1"
    assert lot_subject(GTIN, "L/1") == "01/09506000134352/10/L%2F1"
    assert sscc_subject(SSCC) == "00/106141412345678908"


def test_builders_validate_their_parts() -> None:
    with pytest.raises(InvalidGtin):
        item_subject("09506000134353", "S1")
    with pytest.raises(InvalidSerial):
        item_subject(GTIN, "S 1")
    with pytest.raises(InvalidLot):
        lot_subject(GTIN, "")
    with pytest.raises(InvalidSscc):
        sscc_subject("106141412345678909")


def test_digital_link_uri_joins_base_and_subject() -> None:
    assert digital_link_uri(BASE, "01/09506000134352/21/S1") == f"{BASE}/01/09506000134352/21/S1"


@pytest.mark.parametrize("serial", SERIALS)
def test_item_round_trips_through_every_spelling(serial: str) -> None:
    subject = item_subject(GTIN, serial)
    uri = digital_link_uri(BASE, subject)
    for text in (
        subject,
        "/" + subject,
        uri,
        f"http://other.host/any/prefix/{subject}?linkType=all",
    ):
        ref = parse_subject(text)
        assert (ref.kind, ref.gtin, ref.serial) == ("item", GTIN, serial)
        assert ref.subject == subject
        assert ref.uri(BASE) == uri


# Brackets inside a value make the human-readable form ambiguous, so those serials are left out.
@pytest.mark.parametrize("serial", [s for s in SERIALS if "(" not in s])
def test_element_string_round_trip(serial: str) -> None:
    ref = SubjectRef.for_item(GTIN, serial)
    assert ref.element_string == f"(01){GTIN}(21){serial}"
    assert parse_subject(ref.element_string) == ref


@pytest.mark.parametrize("serial", SERIALS)
def test_route_subject_is_read_already_decoded(serial: str) -> None:
    # A router hands over "A/B%1" for the request path ".../21/A%2FB%251".
    ref = parse_route_subject(f"01/{GTIN}/21/{serial}")
    assert ref.serial == serial


def test_lot_and_parcel_round_trip() -> None:
    lot = parse_subject(digital_link_uri(BASE, lot_subject(GTIN, "L/7")))
    assert (lot.kind, lot.gtin, lot.lot, lot.serial) == ("lot", GTIN, "L/7", None)
    parcel = parse_subject(digital_link_uri(BASE, sscc_subject(SSCC)))
    assert (parcel.kind, parcel.sscc, parcel.subject) == ("parcel", SSCC, "00/" + SSCC)
    assert parse_route_subject("00/" + SSCC) == parcel
    assert parse_route_subject(f"01/{GTIN}/10/L/7") == lot


def test_gtin13_in_a_uri_path_is_refused_with_its_gtin14() -> None:
    # GS1 Digital Link 1.x writes GTINs with 14 digits; GS1's engine refuses shorter ones.
    with pytest.raises(InvalidSubject, match=f"/01/{GTIN}"):
        parse_subject("https://id.gs1.org/01/9506000134352/21/S1")
    assert parse_subject(f"https://a/00/{SSCC}?01=9506000134352").subject == f"00/{SSCC}"


def test_lowercase_percent_escapes_have_one_canonical_spelling() -> None:
    assert parse_subject(f"01/{GTIN}/21/A%2fB").subject == f"01/{GTIN}/21/A%2FB"


def test_item_with_lot_keeps_the_lot_but_is_keyed_by_serial() -> None:
    ref = parse_subject(f"{BASE}/01/{GTIN}/10/L1/21/S1")
    assert (ref.kind, ref.lot, ref.serial) == ("item", "L1", "S1")
    assert ref.subject == f"01/{GTIN}/21/S1"
    assert ref.element_string == f"(01){GTIN}(10)L1(21)S1"


@pytest.mark.parametrize(
    ("scanned", "subject"),
    [
        # GS1 DataMatrix with symbology identifier, expiry (17) and a GS separator after the lot
        (f"]d201{GTIN}1727123110LOT1{GS}21S1", f"01/{GTIN}/21/S1"),
        (f"01{GTIN}21ABC", f"01/{GTIN}/21/ABC"),
        (f"]C100{SSCC}", f"00/{SSCC}"),
        (f"(00){SSCC}", f"00/{SSCC}"),
        (f"(01){GTIN}(10)L1", f"01/{GTIN}/10/L1"),
        (SSCC, f"00/{SSCC}"),
        # A logistic label may carry the unit's GTIN too; the SSCC names the parcel.
        (f"(00){SSCC}(01){GTIN}", f"00/{SSCC}"),
    ],
)
def test_scanned_and_element_string_input(scanned: str, subject: str) -> None:
    assert parse_subject(scanned).subject == subject


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("01/09506000134353/21/S1", InvalidGtin),
        ("(01)09506000134353(21)S1", InvalidGtin),
        (f"01/{GTIN}/21/S%201", InvalidSerial),
        (f"01/{GTIN}/21/" + "x" * 21, InvalidSerial),
        (f"01/{GTIN}/10/L%23", InvalidLot),
        ("00/106141412345678909", InvalidSscc),
        ("", InvalidSubject),
        ("hello", InvalidSubject),
        (GTIN, InvalidSubject),  # a GTIN alone names a product, not an item
        (f"01/{GTIN}", InvalidSubject),
        (f"(01){GTIN}", InvalidSubject),
        (f"01/{GTIN}/21/A/B", InvalidSubject),  # "/" inside a value must be %2F
        (f"01/{GTIN}/21/S1/10/L1", InvalidSubject),  # Digital Link order is 10 then 21
        (f"01/{GTIN}/22/V1/21/S1", InvalidSubject),
        (f"(01){GTIN}(22)V1(21)S1", InvalidSubject),
        (f"(01){GTIN}(21)S1(21)S2", InvalidSubject),
        (f"01/{GTIN}/21/%FF", InvalidSubject),
        (f"ftp://host/01/{GTIN}/21/S1", InvalidSubject),
        ("(99)anything", InvalidSubject),
        ("]", InvalidSubject),
        ("http://[broken/01/x", InvalidSubject),
    ],
)
def test_invalid_input_raises_the_precise_error(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_subject(text)


@pytest.mark.parametrize(
    "path",
    [f"https://x/01/{GTIN}/21/S1", f"01/{GTIN}/22/V1", f"01/{GTIN}", "02/1", f"01/{GTIN}/21/"],
)
def test_route_subject_accepts_only_canonical_shapes(path: str) -> None:
    with pytest.raises((InvalidSubject, InvalidSerial)):
        parse_route_subject(path)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "item", "gtin": "9506000134352", "serial": "S1"},  # not GTIN-14
        {"kind": "item", "gtin": GTIN},
        {"kind": "lot", "gtin": GTIN, "lot": "L1", "serial": "S1"},
        {"kind": "parcel", "sscc": SSCC, "gtin": GTIN},
        {"kind": "parcel", "sscc": "106141412345678909"},
        {"kind": "item", "gtin": GTIN, "serial": "S 1"},
        {"kind": "pallet", "sscc": SSCC},
    ],
)
def test_subject_refs_are_valid_by_construction(fields: dict[str, str]) -> None:
    with pytest.raises((InvalidSubject, InvalidSerial, InvalidSscc)):
        SubjectRef(**fields)  # type: ignore[arg-type]


_GS1_LIKE = st.text(alphabet="0123456789()/%]:dC1x\x1d?#[ABhtps.", max_size=40)
_PREFIXES = st.sampled_from(["", f"(01){GTIN}", f"01/{GTIN}/", "]d2", "]C1", "http://h/", "00/"])


@settings(max_examples=300, deadline=None)
@given(prefix=_PREFIXES, rest=st.one_of(_GS1_LIKE, st.text(max_size=30)))
def test_any_text_parses_or_raises_a_domain_error(prefix: str, rest: str) -> None:
    # Anything else would surface as a 500 from /codes/parse or the image routes.
    for parse in (parse_subject, parse_route_subject):
        with contextlib.suppress(DomainError):
            parse(prefix + rest)
