"""The GS1 corpus: the parser and /codes/parse give every case its expected verdict."""

from __future__ import annotations

from collections import Counter

import pytest
from flask.testing import FlaskClient

from tests.codes.gs1_corpus import CASES, CLAUSES, Case
from trace_service.codes.ai_linters import LINTERS, UNCHECKED_LINTERS
from trace_service.codes.ai_table import ai_table
from trace_service.codes.digital_link import parse_gs1
from trace_service.errors import DomainError


def _verdict(case: Case) -> str:
    try:
        return parse_gs1(case.text).ref.subject
    except DomainError as exc:
        return f"!{exc.code}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.clause}: {c.text!r}")
def test_parser_gives_each_case_its_verdict(case: Case) -> None:
    assert _verdict(case) == case.expect


def test_codes_parse_agrees_with_the_parser(client: FlaskClient) -> None:
    disagreements = []
    for case in CASES:
        response = client.get("/codes/parse", query_string={"text": case.text})
        body = response.json or {}
        got = body["subject"] if response.status_code == 200 else f"!{body.get('code')}"
        if got != case.expect:
            disagreements.append((case.text, case.expect, got))
    assert not disagreements


def test_every_case_cites_a_clause_and_every_clause_is_tested() -> None:
    cited = Counter(case.clause for case in CASES)
    assert set(cited) == set(CLAUSES)
    assert len({c.text for c in CASES}) == len(CASES), "a case is listed twice"


def test_every_linter_the_dictionary_names_is_checked_or_declared_unchecked() -> None:
    # A new dictionary release naming a new linter must not pass silently.
    assert ai_table().linters <= set(LINTERS) | UNCHECKED_LINTERS


def test_refusals_name_a_position_within_the_text() -> None:
    for case in CASES:
        if case.accepted:
            continue
        try:
            parse_gs1(case.text)
        except DomainError as exc:
            position = exc.extensions.get("position")
            if position is not None:
                assert 1 <= position <= len(case.text) + 1, case.text
