"""The published contract under schemas/: generated from the code, checked in CI, and the event
JSON Schemas say what ingest accepts."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator, FormatChecker
from marshmallow import fields

from tests.lifecycle.flow import build_world, full_journey
from trace_service.interop.contract import CONTRACT_DIR, event_json_schemas, render
from trace_service.ledger import records
from trace_service.lifecycle import payloads
from trace_service.plumbing.timestamps import RFC3339_UTC


def export_schemas(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["export-schemas", *args])


def test_the_committed_contract_is_what_the_code_generates(app: Flask) -> None:
    result = export_schemas(app, "--check")
    assert result.exit_code == 0, result.output + "\nrun: flask --app trace_service export-schemas"
    assert "up to date" in result.output
    served = app.test_client().get("/openapi.json").get_json()
    assert render(served) == (CONTRACT_DIR / "openapi.json").read_text(encoding="utf-8")


def test_a_schema_change_makes_the_check_fail_until_regenerated(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = tmp_path / "schemas"
    shutil.copytree(CONTRACT_DIR, contract)
    # A developer adds a member to the review payload and forgets to regenerate.
    changed = type("ReviewPayload", (payloads.ReviewPayload,), {"photo": fields.String()})
    review = dataclasses.replace(records.record_type("review"), schema=changed())
    monkeypatch.setitem(records._TYPES, "review", review)
    result = export_schemas(app, "--check", "--dir", str(contract))
    assert result.exit_code == 1
    assert "stale: schemas/events/review.schema.json: differs from the code" in result.output
    assert "openapi.json" not in result.output

    written = export_schemas(app, "--dir", str(contract))
    assert written.exit_code == 0, written.output
    assert "wrote schemas/events/review.schema.json" in written.output
    assert export_schemas(app, "--check", "--dir", str(contract)).exit_code == 0
    review = json.loads((contract / "events" / "review.schema.json").read_text(encoding="utf-8"))
    assert review["properties"]["photo"] == {"type": "string"}


def test_a_missing_or_extra_file_is_stale(app: Flask, tmp_path: Path) -> None:
    contract = tmp_path / "schemas"
    shutil.copytree(CONTRACT_DIR, contract)
    (contract / "events" / "sale.schema.json").unlink()
    (contract / "events" / "refund.schema.json").write_text("{}\n", encoding="utf-8")
    result = export_schemas(app, "--check", "--dir", str(contract))
    assert result.exit_code == 1
    assert "events/sale.schema.json: missing" in result.output
    assert "events/refund.schema.json: no longer generated" in result.output


def test_regenerating_is_byte_for_byte_stable() -> None:
    for kind, schema in event_json_schemas().items():
        text = (CONTRACT_DIR / "events" / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert text == render(schema) and text.endswith("}\n")
        assert json.loads(text)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def published(kind: str) -> Draft202012Validator:
    schema = json.loads((CONTRACT_DIR / "events" / f"{kind}.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def test_every_payload_type_has_a_strict_schema() -> None:
    assert {p.name for p in (CONTRACT_DIR / "events").iterdir()} == {
        f"{kind}.schema.json" for kind in records.record_type_names()
    }
    handoff = json.loads((CONTRACT_DIR / "events" / "handoff.schema.json").read_text("utf-8"))
    assert handoff["additionalProperties"] is False
    assert handoff["properties"]["type"] == {"const": "handoff"}
    assert handoff["properties"]["location"]["additionalProperties"] is False
    assert handoff["properties"]["condition"]["enum"] == ["intact", "damaged"]
    assert handoff["properties"]["weight_g"] == {
        "type": "integer", "minimum": 0, "maximum": 10**7
    }  # fmt: skip
    assert "from" in handoff["required"] and "seal" not in handoff["required"]
    assert handoff["properties"]["prev"]["type"] == ["string", "null"]
    assert handoff["properties"]["time"]["pattern"] == RFC3339_UTC.pattern


def test_logged_payloads_validate_and_refused_ones_do_not(client: Any, make_party: Any) -> None:
    world = build_world(client, make_party)
    full_journey(world)
    logged = [client.get(f"/log/entries/{i}").get_json()["payload"] for i in range(8)]
    assert [p["type"] for p in logged][-2:] == ["receipt", "review"]
    for payload in logged:
        errors = list(published(payload["type"]).iter_errors(payload))
        assert not errors, (payload["type"], [e.message for e in errors])
        assert records.record_type(payload["type"]).schema.validate(payload) == {}

    review = logged[-1]
    for bad in (
        {**review, "phone": "13800138000"},  # unknown members refused: no smuggled personal data
        {**review, "score": 6},
        {**review, "time": "2026-01-01 08:00:00"},
        {**review, "type": "complaint"},
        {**review, "prev": "ABC"},
    ):
        assert not published("review").is_valid(bad), bad
        assert records.record_type("review").schema.validate(bad) or bad["type"] != "review"
