"""The OpenAPI 3.1 document: every operation's bodies have schemas, every error is an RFC 9457
problem, and the operations that need a credential say so."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from tests.lifecycle import flow
from tests.lifecycle.flow import GTIN, PROBLEM_JSON, World, assert_problem
from trace_service.lifecycle.compose import payload, sign, submission

# The operations that read or change non-public data (README: "who" is not "anyone"/"signers").
AUTHENTICATED = {
    "POST /parties",
    "PUT /parties/{party_id}/status",
    "POST /parties/{party_id}/keys",
    "POST /keys/{keyid}/revoke",
    "POST /parties/{party_id}/credentials",
    "POST /parties/{party_id}/credentials/revoke",
    "POST /parties/{party_id}/departure",
    "POST /products",
    "GET /parcels/{parcel}/recipient",
    "GET /parcels/{parcel}/recipient/reads",
    "GET /cases",
    "POST /cases/trace",
    "GET /cases/{complaint}",
    "POST /ratings/snapshots",
    "GET /lists/nominations",
    "GET /parties/{party_id}/credit",
}


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").get_json()
    return body


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    }


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        *_, kind, name = node["$ref"].split("/")
        node = document["components"][kind][name]
    return node


def test_the_document_is_openapi_3_1_with_a_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer"
    }  # fmt: skip
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert problem["additionalProperties"] is True  # extension members
    assert "Error" not in document["components"]["schemas"]  # flask-smorest's own body


def test_every_error_response_is_a_problem(document: dict[str, Any]) -> None:
    for name, operation in operations(document).items():
        responses = operation["responses"]
        assert "default" in responses and "429" in responses, name
        for status, response in responses.items():
            if status.startswith(("2", "3")):
                continue
            content = resolve(document, response)["content"]
            assert list(content) == [PROBLEM_JSON], (name, status)
            assert (
                resolve(document, content[PROBLEM_JSON]["schema"])
                is (document["components"]["schemas"]["Problem"])
            ), (name, status)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(responses), name


def test_every_body_has_a_schema(document: dict[str, Any]) -> None:
    for name, operation in operations(document).items():
        successes = [r for s, r in operation["responses"].items() if s.startswith("2")]
        assert successes, name
        for response in successes:
            for media, content in resolve(document, response)["content"].items():
                schema = resolve(document, content.get("schema", {}))
                assert schema, (name, media)
                if media == "application/json" or media.endswith("+json"):
                    assert schema.get("properties") or schema.get("items"), (name, media)
        body = operation.get("requestBody", {}).get("content", {})
        for media, content in body.items():
            assert resolve(document, content["schema"]).get("properties"), (name, media)
    for method_path in ("POST /events", "POST /events/batch"):
        assert operations(document)[method_path]["requestBody"]["content"]["application/json"]


def test_authenticated_operations_name_the_bearer_scheme(document: dict[str, Any]) -> None:
    secured = {n for n, op in operations(document).items() if op.get("security")}
    assert secured == AUTHENTICATED
    for name in secured:
        operation = operations(document)[name]
        assert operation["security"] == [{"bearer": []}]
        assert "401" in operation["responses"], name


def test_statuses_the_handlers_answer_are_documented(
    client: FlaskClient, document: dict[str, Any]
) -> None:
    ops = operations(document)
    # A few the handlers raise themselves, each documented where it can happen.
    assert {"403", "409", "415"} <= set(ops["POST /events"]["responses"])
    assert "413" in ops["POST /events/batch"]["responses"]
    assert {"403", "404", "409", "422"} <= set(ops["POST /parties/{party_id}/keys"]["responses"])
    assert "404" in ops["GET /ratings/units/{party_id}"]["responses"]
    assert_problem(client.get("/ratings/units/nobody"), 404, "no_snapshot")
    assert_problem(client.post("/events", data="x"), 415, "unsupported_media_type")
    assert_problem(client.post("/cases/trace"), 401, "unauthorized")


def test_real_responses_match_the_document(
    app: Flask, client: FlaskClient, credit_story: World
) -> None:
    """The success paths fuzzing cannot reach (signed events, cases, ratings, exports) answer
    exactly what the document says, as schemathesis checks it."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    world, regulator = credit_story, credit_story.regulator.auth
    item = f"01/{GTIN}/21/SN0099"
    listing = sign(
        payload("listing", item, None, flow.now(), platform=world.platform.party_id,
                listing_ref="L-99", price={"amount": "9.90", "currency": "CNY"}),
        world.merchant.key,
    )  # fmt: skip
    accepted = client.post("/events", json=submission(listing))
    again = client.post("/events", json=submission(listing))
    batch = client.post("/events/batch", json={"events": [submission(listing), {"payload": 1}]})
    assert (accepted.status_code, again.status_code, batch.status_code) == (201, 200, 200)
    event = accepted.get_json()
    complaint = client.get("/cases", headers=regulator).get_json()["items"][0]["complaint"]
    snapshot = client.get("/ratings").get_json()["snapshot"]["index"]
    staff = world.last_mile.party_id
    parcel = client.get(f"/01/{GTIN}/21/SN0002?format=application/json").get_json()["parcels"][0]
    calls: list[tuple[str, str, Any, dict[str, Any]]] = [
        ("POST", "/events", accepted, {}),
        ("POST", "/events", again, {}),
        ("POST", "/events/batch", batch, {}),
        ("GET", "/events/{event_hash}", f"/events/{event['hash']}", {}),
        ("GET", "/log/entries/{index}", "/log/entries/0", {}),
        ("GET", "/log/inclusion", f"/log/inclusion?index=0&size={event['index'] + 1}", {}),
        ("GET", "/log/consistency", f"/log/consistency?first=1&second={event['index'] + 1}", {}),
        ("GET", "/01/{gtin}/21/{serial}", f"/{item}?format=application/json", {}),
        ("GET", "/01/{gtin}/21/{serial}", f"/01/{GTIN}/21/SN0002?format=application/json", {}),
        ("GET", "/products/{gtin}", f"/products/{GTIN}", {}),
        ("GET", "/parties/{party_id}", f"/parties/{staff}", {}),
        ("GET", "/parties/{party_id}/keys", f"/parties/{staff}/keys", {}),
        ("GET", "/parcels/{parcel}/recipient", f"/parcels/{parcel}/recipient?purpose=audit",
         regulator),
        ("GET", "/parcels/{parcel}/recipient/reads", f"/parcels/{parcel}/recipient/reads",
         regulator),
        ("GET", "/cases", "/cases", regulator),
        ("GET", "/cases/{complaint}", f"/cases/{complaint}", regulator),
        ("GET", "/ratings", "/ratings", {}),
        ("GET", "/ratings/method", "/ratings/method", {}),
        ("GET", "/ratings/snapshots", "/ratings/snapshots", {}),
        ("GET", "/ratings/snapshots/{index}", f"/ratings/snapshots/{snapshot}", {}),
        ("GET", "/ratings/snapshots/{index}/content", f"/ratings/snapshots/{snapshot}/content",
         {}),
        ("GET", "/ratings/units/{party_id}", f"/ratings/units/{staff}", {}),
        ("GET", "/ratings/units/{party_id}/explanation", f"/ratings/units/{staff}/explanation",
         {}),
        ("GET", "/lists/red", "/lists/red", {}),
        ("GET", "/lists/black", "/lists/black", {}),
        ("GET", "/lists/nominations", "/lists/nominations", regulator),
        ("GET", "/admission/{party_id}", f"/admission/{staff}", {}),
        ("GET", "/parties/{party_id}/credit", f"/parties/{staff}/credit", regulator),
        ("GET", "/epcis/items/{subject}", f"/epcis/items/{item}", {}),
        ("GET", "/epcis/parcels/{parcel}", f"/epcis/parcels/{parcel}", {}),
        ("GET", "/exchange/credit.json", "/exchange/credit.json", {}),
        ("GET", "/exchange/credit.csv", "/exchange/credit.csv", {}),
        ("GET", "/codes/parse", f"/codes/parse?text=(01){GTIN}(21)SN0099", {}),
        ("GET", "/parties/{party_id}", "/parties/nobody", {}),
        ("GET", "/cases/{complaint}", f"/cases/{complaint}", {}),
    ]  # fmt: skip
    for method, template, target, headers in calls:
        response = target if not isinstance(target, str) else client.get(target, headers=headers)
        assert response.status_code < 500, (template, response.status_code)
        schema[template][method].validate_response(response)
