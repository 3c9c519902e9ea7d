"""Operator commands as a newcomer runs them."""

from __future__ import annotations

import json
from pathlib import Path

from stdnum.cn import uscc


def test_seed_demo_then_refuse_a_second_time(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "/01/06901234500011/21/LJ2026-0001" in result.output
    demo_keys = list((Path(app.instance_path) / "demo").glob("*.json"))
    assert len(demo_keys) >= 15
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0
    assert "already holds parties" in again.output
    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0


def test_bootstrap_registrar_validates_the_credit_code(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(
        args=["bootstrap-registrar", "--name", "测试局", "--uscc", "91310000MA1FL00010"]
    )
    assert bad.exit_code != 0
    assert "unified social credit code" in bad.output
    code = "11310000MB0123456" + uscc.calc_check_digit("11310000MB0123456")
    good = runner.invoke(args=["bootstrap-registrar", "--name", "测试局", "--uscc", code])
    assert good.exit_code == 0, good.output
    data = json.loads(good.output)
    assert data["party_id"].startswith("reg-")
    response = app.test_client().get(f"/parties/{data['party_id']}")
    assert response.get_json()["kind"] == "regulator"


def test_create_key_writes_a_private_file_once(app, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "staff.json"
    first = runner.invoke(args=["create-key", str(path)])
    assert first.exit_code == 0
    assert json.loads(first.output)["keyid"] == json.loads(path.read_text())["keyid"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert runner.invoke(args=["create-key", str(path)]).exit_code != 0
