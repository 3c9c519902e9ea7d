"""The identity tests' registrar, and the helpers that register parties, enrol keys and send
credentialed requests through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lifecycle.flow import assert_problem, row_count
from trace_service.lifecycle.compose import KeyHolder

_SERIALS = iter(range(1, 10000))


def next_uscc() -> str:
    """A fresh valid unified social credit code, from a range the shared factory does not use."""
    from stdnum.cn import uscc

    base = f"91330100MA2CK{next(_SERIALS):04d}"
    return base + uscc.calc_check_digit(base)


@pytest.fixture
def registrar(make_party):
    """The bootstrap regulator the factory registers everyone with (a registrar)."""
    return make_party("regulator", "registrar")


def register(client, registrar, status: int = 201, **body: Any) -> dict[str, Any]:
    response = client.post("/parties", json=body, headers=registrar.auth)
    assert response.status_code == status, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def party_count(client) -> int:
    from trace_service.identity.models import Party

    return row_count(client, Party)


def refused_registration(client, actor, status: int, code: str, **body: Any) -> dict[str, Any]:
    before = party_count(client)
    response = client.post("/parties", json=body, headers=actor.auth)
    problem = assert_problem(response, status, code)
    assert party_count(client) == before, "a refused registration left a party behind"
    return problem


def enrol(client, actor, party_id: str, key: KeyHolder | None = None, **body: Any) -> Any:
    key = key or KeyHolder()
    return client.post(
        f"/parties/{party_id}/keys", json={"public_key": key.public_b64} | body, headers=actor.auth
    )


def keys_of(client, party_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/parties/{party_id}/keys")
    assert response.status_code == 200
    return {k["keyid"]: k for k in response.get_json()}


def call(client, method: str, url: str, body: Any, headers: dict[str, str]) -> Any:
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(client, method)(url, **kwargs)
