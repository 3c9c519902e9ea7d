"""Why a signed record is refused: its payload is not valid, it does not follow from its
subjects' history, or its signers may not record it; each case with its own stable code."""

from __future__ import annotations

from trace_service.errors import DomainError


class InvalidPayload(DomainError):
    code = "invalid_payload"
    status = 422
    title = "The event payload is not valid"


class LifecycleViolation(DomainError):
    code = "lifecycle_violation"
    status = 409
    title = "The event does not follow from the subject's history"


class SignerNotAllowed(DomainError):
    code = "signer_not_allowed"
    status = 403
    title = "The signer may not record this event"


def violation(code: str, detail: str, **extensions: object) -> LifecycleViolation:
    """A LifecycleViolation with a specific stable code (e.g. ``receipt_before_delivery``)."""
    return LifecycleViolation(detail, code=code, **extensions)


def not_allowed(code: str, detail: str, **extensions: object) -> SignerNotAllowed:
    """A SignerNotAllowed with a specific stable code (e.g. ``not_holder``)."""
    return SignerNotAllowed(detail, code=code, **extensions)
