"""EPCIS 2.0 export: every document the service exports validates against GS1's EPCIS JSON Schema
(with URI checking), maps the lifecycle to CBV business steps, carries each event's log evidence
and carries no personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft7Validator

from tests.interop.conftest import assert_valid_epcis
from tests.lifecycle.flow import World, assert_problem
from tests.simulate.conftest import SMALL
from trace_service.interop.epcis import EPC_BASE, GS1_CONTEXT, VOCABULARY, LoggedEvent
from trace_service.interop.epcis import epcis_document as build_document
from trace_service.plumbing.timestamps import format_time

JSON_LD = "application/ld+json"
EVERYTHING = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


def export(client: FlaskClient, url: str, **query: Any) -> tuple[dict[str, Any], Any]:
    response = client.get(url, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == JSON_LD
    return json.loads(response.get_data(as_text=True)), response


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = document["epcisBody"]["eventList"]
    return events


def all_pages(client: FlaskClient, validator: Draft7Validator, per_page: int) -> list[Any]:
    """Every page of the whole log's time range, each validated; their events in order."""
    events: list[Any] = []
    url, query = "/epcis/events", {**EVERYTHING, "perPage": per_page}
    for _ in range(10_000):
        document, response = export(client, url, **query)
        assert_valid_epcis(validator, document)
        events += events_of(document)
        link = response.headers.get("Link")
        if link is None:
            return events
        target = urlsplit(link[1 : link.index(">")])
        assert link.endswith('; rel="next"') and target.path == url
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
    raise AssertionError("pagination did not end")


def test_every_demo_item_and_parcel_exports_valid_epcis(
    client: FlaskClient, demo: list[str], epcis_validator: Draft7Validator
) -> None:
    parcels: set[str] = set()
    for item in demo:
        document, _ = export(client, f"/epcis/items/{item}")
        assert_valid_epcis(epcis_validator, document)
        assert document["@context"][0] == GS1_CONTEXT
        assert document["@context"][1] == {"tsv": VOCABULARY}
        events = events_of(document)
        assert events and f"{EPC_BASE}/{item}" in events[0]["epcList"]
        parcels |= {e["parentID"] for e in events if e["type"] == "AggregationEvent"}
    assert len(parcels) == 4
    for parcel in sorted(parcels):
        document, _ = export(client, f"/epcis/parcels/{parcel.removeprefix(EPC_BASE + '/')}")
        assert_valid_epcis(epcis_validator, document)
        assert events_of(document)[0]["parentID"] == parcel


def test_the_delivered_parcel_reads_as_a_cbv_story(
    client: FlaskClient, demo: list[str], epcis_validator: Draft7Validator
) -> None:
    document, _ = export(client, f"/epcis/items/{demo[0]}")
    steps = [(e["type"], e["bizStep"], e.get("disposition")) for e in events_of(document)]
    assert steps == [
        ("ObjectEvent", VOCABULARY + "BizStep-listing", "sellable_accessible"),
        ("TransactionEvent", "retail_selling", "retail_sold"),
        ("AggregationEvent", "packing", "container_closed"),
        ("ObjectEvent", "shipping", "in_transit"),
        ("ObjectEvent", "accepting", "in_transit"),
        ("ObjectEvent", "accepting", "in_transit"),
        ("ObjectEvent", "arriving", None),
        ("ObjectEvent", "receiving", None),
        ("ObjectEvent", VOCABULARY + "BizStep-review", None),
    ]
    events = events_of(document)
    handoff = events[4]
    # Custody moves from the pickup courier to the hub, both named by their public record.
    [source], [destination] = handoff["sourceList"], handoff["destinationList"]
    assert source["type"] == destination["type"] == "possessing_party"
    assert source["source"] != destination["destination"]
    assert client.get(urlsplit(source["source"]).path).status_code == 200
    assert handoff["readPoint"]["id"].startswith("urn:x-trace-service:location:")
    assert handoff["sensorElementList"] == [
        {"sensorReport": [{"type": "Mass", "value": 418, "uom": "GRM"}]}
    ]
    # The parcel leaves the merchant's possession (not the countersigning pickup courier's).
    shipped = events[3]
    possessor = next(s["source"] for s in shipped["sourceList"] if s["type"] == "possessing_party")
    assert client.get(urlsplit(possessor).path).get_json()["kind"] == "merchant"
    sale = events[1]
    assert sale["bizTransactionList"][0]["type"] == "po"
    assert sale["sourceList"] == [
        {"type": "owning_party", "source": sale["sourceList"][0]["source"]}
    ]


