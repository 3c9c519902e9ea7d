"""Credit data exchange for public credit platforms: the JSON and CSV exports say what the log
says, and `verify-credit-export` finds any row edited afterwards."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.lifecycle.flow import World, assert_problem
from trace_service.interop.exchange import CSV_COLUMNS


def verify(app: Flask, path: Path) -> Any:
    return app.test_cli_runner().invoke(args=["verify-credit-export", str(path)])


def credit_json(client: FlaskClient, **query: Any) -> dict[str, Any]:
    response = client.get("/exchange/credit.json", query_string=query)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def credit_csv(client: FlaskClient, **query: Any) -> bytes:
    response = client.get("/exchange/credit.csv", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return response.data


def test_the_json_export_names_its_snapshot_and_says_what_the_log_says(
    app: Flask, client: FlaskClient, credit_story: World, tmp_path: Path
) -> None:
    export = credit_json(client)
    latest = client.get("/ratings").get_json()
    snapshot = latest["snapshot"]
    assert export["snapshot"] == {k: snapshot[k] for k in export["snapshot"]}
    assert (export["method_version"], export["rules_version"]) == (
        snapshot["method_version"], snapshot["rules_version"],
    )  # fmt: skip
    published = {u["unit_id"]: u for u in latest["units"]}
    assert {r["unit_id"] for r in export["ratings"]} == set(published)
    for row in export["ratings"]:
        unit = published[row["unit_id"]]
        assert (row["grade"], row["posterior_mean_per_million"], row["red_list"]) == (
            unit["grade"], unit["posterior_mean_per_million"], unit["red_list"],
        )  # fmt: skip
        assert [row["interval_low_per_million"], row["interval_high_per_million"]] == unit[
            "interval_per_million"
        ]
    company = next(r for r in export["ratings"] if r["role"] == "company")
    assert company["uscc"] and len(company["uscc"]) == 18  # enterprises by their USCC
    assert all(r["uscc"] is None for r in export["ratings"] if r["role"] == "staff")
    [listed] = export["black_list"]
    assert listed["unit_id"] == credit_story.last_mile.party_id
    outcomes = {(d["scope"], d["outcome"]) for d in export["decisions"]}
    assert outcomes == {("case", "upheld"), ("credit", "confirmed")}
    assert listed["decision_hash"] in {d["decision_hash"] for d in export["decisions"]}

    path = tmp_path / "credit.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    result = verify(app, path)
    assert result.exit_code == 0, result.output
    assert f"match snapshot {snapshot['index']}" in result.output


def test_the_csv_opens_in_excel_and_verifies_until_a_grade_is_edited(
    app: Flask, client: FlaskClient, credit_story: World, tmp_path: Path
) -> None:
    data = credit_csv(client)
    assert data.startswith("\ufeff".encode())  # the BOM Excel needs for UTF-8
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(csv.reader(io.StringIO(text)).__next__()) == CSV_COLUMNS  # header first
    export = credit_json(client)
    assert [r["record"] for r in rows].count("rating") == len(export["ratings"])
    assert {r["snapshot_content_hash"] for r in rows} == {export["snapshot"]["content_hash"]}
    assert any(r["name"] == "顺达快递" for r in rows)  # Chinese names survive

    path = tmp_path / "credit.csv"
    path.write_bytes(data)
    assert verify(app, path).exit_code == 0

    # Someone "improves" one unit's grade in a spreadsheet.
    number, row = next((n, r) for n, r in enumerate(rows, 2) if r["record"] == "rating")
    published, better = row["grade"], "A" if row["grade"] != "A" else "B"
    row["grade"] = better
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text("\ufeff" + out.getvalue(), encoding="utf-8")
    result = verify(app, path)
    assert result.exit_code == 1
    assert f"row {number} (rating {row['unit_id']}): grade is '{better}'" in result.output
    assert f"the snapshot says '{published}'" in result.output


def test_a_forged_decision_or_snapshot_is_found(
    app: Flask, client: FlaskClient, credit_story: World, tmp_path: Path
) -> None:
    export = credit_json(client)
    export["decisions"][0]["outcome"] = "reversed"  # it was upheld
    export["black_list"][0]["decision_hash"] = "0" * 64
    export["ratings"] = export["ratings"][1:]  # a unit left out
    left_out = credit_json(client)["ratings"][0]
    export["red_list"].append(
        {k: left_out[k] for k in ("unit_id", "name", "uscc", "role", "grade")}
    )
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    result = verify(app, path)
    assert result.exit_code == 1
    assert "decisions[0]" in result.output and "outcome is 'reversed'" in result.output
    assert "black_list[0]" in result.output and "is no logged decision" in result.output
    assert "the export has no row for it" in result.output
    unit = left_out["unit_id"]
    assert f"red_list[0] (red_list {unit}): {unit} is not on the red list" in result.output

    export = credit_json(client)
    export["snapshot"]["content_hash"] = "f" * 64
    path.write_text(json.dumps(export), encoding="utf-8")
    result = verify(app, path)
    assert result.exit_code == 1
    assert "snapshot_content_hash" in result.output


def test_an_earlier_snapshot_can_be_exported_and_a_missing_one_is_a_problem(
    client: FlaskClient, credit_story: World
) -> None:
    index = credit_json(client)["snapshot"]["index"]
    assert credit_json(client, snapshot=index)["snapshot"]["index"] == index
    assert_problem(
        client.get(f"/exchange/credit.json?snapshot={index + 1}"), 404, "unknown_snapshot"
    )
    assert_problem(client.get("/exchange/credit.csv?snapshot=-1"), 422, "validation_failed")


def test_no_snapshot_no_export(client: FlaskClient) -> None:
    assert_problem(client.get("/exchange/credit.json"), 404, "no_snapshot")
    assert_problem(client.get("/exchange/credit.csv"), 404, "no_snapshot")
