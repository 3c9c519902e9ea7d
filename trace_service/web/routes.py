"""Page routes (HTML)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__)
