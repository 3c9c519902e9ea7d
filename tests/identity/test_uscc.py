"""The unified social credit code (统一社会信用代码, USCC) an enterprise registers with: checked,
stored in canonical form, required of enterprises, and unique."""

from __future__ import annotations

import pytest

from tests.identity.conftest import next_uscc, refused_registration, register


def uscc_with_bad_check_char() -> str:
    good = next_uscc()
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def test_lowercase_uscc_is_stored_in_canonical_form(client, registrar):
    code = next_uscc()
    data = register(client, registrar, kind="merchant", name="m", uscc=code.lower())
    assert data["party"]["uscc"] == code
    refused_registration(client, registrar, 409, "conflict", kind="platform", name="p", uscc=code)


def test_bad_uscc_check_character(client, registrar):
    problem = refused_registration(
        client,
        registrar,
        422,
        "invalid_uscc",
        kind="merchant",
        name="m",
        uscc=uscc_with_bad_check_char(),
    )
    assert "统一社会信用代码" in problem["title"] or "social credit" in problem["detail"]


@pytest.mark.parametrize(
    "uscc",
    ["I1310000MA1FL00010", "91310000MA1FL0001!", "91310000MA1FO0001X"],
    ids=["letter I", "punctuation", "letter O"],
)
def test_malformed_uscc(client, registrar, uscc):
    refused_registration(
        client, registrar, 422, "invalid_uscc", kind="merchant", name="m", uscc=uscc
    )


def test_uscc_without_a_registering_authority(client, registrar):
    # All zeros passes the check character, but no authority has the code "0".
    problem = refused_registration(
        client, registrar, 422, "invalid_uscc", kind="merchant", name="m", uscc="0" * 18
    )
    assert "authority" in problem["detail"]


@pytest.mark.parametrize("uscc", ["9131000MA1FL0001", "91310000MA1FL00011X"])
def test_uscc_of_wrong_length(client, registrar, uscc):
    problem = refused_registration(
        client, registrar, 422, "validation_failed", kind="merchant", name="m", uscc=uscc
    )
    assert "uscc" in str(problem["errors"])


@pytest.mark.parametrize("kind", ["merchant", "platform", "courier_company", "regulator"])
def test_enterprise_without_uscc(client, registrar, kind):
    problem = refused_registration(client, registrar, 422, "invalid_party", kind=kind, name="x")
    assert "unified social credit code" in problem["detail"]


def test_duplicate_uscc(client, registrar):
    code = next_uscc()
    register(client, registrar, kind="merchant", name="first", uscc=code)
    refused_registration(
        client, registrar, 409, "conflict", kind="merchant", name="second", uscc=code
    )
