"""Who is calling: the registered party behind a bearer credential, for non-public reads."""

from __future__ import annotations

from typing import Any

from flask import request

from trace_service.db import get_session
from trace_service.identity.models import Party
from trace_service.identity.service import authenticate


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_party() -> Party:
    """The authenticated party; raises Unauthorized without a valid credential."""
    return authenticate(get_session(), bearer_token())


BEARER_DOC: dict[str, Any] = {"security": [{"bearer": []}]}
