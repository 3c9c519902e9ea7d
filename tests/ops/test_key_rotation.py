"""Log key rotation: checkpoints signed before it stay verifiable by the retired key, running
workers sign with the new key at once, and a checkpoint signed by the old key after its range
is reported by verify-log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.lifecycle.flow import build_world, full_journey, log_size
from trace_service.ledger.checkpoint import (
    InvalidCheckpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
)


def _verify_log(app) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["verify-log"])
    return result.exit_code, result.output


def test_rotation_keeps_old_checkpoints_verifiable(app, client, make_party, make_app):
    # A second app over the same instance folder and database stands for another gunicorn
    # worker that was running before the rotation.
    worker = make_app()
    world = build_world(client, make_party)
    full_journey(world, "K0001", "00/106141412345678908")
    old_key = app.extensions["trace_log_key"]
    old_vkey, old_private = old_key.vkey, old_key.private
    rotated_at = log_size(client)

    result = app.test_cli_runner().invoke(args=["rotate-log-key"])
    assert result.exit_code == 0, result.output
    assert f"signed sizes 0..{rotated_at}" in result.output
    new_vkey = client.get("/log/key").get_data(as_text=True).strip()
    assert new_vkey != old_vkey
    assert Path(app.instance_path, "log_keys").is_dir()
    # The handover: the latest checkpoint verifies with either key straight away.
    note = client.get("/checkpoint").get_data(as_text=True)
    assert verify_checkpoint(note, old_vkey).size == verify_checkpoint(note, new_vkey).size

    # The other worker signs its next checkpoint with the new key, without a restart.
    world.client = worker.test_client()
    full_journey(world, "K0002", "00/106141412345678915")
    latest = client.get("/checkpoint").get_data(as_text=True)
    assert verify_checkpoint(latest, new_vkey).size == rotated_at + 8
    try:
        verify_checkpoint(latest, old_vkey)
        raise AssertionError("the retired key signed after its range")
    except InvalidCheckpoint:
        pass

    keys = client.get("/log/keys").get_json()
    assert [(k["vkey"], k["first_size"], k["last_size"], k["current"]) for k in keys] == [
        (old_vkey, 0, rotated_at, False),
        (new_vkey, rotated_at, None, True),
    ]
    assert keys[0]["retired_at"] and keys[1]["retired_at"] is None
    assert _verify_log(app)[0] == 0

    # The retired key (say, stolen) signs a checkpoint beyond its range: reported.
    size = log_size(client)
    with app.extensions["trace_engine"].begin() as conn:
        stored = conn.execute(text("SELECT note FROM checkpoints WHERE size = :s"), {"s": size})
        head = parse_checkpoint(stored.scalar_one())
        forged = sign_checkpoint(head, old_key.name, old_private)
        conn.execute(
            text("UPDATE checkpoints SET note = :n WHERE size = :s"), {"n": forged, "s": size}
        )
    code, output = _verify_log(app)
    assert code == 1
    assert f"checkpoints size={size}: bad_checkpoint_signature" in output


def test_two_rotations_without_appends_between(app, client, make_party):
    world = build_world(client, make_party)
    full_journey(world)
    runner = app.test_cli_runner()
    vkeys = [client.get("/log/key").get_data(as_text=True).strip()]
    for _ in range(2):
        assert runner.invoke(args=["rotate-log-key"]).exit_code == 0
        vkeys.append(client.get("/log/key").get_data(as_text=True).strip())
    size = log_size(client)
    ranges = [(k["first_size"], k["last_size"]) for k in client.get("/log/keys").get_json()]
    assert ranges == [(0, size), (size, size), (size, None)]
    note = client.get("/checkpoint").get_data(as_text=True)
    for vkey in vkeys:  # co-signed at each handover
        assert verify_checkpoint(note, vkey).size == size
    assert _verify_log(app)[0] == 0


def test_rotation_of_an_empty_log(app, client):
    assert app.test_cli_runner().invoke(args=["rotate-log-key"]).exit_code == 0
    [old, new] = client.get("/log/keys").get_json()
    assert (old["first_size"], old["last_size"], new["first_size"]) == (0, 0, 0)
    assert _verify_log(app)[0] == 0
