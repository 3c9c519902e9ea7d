"""Identity inputs the database cannot hold (NUL characters in paths and names) are refused,
never a server error, and leave no party behind."""

from __future__ import annotations

import pytest

from tests.identity.conftest import call, next_uscc, party_count, register
from trace_service.lifecycle.compose import KeyHolder


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/parties/mer-a%00b"),
        ("get", "/parties/mer-a%00b/keys"),
        ("post", "/keys/ab%00cd/revoke"),
        ("post", "/parties/mer-a%00b/credentials"),
        ("put", "/parties/mer-a%00b/status"),
        ("post", "/parties/mer-a%00b/keys"),
        ("get", "/parcels/00/1%00/recipient/reads"),
    ],
)
def test_nul_character_in_a_path_is_not_a_server_error(client, registrar, method, url):
    body = {"status": "suspended"} if url.endswith("status") else {}
    if url.endswith("/keys") and method == "post":
        body = {"public_key": KeyHolder().public_b64}
    response = call(client, method, url, body if method != "get" else None, registrar.auth)
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"


def test_nul_character_in_a_name_is_not_a_server_error(client, registrar):
    before = party_count(client)
    response = client.post(
        "/parties",
        json={"kind": "merchant", "name": "影子\x00商家", "uscc": next_uscc()},
        headers=registrar.auth,
    )
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert party_count(client) == before
    # the service carries on normally afterwards
    register(client, registrar, kind="merchant", name="正常商家", uscc=next_uscc())
