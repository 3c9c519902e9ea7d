"""Recipient personal data is encrypted at rest (DESIGN §7): after the full demo, the raw
database holds no recipient name, phone or address in any readable encoding.

On SQLite the database file and its write-ahead log are read as bytes, as anyone copying them
would; on PostgreSQL every column of every table is read back through SQL as stored (bytea as
bytes, text and JSON as text), since the server's files are not ours to open.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, make_url, text

from tests.reliability.test_personal_data_exposure import demo_recipients
from trace_service.db import make_engine
from trace_service.demo import seed_demo

# Stored in clear on purpose (a party's public name), so the search is known to read real data.
CONTROL = "顺达快递"


def encodings(value: str) -> set[bytes]:
    """The byte forms a stored string can take: UTF-8, UTF-16 and JSON's ASCII escapes."""
    escaped = json.dumps(value)[1:-1]
    return {
        value.encode("utf-8"),
        value.encode("utf-16-le"),
        value.encode("utf-16-be"),
        escaped.encode(),
        escaped.upper().replace("\\U", "\\u").encode(),
    }


def secrets_of(app: Flask) -> dict[str, set[bytes]]:
    """Each recipient's name, phone, address and street, in every encoding."""
    found: dict[str, set[bytes]] = {}
    for recipient in demo_recipients(app):
        values = dict(recipient)
        # The street alone (the address below its city), the part that finds the door.
        values["street"] = recipient["address"].split("市", 1)[-1]
        for field, value in values.items():
            found[f"{field} {value}"] = encodings(value)
    return found


def sqlite_bytes(url: str) -> bytes:
    path = Path(make_url(url).database or "")
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def postgres_values(url: str) -> Iterator[tuple[str, bytes]]:
    """(table.column, stored value as bytes) of every row of every table in the database."""
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
        with engine.connect() as conn:
            for table in tables:
                result = conn.execute(text(f'SELECT * FROM "{table}"'))
                columns = list(result.keys())
                for row in result:
                    for column, value in zip(columns, row, strict=True):
                        if isinstance(value, bytes | memoryview):
                            stored = bytes(value)
                        elif isinstance(value, dict | list):
                            stored = json.dumps(value, ensure_ascii=False).encode()
                        else:
                            stored = str(value).encode()
                        yield f"{table}.{column}", stored
                # The server's own text rendering of each row (jsonb, arrays, bytea as hex).
                for (row_text,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):
                    yield f"{table} (row text)", row_text.encode()
    finally:
        engine.dispose()


def raw_database(url: str) -> list[tuple[str, bytes]]:
    if url.startswith("sqlite"):
        # Nothing is flushed first: the file and its log are read as they lie on disk.
        return [("database file and WAL", sqlite_bytes(url))]
    return list(postgres_values(url))


def clear_text_hits(stored: list[tuple[str, bytes]], secrets: dict[str, set[bytes]]) -> list[str]:
    return [
        f"{label} in {where}"
        for where, data in stored
        for label, forms in secrets.items()
        if any(form in data for form in forms)
    ]


def test_no_recipient_data_is_stored_in_clear(app: Flask, client: FlaskClient) -> None:
    started = time.perf_counter()
    seed_demo(app)
    secrets = secrets_of(app)
    assert len(secrets) == 4 * 4, "four demo recipients, each name, phone, address and street"
    url = app.config["DATABASE_URL"]
    stored = raw_database(url)
    assert any(form in data for _, data in stored for form in encodings(CONTROL)), "control"
    hits = clear_text_hits(stored, secrets)
    figures = {
        "backend": url.split(":", 1)[0],
        "bytes_searched": sum(len(data) for _, data in stored),
        "values": len(stored),
        "secrets": len(secrets),
        "hits": len(hits),
        "seconds": round(time.perf_counter() - started, 2),
    }
    print("encryption at rest:", json.dumps(figures))
    assert not hits, "personal data stored in clear:\n" + "\n".join(sorted(set(hits)))

    # Control: a phone number a reader types into the free-text purpose of a read is stored as
    # typed, and the same search finds it, on either backend.
    credential = json.loads((Path(app.instance_path) / "demo" / "regulator.json").read_text())
    phone = next(label for label in secrets if label.startswith("phone ")).split(" ", 1)[1]
    parcel = _demo_parcels(url)[0]
    response = client.get(
        f"/parcels/{parcel}/recipient",
        query_string={"purpose": f"回拨 {phone}"},
        headers={"Authorization": f"Bearer {credential['credential']}"},
    )
    assert response.status_code == 200, response.get_json()
    assert clear_text_hits(raw_database(url), {"typed phone": encodings(phone)})


def _demo_parcels(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT parcel FROM personal_data")).scalars())
    finally:
        engine.dispose()
