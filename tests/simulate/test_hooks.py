"""How `flask simulate` finds the service's own operations to run alongside the simulation."""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime

import pytest

from trace_service.simulate.cli import find_hook

MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def test_a_missing_module_or_name_means_no_hook():
    assert find_hook("trace_service.simulate.no_such_module", "trace_pending") is None
    assert find_hook("trace_service.simulate.params", "no_such_function") is None


def test_a_module_that_fails_to_import_is_an_error_not_an_absence(monkeypatch, tmp_path):
    (tmp_path / "half_written_hooks.py").write_text("import a_dependency_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="a_dependency_nobody_installed"):
        find_hook("half_written_hooks", "trace_pending")


def test_a_snapshot_taking_as_of_and_now_gets_the_month_boundary_for_both(monkeypatch):
    calls = []
    module = types.ModuleType("fake_snapshots")
    module.take_snapshot = lambda session, ctx, as_of, now, params=None: calls.append(  # type: ignore[attr-defined]
        (session, ctx, as_of, now)
    )
    monkeypatch.setitem(sys.modules, "fake_snapshots", module)
    hook = find_hook("fake_snapshots", "take_snapshot")
    assert hook is not None
    hook("session", "ctx", MOMENT)  # type: ignore[arg-type]
    assert calls == [("session", "ctx", MOMENT, MOMENT)]


def test_a_three_argument_hook_is_called_as_it_is(monkeypatch):
    calls = []
    module = types.ModuleType("fake_operations")
    module.trace_pending = lambda session, ctx, now: calls.append(now)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_operations", module)
    hook = find_hook("fake_operations", "trace_pending")
    assert hook is not None
    hook("session", "ctx", MOMENT)  # type: ignore[arg-type]
    assert calls == [MOMENT]
