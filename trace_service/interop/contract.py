"""The published contract under `schemas/` (DESIGN §8), generated from the code.

- `schemas/openapi.json`: the OpenAPI 3.1 document flask-smorest builds from the marshmallow
  schemas of the HTTP API (the one served at /openapi.json);
- `schemas/events/<type>.schema.json`: one JSON Schema (draft 2020-12) per signed payload type,
  converted from each registered record type's schema (`ledger.records`) by apispec's
  marshmallow converter: unknown members refused (additionalProperties false), patterns, enums,
  lengths and ranges carried over, and `type` fixed to the event type (ingest picks the schema
  by it).

Files are rendered deterministically (sorted keys, two-space indent, UTF-8, trailing newline), so
regenerating an unchanged contract changes no byte and `stale_files` can compare text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apispec.ext.marshmallow.openapi import OpenAPIConverter
from flask import Flask
from marshmallow import Schema, fields

from trace_service.ledger.payload_fields import Timestamp
from trace_service.ledger.records import record_types
from trace_service.plumbing.timestamps import RFC3339_UTC

# Where the repository keeps the published contract (the package sits beside it).
CONTRACT_DIR = Path(__file__).resolve().parents[2] / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://trace-service.example/schemas/"


def _timestamp(converter: OpenAPIConverter, field: fields.Field[Any], **_: Any) -> dict[str, Any]:
    """What `Timestamp` accepts: an RFC 3339 UTC time with a 'Z'."""
    if isinstance(field, Timestamp):
        return {"format": "date-time", "pattern": RFC3339_UTC.pattern}
    return {}


def _converter() -> Any:  # apispec's converter is untyped
    # No name resolver, no spec: nested schemas (money, location, shares...) are inlined.
    spec: Any = None
    converter: Any = OpenAPIConverter("3.1.0", lambda schema: None, spec)
    converter.add_attribute_function(_timestamp)
    return converter


def event_json_schema(kind: str, schema: Schema, title: str) -> dict[str, Any]:
    """The JSON Schema of one payload type, from its marshmallow schema."""
    body: dict[str, Any] = _converter().schema2jsonschema(schema)
    body["properties"]["type"] = {"const": kind}
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_ID_BASE}events/{kind}.schema.json",
        "title": f"trace_service {title} event payload",
        "description": "The signed payload of an event envelope; its signing input is "
        "'trace_service/event/v1\\n' followed by its RFC 8785 canonical form.",
        **body,
    }


def event_json_schemas() -> dict[str, dict[str, Any]]:
    """Every registered record type's payload JSON Schema, by type."""
    return {t.name: event_json_schema(t.name, t.schema, t.title) for t in record_types()}


def openapi_document(app: Flask) -> dict[str, Any]:
    """The app's OpenAPI document, as /openapi.json serves it."""
    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    document: dict[str, Any] = api.spec.to_dict()
    return document


def render(document: dict[str, Any]) -> str:
    """Stable JSON text: sorted keys, two-space indent, UTF-8 characters, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def contract_files(app: Flask) -> dict[str, str]:
    """Relative path -> text of every file of the published contract."""
    files = {"openapi.json": render(openapi_document(app))}
    for kind, schema in event_json_schemas().items():
        files[f"events/{kind}.schema.json"] = render(schema)
    return files


def _present(root: Path) -> set[str]:
    found = {"openapi.json"} if (root / "openapi.json").exists() else set()
    events = root / "events"
    if events.is_dir():
        found |= {f"events/{p.name}" for p in events.glob("*.schema.json")}
    return found


def stale_files(app: Flask, root: Path = CONTRACT_DIR) -> list[str]:
    """The files under `root` that differ from what the code generates, are missing, or are
    no longer generated, each with why; empty when the contract is up to date."""
    expected = contract_files(app)
    stale = []
    for name, text in sorted(expected.items()):
        path = root / name
        if not path.exists():
            stale.append(f"{name}: missing")
        elif path.read_text(encoding="utf-8") != text:
            stale.append(f"{name}: differs from the code")
    stale += [f"{name}: no longer generated" for name in sorted(_present(root) - set(expected))]
    return stale


def write_contract(app: Flask, root: Path = CONTRACT_DIR) -> list[str]:
    """Regenerate the contract under `root`; returns the files written or removed."""
    expected = contract_files(app)
    changed = []
    for name, text in sorted(expected.items()):
        path = root / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    for name in sorted(_present(root) - set(expected)):
        (root / name).unlink()
        changed.append(f"{name} (removed)")
    return changed
