"""HTTP interface of the lifecycle domain."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("lifecycle", __name__, description="lifecycle")
