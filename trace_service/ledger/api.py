"""HTTP interface of the ledger domain."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("ledger", __name__, description="ledger")
