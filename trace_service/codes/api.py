"""HTTP interface of the codes domain."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("codes", __name__, description="codes")
