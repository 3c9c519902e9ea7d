"""The OpenAPI contract's errors: each one an RFC 9457 problem (`application/problem+json`).

flask-smorest documents errors with its own `Error` body; `ProblemApi` documents them as the
`Problem` that `plumbing.problems` actually sends. Which statuses an operation can return:

- from its shape, added to every operation by `ProblemResponses` (an apispec plugin): 429 (rate
  limits apply to every route), 401 where it names the bearer security scheme, and 400 (body not
  JSON), 413 (body too large) and 422 (body does not validate) where it takes a request body;
- from what its handler does, declared on the view: `problems = problem_docs(blp)`, then
  `@problems(403, 404)`.

Anything else (405, 406, 500) is the `default` response, a problem too.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from apispec import BasePlugin
from flask_smorest import Api, Blueprint
from marshmallow import INCLUDE, Schema, fields, validate

from trace_service.plumbing.problems import PROBLEM_JSON

View = TypeVar("View", bound=Callable[..., Any])

# The times a request may carry: any offset, but within what UTC and the database can hold (a
# year-1 or year-9999 time with an offset overflows when converted); nothing is before 1970.
API_TIME = validate.Range(
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(9999, 1, 1, tzinfo=UTC),
    error="must be a time from 1970 to 9999 (UTC)",
)


class ProblemSchema(Schema):
    """RFC 9457 problem details with the service's stable `code`; extension members allowed."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(
        required=True,
        metadata={"description": "URI reference naming the problem type: /problems/<code>"},
    )
    title = fields.String(required=True, metadata={"description": "short, same for every instance"})
    status = fields.Integer(required=True, validate=validate.Range(400, 599))
    detail = fields.String(required=True, metadata={"description": "what went wrong this time"})
    code = fields.String(
        required=True,
        metadata={"description": "stable machine-readable code, e.g. fork, invalid_gtin"},
    )
    instance = fields.String(metadata={"description": "URI reference of this occurrence"})
    errors = fields.Dict(
        metadata={"description": "field errors: {location or field: [messages] or {...}}"}
    )


# What each status means here, with the stable codes a client can branch on.
PROBLEM_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON or not the expected shape "
    "(malformed_request, malformed_json, malformed_batch, bad_request)",
    401: "Credentials required: no, an unknown or a revoked bearer credential (unauthorized)",
    403: "The authenticated party, or the event's signer, may not do this "
    "(forbidden, signer_not_allowed, not_your_records, ...)",
    404: "Nothing by that identifier (not_found, unknown_party, unknown_snapshot, ...)",
    409: "Conflicts with the current state: already registered, a fork of a chain, an "
    "impossible lifecycle step (conflict, fork, lifecycle violations)",
    413: "The request body or batch is too large (body_too_large, batch_too_large)",
    415: "The body must be application/json (unsupported_media_type)",
    422: "The request is well-formed but does not validate; field errors under `errors` "
    "(validation_failed and the domain's codes, e.g. invalid_gtin, invalid_payload)",
    429: "Rate limited: too many requests from this client; retry later (rate_limited)",
}


RETRY_AFTER = {"description": "seconds until the budget resets", "schema": {"type": "integer"}}


def problem_response(status: int) -> str:
    """The name of the component response documenting a problem with this status."""
    return http.HTTPStatus(status).name


class ProblemResponses(BasePlugin):
    """Adds the problem responses an operation gets from its shape (see the module docstring)."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any
    ) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = [429]
            if operation.get("security"):
                statuses.append(401)
            if "requestBody" in operation:
                statuses += [400, 413, 422]
            responses = operation["responses"]
            for status in statuses:
                responses.setdefault(str(status), problem_response(status))


class ProblemApi(Api):  # type: ignore[misc]  # flask-smorest ships no type hints
    """flask-smorest's Api documenting errors as RFC 9457 problems."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("spec_kwargs", {}).setdefault("extra_plugins", [ProblemResponses()])
        super().__init__(app, **kwargs)

    def _register_responses(self) -> None:
        """One component response per error status (and `default`), each a Problem."""
        problem = {PROBLEM_JSON: {"schema": "Problem"}}
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            if status < 400:
                continue
            response = {
                "description": PROBLEM_DESCRIPTIONS.get(status, status.phrase),
                "content": problem,
            }
            if status == 429:
                response["headers"] = {"Retry-After": RETRY_AFTER}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME,
            {"description": "Any other error (405, 406, 500, ...)", "content": problem},
            lazy=True,
        )


def problem_docs(blp: Blueprint) -> Callable[..., Callable[[View], View]]:
    """`problem_docs(blp)(403, 404)` documents that a view of `blp` answers those problems."""

    def statuses(*codes: int) -> Callable[[View], View]:
        def decorate(view: View) -> View:
            for code in codes:
                view = blp.alt_response(code, response=problem_response(code))(view)
            return view

        return decorate

    return statuses
