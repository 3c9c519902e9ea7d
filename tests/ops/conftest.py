"""Apps with operational settings of a test's choosing, over the test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from trace_service import create_app


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Flask]]:
    """Factory: an app over the test database and instance folder, with config overrides."""
    apps: list[Flask] = []

    def factory(**config: Any) -> Flask:
        instance = tmp_path / "instance"
        instance.mkdir(exist_ok=True)
        settings = {"TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(instance)}
        app = create_app(settings | config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["trace_engine"].dispose()
