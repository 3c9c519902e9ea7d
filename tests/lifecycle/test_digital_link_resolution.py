"""The resolver reads every Digital Link as /codes/parse does: the GS1 corpus, and a real item
reached through a Digital Link form that is not its canonical one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.codes.gs1_corpus import CASES
from tests.lifecycle.flow import GTIN, build_world, full_journey

JSON = {"Accept": "application/json"}


def _resolver_verdict(client: FlaskClient, case_text: str) -> str:
    # What the client sends: path and query, never the fragment.
    parts = urlsplit(case_text.split("#", 1)[0])
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.get(target, headers=JSON)
    if response.status_code == 301:
        location = response.headers["Location"]
        return location.removeprefix("/").split("?", 1)[0]
    body: dict[str, Any] = response.get_json(silent=True) or {}
    if response.status_code == 200:  # a parcel's links
        return str(body["subject"])
    if response.status_code == 404 and body.get("code") in ("unknown_product", "unknown_subject"):
        return target.removeprefix("/").split("?", 1)[0]  # read and looked up: no such item here
    return f"!{body.get('code')}"


def test_the_resolver_and_the_parser_agree_on_every_corpus_uri(client: FlaskClient) -> None:
    cases = [
        c for c in CASES if c.resolver and c.text.startswith(("https://a/01/", "https://a/00/"))
    ]
    assert len(cases) > 40
    disagreements = []
    for case in cases:
        got = _resolver_verdict(client, case.text)
        # The router answers not_found where no resolver route exists (e.g. a GTIN alone, /22/);
        # the parser refuses those too.
        refused_alike = not case.accepted and got in (case.expect, "!not_found")
        if got != case.expect and not refused_alike:
            disagreements.append((case.text, case.expect, got))
    assert not disagreements


def test_an_item_is_reached_through_its_lot_and_serial_form(client, make_party) -> None:
    item = full_journey(build_world(client, make_party))
    gtin, serial = item.removeprefix(f"01/{GTIN}/21/"), item.rsplit("/", 1)[1]
    assert gtin  # the journey's item is 01/<GTIN>/21/<serial>
    uri = f"/01/{GTIN}/10/LOT-7/21/{serial}?17=271231&format=application/json"
    redirect = client.get(uri)
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"/{item}?format=application/json"
    followed = client.get(redirect.headers["Location"])
    assert followed.status_code == 200
    assert followed.get_json()["subject"] == item
    # A query attribute that belongs in the path is refused, as /codes/parse refuses it.
    refused = client.get(f"/{item}?10=LOT-7", headers=JSON)
    assert (refused.status_code, refused.get_json()["code"]) == (422, "invalid_subject")


def test_a_parcel_digital_link_leads_to_its_epcis_events(client: FlaskClient) -> None:
    sscc = "106141412345678908"
    response = client.get(f"/00/{sscc}?02=09506000134352&37=25")
    assert response.status_code == 200
    assert response.get_json()["epcis"] == f"/epcis/parcels/00/{sscc}"
