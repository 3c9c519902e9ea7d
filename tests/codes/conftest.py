"""Fixtures for the codes domain: an app without a database, and image decoding."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from trace_service import create_app


@pytest.fixture
def resolver() -> str:
    """The Digital Link resolver base URL the test app is configured with."""
    return "https://resolver.example"


@pytest.fixture
def app(resolver: str) -> Flask:
    return create_app({"DATABASE_URL": "sqlite://", "TESTING": True, "RESOLVER_BASE_URL": resolver})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def decode_png() -> Callable[[bytes], zxingcpp.Barcode]:
    """A function returning the one barcode zxing-cpp finds in PNG bytes."""

    def decode(png: bytes) -> zxingcpp.Barcode:
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
        assert len(found) == 1, f"expected one symbol, found {len(found)}"
        return found[0]

    return decode
