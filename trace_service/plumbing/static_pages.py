"""Serving the service's static pages (files under `static/`)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, send_from_directory


def page(filename: str) -> Response:
    """A static page, revalidated on every load so a deployed change shows at once."""
    folder = current_app.static_folder
    assert folder is not None
    response = send_from_directory(Path(folder), filename, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
