"""HTTP interface of the identity domain."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("identity", __name__, description="identity")