def test_each_event_carries_its_log_evidence(
    client: FlaskClient, demo: list[str], epcis_validator: Draft7Validator
) -> None:
    document, _ = export(client, f"/epcis/items/{demo[1]}")
    for event in events_of(document):
        logged = client.get(f"/events/{event['tsv:eventHash']}")
        assert logged.status_code == 200
        assert urlsplit(event["eventID"]).path == f"/events/{event['tsv:eventHash']}"
        assert int(logged.headers["Log-Index"]) == event["tsv:logIndex"]
        envelope = logged.get_json()
        assert envelope["payload"]["type"] == event["tsv:eventType"]
        assert envelope["payload"]["time"] == event["eventTime"]
        assert [{"tsv:keyid": s["keyid"], "tsv:signature": s["sig"]} for s in
                envelope["signatures"]] == event["tsv:signatures"]  # fmt: skip
    # The coffee parcel's complaint is there, by category only.
    [complaint] = [e for e in events_of(document) if e["tsv:eventType"] == "complaint"]
    assert complaint["tsv:category"] == "unauthorised_signoff"


def test_no_personal_data_leaves_through_the_export(
    app: Flask, client: FlaskClient, demo: list[str]
) -> None:
    documents = [export(client, f"/epcis/items/{item}")[0] for item in demo]
    documents.append(export(client, "/epcis/events", **EVERYTHING)[0])
    text = json.dumps(documents, ensure_ascii=False)
    for secret in ("林晓", "13912345678", "张杨路", "赵磊", "漕溪北路", "南京西路", "钱程"):
        assert secret not in text, secret  # recipients and delivery addresses
    for free_text in ("茶香浓郁", "未经同意", "礼盒外包装"):
        assert free_text not in text  # reviews and complaints
    # Buyers' signatures are evidence, by key id; their public keys and commitments are not.
    buyers = json.loads((Path(app.instance_path) / "demo" / "buyers.json").read_text())
    assert any(buyer["keyid"] in text for buyer in buyers.values())
    events = [e for d in documents for e in events_of(d)]
    sales = [e for e in events if e["tsv:eventType"] == "sale"]
    assert sales and all("destinationList" not in e for e in sales)
    for envelope in (client.get(f"/events/{e['tsv:eventHash']}").get_json() for e in sales):
        assert envelope["payload"]["buyer_key"] not in text
    assert "recipient" not in text and "buyer_key" not in text


