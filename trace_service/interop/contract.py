"""The published contract under `schemas/` (DESIGN §8), generated from the code.

- `schemas/openapi.json`: the OpenAPI 3.1 document flask-smorest builds from the marshmallow
  schemas of the HTTP API (the one served at /openapi.json);
- `schemas/events/<type>.schema.json`: one JSON Schema (draft 2020-12) per signed payload type,
  converted from `lifecycle.payloads` by apispec's marshmallow converter: unknown members refused
  (additionalProperties false), patterns, enums, lengths and ranges carried over, and `type`
  fixed to the event type (ingest picks the schema by it).

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

from trace_service.lifecycle import payloads

# Where the repository keeps the published contract (the package sits beside it).
CONTRACT_DIR = Path(__file__).resolve().parents[2] / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE = "https://trace-service.example/schemas/"

EVENT_TITLES = {
    "listing": "上架 listing",
    "sale": "销售 sale",
    "dispatch": "配送 dispatch (揽收 pickup)",
    "handoff": "交接 custody handoff",
    "delivery": "投递 delivery",
    "receipt": "签收 receipt",
    "review": "评价 review",
    "complaint": "投诉 complaint",
    "commitment": "信用承诺 credit commitment",
    "attribution": "责任认定 attribution",
    "objection": "异议 objection",
    "decision": "复核决定 regulator's decision",
    "resolution": "投诉办结 complaint resolution",
    "rectification": "整改 rectification",
    "nomination": "黑名单提名 black-list nomination",
    "snapshot": "评级快照 rating snapshot",
}


def _timestamp(converter: OpenAPIConverter, field: fields.Field[Any], **_: Any) -> dict[str, Any]:
    """What `payloads.Timestamp` accepts: an RFC 3339 UTC time with a 'Z'."""
    if isinstance(field, payloads.Timestamp):
        return {"format": "date-time", "pattern": payloads.RFC3339_UTC.pattern}
    return {}


def _converter() -> Any:  # apispec's converter is untyped
    # No name resolver, no spec: nested schemas (money, location, shares...) are inlined.
    spec: Any = None
    converter: Any = OpenAPIConverter("3.1.0", lambda schema: None, spec)
    converter.add_attribute_function(_timestamp)
    return converter


def event_json_schema(kind: str, schema: Schema) -> dict[str, Any]:
    """The JSON Schema of one payload type, from its marshmallow schema."""
    body: dict[str, Any] = _converter().schema2jsonschema(schema)
    body["properties"]["type"] = {"const": kind}
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"{SCHEMA_ID_BASE}events/{kind}.schema.json",
        "title": f"trace_service {EVENT_TITLES.get(kind, kind)} event payload",
        "description": "The signed payload of an event envelope; its signing input is "
        "'trace_service/event/v1\\n' followed by its RFC 8785 canonical form.",
        **body,
    }


def event_json_schemas() -> dict[str, dict[str, Any]]:
    """Every payload type's JSON Schema, by type."""
    return {kind: event_json_schema(kind, s) for kind, s in payloads.PAYLOAD_SCHEMAS.items()}


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
