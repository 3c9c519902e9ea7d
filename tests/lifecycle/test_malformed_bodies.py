"""/events refuses a body that is not a signed envelope: malformed or non-canonical JSON, a
wrong content type, nesting too deep, a body too large, members an envelope does not have.
"""

from __future__ import annotations

import json

import pytest

from tests.lifecycle.flow import (
    assert_problem,
    list_item,
    nothing_written,
    raw_refused,
    refused,
    signed_listing,
)


def test_malformed_json(world):
    raw_refused(world, '{"payload": {', 400, "malformed_json")
    raw_refused(world, b"\xff\xfe{}", 400, "malformed_json")
    raw_refused(world, "", 400, "malformed_json")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type(world, content_type):
    body = json.dumps(signed_listing(world))
    raw_refused(world, body, 415, "unsupported_media_type", content_type=content_type)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(world, token):
    body = json.dumps(signed_listing(world)).replace('"v": 1', f'"v": {token}')
    assert token in body
    raw_refused(world, body, 400, "malformed_json")


@pytest.mark.parametrize("number", [2**53, -(2**53), 10**30])
def test_huge_integer_is_not_canonicalizable(world, number):
    envelope = signed_listing(world)
    envelope["payload"]["listing_ref"] = number
    problem = refused(world, envelope, 422, "not_canonicalizable")
    assert "canonical" in problem["detail"]


def test_largest_safe_integer_reaches_validation(world):
    envelope = signed_listing(world)
    envelope["payload"]["v"] = 2**53 - 1
    refused(world, envelope, 422, "invalid_payload")


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deep_nesting_of_the_body(world, depth):
    raw_refused(world, "[" * depth + "]" * depth, 400, "malformed_json")
    raw_refused(world, '{"a":' * depth + "1" + "}" * depth, 400, "malformed_json")


@pytest.mark.parametrize("depth", [13, 500, 900])
def test_deep_nesting_inside_a_payload(world, depth):
    envelope = signed_listing(world)
    envelope["payload"]["listing_ref"] = json.loads("[" * depth + "]" * depth)
    refused(world, envelope, 422, "malformed_envelope")


def test_deep_nesting_inside_personal_data_and_batch(world):
    deep = json.loads("[" * 900 + "]" * 900)
    envelope = signed_listing(world)
    envelope["personal_data"] = deep
    refused(world, envelope, 422, "invalid_payload")
    with nothing_written(world):
        response = world.client.post("/events/batch", json={"events": [deep]})
        assert response.status_code == 200
        [result] = response.get_json()["results"]
        assert result["problem"]["code"] == "malformed_envelope"


def test_oversize_body(world):
    world.client.application.config["MAX_CONTENT_LENGTH"] = 2048
    big = signed_listing(world)
    big["payload"]["commitment"] = "正" * 2000
    for path in ("/events", "/events/batch"):
        body = big if path == "/events" else {"events": [big]}
        with nothing_written(world):
            response = world.client.post(path, json=body)
            assert_problem(response, 413, "body_too_large")
    # an ordinary event still fits
    list_item(world)


@pytest.mark.parametrize(
    "body",
    [[], "text", 1, None, {"payload": {}}, {"signatures": []}, {"payload": [], "signatures": []}],
    ids=["list", "string", "number", "null", "no signatures", "no payload", "payload list"],
)
def test_not_an_envelope(world, body):
    refused(world, body, 422, "malformed_envelope")


def test_extra_envelope_member(world):
    envelope = signed_listing(world)
    envelope["note"] = "hi"
    refused(world, envelope, 422, "malformed_envelope")
