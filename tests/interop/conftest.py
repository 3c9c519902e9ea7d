"""Fixtures for interoperability: GS1's EPCIS JSON Schema as a validator with URI checking, the
demo world, and a credit story with a black listing and decisions."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft7Validator, FormatChecker

from tests.conftest import Actor
from tests.credit.records_flow import decide_on, nomination_of, short_parcel, snapshot
from tests.lifecycle.flow import World, build_world
from tests.tracing.cases_flow import Clock, damaged_parcel, decide, object_to, real_now, travel
from trace_service.demo import seed_demo

CONFORMANCE_DIR = Path(
    os.environ.get(
        "CONFORMANCE_DIR", Path(__file__).resolve().parents[3] / "shared" / "conformance"
    )
)
EPCIS_SCHEMA = CONFORMANCE_DIR / "epcis" / "EPCIS-JSON-Schema.json"


@pytest.fixture(scope="session")
def epcis_validator() -> Draft7Validator:
    """GS1's EPCIS 2.0 JSON Schema with format checking; URIs are really checked (rfc3987)."""
    assert EPCIS_SCHEMA.is_file(), f"GS1's EPCIS schema not found at {EPCIS_SCHEMA}"
    checker = FormatChecker()
    assert {"uri", "date-time"} <= set(checker.checkers), "install rfc3987 and rfc3339-validator"
    schema = json.loads(EPCIS_SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=checker)


def assert_valid_epcis(validator: Draft7Validator, document: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors)


@pytest.fixture
def demo(app: Flask) -> list[str]:
    """The demo world; its items' subjects (01/<gtin14>/21/<serial>)."""
    base = app.config["RESOLVER_BASE_URL"]
    return [uri.removeprefix(base + "/") for uri in seed_demo(app)]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return travel(monkeypatch, real_now() - timedelta(hours=3))


@pytest.fixture
def credit_story(
    app: Flask, client: FlaskClient, make_party: Callable[..., Actor], clock: Clock
) -> World:
    """A damaged parcel whose hub objects in vain (a case decision: upheld), a short parcel whose
    last-mile staff is nominated by a snapshot and black-listed (a credit decision: confirmed)."""
    world = build_world(client, make_party)
    damaged = damaged_parcel(world, 2)
    clock.advance(minutes=5)
    objection = object_to(world, app, damaged.complaint, world.hub)
    assert objection.status_code == 201, objection.get_json()
    clock.advance(minutes=5)
    upheld = decide(world, app, damaged.complaint, objection.get_json()["hash"], "upheld")
    assert upheld.status_code == 201, upheld.get_json()
    short_parcel(world, 1)
    clock.advance(minutes=10)
    assert snapshot(app, clock()).nominations == 1
    clock.advance(minutes=10)
    nomination = nomination_of(app, world.last_mile)
    confirmed = decide_on(world, app, world.last_mile, nomination, "confirmed")
    assert confirmed.status_code == 201, confirmed.get_json()
    return world
