"""RFC 8785 (JCS) canonical JSON and the signing input derived from it."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from trace_service.errors import DomainError

# Domain separation: a signature over an event can never be replayed as a signature over
# anything else this or another system signs with the same key.
EVENT_SIGNING_PREFIX = b"trace_service/event/v1\n"

MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalizable(DomainError):
    code = "not_canonicalizable"
    status = 422
    title = "Payload cannot be canonicalised (RFC 8785)"


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises NotCanonicalizable for integers outside ±(2^53−1), non-finite floats, lone
    surrogates, non-string keys and anything else JCS refuses.
    """
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError, UnicodeError) as exc:
        raise NotCanonicalizable(f"payload is not canonicalisable JSON: {exc}") from exc
    except RecursionError as exc:
        raise NotCanonicalizable("payload is nested too deeply") from exc


def event_signing_input(canonical_payload: bytes) -> bytes:
    """What an event's signers sign: the domain prefix followed by the canonical payload."""
    return EVENT_SIGNING_PREFIX + canonical_payload


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
