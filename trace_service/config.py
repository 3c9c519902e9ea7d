"""Configuration from environment variables, each with a documented default (see README)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw in (None, "") else int(raw)


def _str(name: str, default: str) -> str:
    """The variable's value; set but empty means empty (e.g. a rate limit switched off)."""
    raw = os.environ.get(name)
    return default if raw is None else raw.strip()


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
    personal_data_key: str | None
    log_key_path: str | None
    records_key_path: str | None
    log_level: str
    redis_url: str | None
    rate_limit_public: str
    rate_limit_write: str
    rate_limit_registration: str
    rate_limit_exempt: str
    trusted_proxy_hops: int
    hsts: bool

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
            # Secrets from a secrets store: a value, or files mounted outside the instance folder.
            personal_data_key=os.environ.get("PERSONAL_DATA_KEY") or None,
            log_key_path=os.environ.get("LOG_KEY_PATH") or None,
            records_key_path=os.environ.get("RECORDS_KEY_PATH") or None,
            log_level=(os.environ.get("LOG_LEVEL") or "INFO").upper(),
            redis_url=os.environ.get("REDIS_URL") or None,
            # Per client address; generous enough for the test suite and the benchmarks.
            rate_limit_public=_str("RATE_LIMIT_PUBLIC", "600/minute"),
            rate_limit_write=_str("RATE_LIMIT_WRITE", "1200/minute"),
            rate_limit_registration=_str("RATE_LIMIT_REGISTRATION", "120/minute"),
            rate_limit_exempt=_str("RATE_LIMIT_EXEMPT", "127.0.0.0/8,::1"),
            trusted_proxy_hops=_int("TRUSTED_PROXY_HOPS", 0),
            hsts=os.environ.get("HSTS", "0").strip().lower() in ("1", "true", "yes", "on"),
        )

    def as_flask_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "DATABASE_URL": self.database_url,
            "PORT": self.port,
            "RESOLVER_BASE_URL": self.resolver_base_url,
            "LOG_ORIGIN": self.log_origin,
            "CLOCK_SKEW_SECONDS": self.clock_skew_seconds,
            "MAX_BATCH_EVENTS": self.max_batch,
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "LOG_LEVEL": self.log_level,
            "REDIS_URL": self.redis_url,
            "RATE_LIMIT_PUBLIC": self.rate_limit_public,
            "RATE_LIMIT_WRITE": self.rate_limit_write,
            "RATE_LIMIT_REGISTRATION": self.rate_limit_registration,
            "RATE_LIMIT_EXEMPT": self.rate_limit_exempt,
            "TRUSTED_PROXY_HOPS": self.trusted_proxy_hops,
            "HSTS": self.hsts,
        }
        # Only when set: the key loaders fall back to files in the instance folder.
        for name, value in (
            ("PERSONAL_DATA_KEY", self.personal_data_key),
            ("LOG_KEY_PATH", self.log_key_path),
            ("RECORDS_KEY_PATH", self.records_key_path),
        ):
            if value:
                config[name] = value
        return config
