"""One error tree for the whole service, rendered as RFC 9457 problem details in one place."""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE_BASE = "/problems/"


class DomainError(Exception):
    """Base of every error the service reports to a client.

    Subclasses fix a stable machine-readable ``code``, an HTTP ``status`` and a short ``title``;
    an instance carries the human ``detail``, optionally a more specific ``code``, and extension
    members that are added to the problem body.
    """

    code: str = "domain_error"
    status: int = 400
    title: str = "The request could not be processed"

    def __init__(self, detail: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            # A family of errors (e.g. lifecycle violations) shares a class but not a code.
            self.code = code
        self.extensions = extensions

    def problem(self) -> dict[str, Any]:
        """The RFC 9457 body for this error."""
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        body.update(self.extensions)
        return body


class BadRequest(DomainError):
    code = "bad_request"
    title = "Malformed request"


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    title = "The request did not validate"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict with the current state"


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    title = "Credentials required"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Not allowed"