def test_a_time_range_pages_through_the_log_in_order(
    client: FlaskClient, demo: list[str], epcis_validator: Draft7Validator
) -> None:
    whole, _ = export(client, "/epcis/events", **EVERYTHING)
    assert_valid_epcis(epcis_validator, whole)
    paged = all_pages(client, epcis_validator, per_page=4)
    assert paged == events_of(whole)  # the same events in the same order
    indices = [e["tsv:logIndex"] for e in paged]
    assert indices == sorted(indices)
    # The commitment (a party's) is credit data, not an object event.
    assert "commitment" not in {e["tsv:eventType"] for e in paged}
    # A narrower range holds only the events signed in it.
    times = sorted({e["eventTime"] for e in paged})
    middle = times[len(times) // 2]
    later, _ = export(client, "/epcis/events", **{"from": middle, "to": EVERYTHING["to"]})
    assert {e["eventTime"] for e in events_of(later)} == {t for t in times if t >= middle}


def test_bad_exports_are_refused_with_problems(client: FlaskClient, demo: list[str]) -> None:
    assert_problem(client.get("/epcis/items/01/09506000134352/21/NEVER"), 404, "unknown_subject")
    assert_problem(client.get("/epcis/items/01/09506000134353/21/X"), 422, "invalid_gtin")
    assert_problem(client.get("/epcis/items/00/106141412345678908"), 422, "invalid_subject")
    assert_problem(client.get("/epcis/parcels/" + demo[0]), 422, "invalid_subject")
    assert_problem(client.get("/epcis/events?from=2026-01-02T00:00:00Z"), 422, "validation_failed")
    backwards = {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    assert_problem(client.get("/epcis/events", query_string=backwards), 422, "validation_failed")
    too_many = {**EVERYTHING, "perPage": 1001}
    assert_problem(client.get("/epcis/events", query_string=too_many), 422, "validation_failed")


def test_case_records_name_the_complained_object(
    client: FlaskClient, credit_story: World, epcis_validator: Draft7Validator
) -> None:
    events = all_pages(client, epcis_validator, per_page=50)
    records = [e for e in events if e["tsv:eventType"] in ("attribution", "objection", "decision")]
    assert [r["tsv:eventType"] for r in records][:3] == ["attribution", "objection", "decision"]
    for record in records:
        assert record["bizStep"] == VOCABULARY + "BizStep-" + record["tsv:eventType"]
        assert record["epcList"] and record["epcList"][0].startswith(EPC_BASE + "/00/")
    assert records[2]["tsv:outcome"] == "upheld"
    # Parties' records (nomination, the listing decision, the snapshot) are not object events.
    assert {e["tsv:eventType"] for e in events}.isdisjoint({"nomination", "snapshot"})


def test_the_mapping_is_a_pure_function_of_the_events() -> None:
    at = datetime(2026, 3, 1, 8, tzinfo=UTC)
    lot = LoggedEvent(
        index=7,
        hash="ab" * 32,
        type="listing",
        subject="01/09506000134352/10/L%2F1",
        payload={"v": 1, "type": "listing", "subject": "01/09506000134352/10/L%2F1",
                 "prev": None, "time": format_time(at), "platform": "plt-1",
                 "listing_ref": "上架 1", "price": {"amount": "9.90", "currency": "CNY"}},
        signatures=(("0011223344556677", "c2ln"),),
        signers=("mer-1",),
        recorded_at=at + timedelta(seconds=2),
    )  # fmt: skip
    document = build_document([lot], base_url="https://trace.example/", created_at=at)
    [event] = document["epcisBody"]["eventList"]
    assert event["quantityList"] == [{"epcClass": f"{EPC_BASE}/01/09506000134352/10/L%2F1"}]
    assert event["eventID"] == f"https://trace.example/events/{'ab' * 32}"
    assert event["recordTime"] == "2026-03-01T08:00:02Z"
    assert event["tsv:platform"] == "https://trace.example/parties/plt-1"
    assert document == build_document([lot], base_url="https://trace.example", created_at=at)


@pytest.mark.slow
def test_a_simulated_network_exports_valid_epcis(
    app: Flask, client: FlaskClient, tmp_path: Path, epcis_validator: Draft7Validator
) -> None:
    result = app.test_cli_runner().invoke(
        args=["simulate", *SMALL, "--truth", str(tmp_path / "truth.jsonl")]
    )
    assert result.exit_code == 0, result.output
    events = all_pages(client, epcis_validator, per_page=1000)
    kinds = {(e["tsv:eventType"], e["type"]) for e in events}
    assert {("sale", "TransactionEvent"), ("dispatch", "AggregationEvent"),
            ("handoff", "ObjectEvent"), ("attribution", "ObjectEvent")} <= kinds  # fmt: skip
    assert len(events) > 2000
