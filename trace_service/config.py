"""Configuration from environment variables, each with a documented default (see README)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


@dataclass(frozen=True)
class Settings:
    """Values read once at start-up; `as_flask_config` turns them into Flask config keys."""

    database_url: str
    port: int
    resolver_base_url: str
    log_origin: str
    clock_skew_seconds: int
    max_batch: int
    max_body_bytes: int

    @classmethod
    def from_env(cls, instance_path: Path) -> Settings:
        port = _int("PORT", 8000)
        default_db = f"sqlite:///{instance_path / 'trace.db'}"
        return cls(
            database_url=os.environ.get("DATABASE_URL") or default_db,
            port=port,
            resolver_base_url=(
                os.environ.get("RESOLVER_BASE_URL") or f"http://127.0.0.1:{port}"
            ).rstrip("/"),
            log_origin=os.environ.get("LOG_ORIGIN") or "trace-service.local/log",
            clock_skew_seconds=_int("CLOCK_SKEW_SECONDS", 300),
            max_batch=_int("MAX_BATCH_EVENTS", 1000),
            max_body_bytes=_int("MAX_BODY_BYTES", 4 * 1024 * 1024),
        )

    def as_flask_config(self) -> dict[str, Any]:
        return {
            "DATABASE_URL": self.database_url,
            "PORT": self.port,
            "RESOLVER_BASE_URL": self.resolver_base_url,
            "LOG_ORIGIN": self.log_origin,
            "CLOCK_SKEW_SECONDS": self.clock_skew_seconds,
            "MAX_BATCH_EVENTS": self.max_batch,
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
        }
