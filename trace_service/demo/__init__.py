"""A demo world: regulator, platform, merchants, couriers with outlets and staff, and parcels
through their whole life (one reviewed, one complained about, one damaged, one in transit);
the complaints traced and a first rating snapshot published.

Everything goes through the same operations as real clients: parties are registered by a
registrar, events are signed with the parties' keys and ingested with the normal rules. The
private keys and credentials are written to `<instance>/demo/` so the CLI and the pages can act
as any demo party.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from trace_service.codes.digital_link import digital_link_uri
from trace_service.credit.snapshots import take_snapshot
from trace_service.db import new_session
from trace_service.demo.actors import Demo
from trace_service.demo.story import populate
from trace_service.identity.models import Party
from trace_service.lifecycle.ingest import IngestContext


def seed_demo(app: Flask, start: datetime | None = None) -> list[str]:
    """Load the demo into an empty database; returns the demo items' Digital Link URIs.

    Raises RuntimeError if the database already holds parties (the demo is loaded once).
    """
    session = new_session(app)
    try:
        if session.scalar(select(func.count()).select_from(Party)):
            raise RuntimeError(
                "the database already holds parties; the demo loads into an empty one"
            )
        ctx = IngestContext.for_app(app)
        clock = (start or datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
        demo = Demo(session, ctx, clock)
        items = populate(demo)
        # As the service does: the complaints are traced, and a rating snapshot is published.
        moment = demo.tick(hours=1)
        take_snapshot(session, ctx, moment, moment)
        _write_keys(Path(app.instance_path) / "demo", demo)
        base = app.config["RESOLVER_BASE_URL"]
        return [digital_link_uri(base, item) for item in items]
    finally:
        session.close()


def _write_keys(folder: Path, demo: Demo) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for role, party in demo.parties.items():
        path = folder / f"{role}.json"
        path.write_text(json.dumps(party.as_json(), ensure_ascii=False, indent=2))
        path.chmod(0o600)
    buyers = {
        name: {
            "keyid": k.keyid,
            "private_key": base64.b64encode(bytes(k.signing_key)).decode(),
            "public_key": k.public_b64,
        }
        for name, k in demo.buyers.items()
    }
    (folder / "buyers.json").write_text(json.dumps(buyers, indent=2))
    (folder / "buyers.json").chmod(0o600)
