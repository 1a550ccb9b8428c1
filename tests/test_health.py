"""`data-platform health` names each broken dependency and answers fast."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from data_platform.cli import main
from data_platform.health import report, run_checks
from data_platform.local.processes import free_port
from data_platform.resources.settings import PlatformSettings


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def by_name(settings: PlatformSettings, ui_url: str) -> dict[str, bool]:
    return {check.name: check.ok for check in run_checks(settings, ui_url)}


def test_reachable_stores_are_healthy(settings: PlatformSettings, dagster_home: Path) -> None:
    ok = by_name(settings, f"http://127.0.0.1:{free_port()}")
    assert ok["warehouse"] and ok["app_db"] and ok["redis"] and ok["lake"] and ok["disk"]
    # Nothing runs the UI, the daemon or any materialization here: each is named as failing.
    assert not ok["webserver"] and not ok["daemon"] and not ok["freshness"]


def test_each_broken_dependency_is_named_quickly(settings: PlatformSettings, dagster_home: Path) -> None:
    dead = f"127.0.0.1:{free_port()}"
    broken = dataclasses.replace(
        settings,
        redis_url=f"redis://{dead}/0",
        warehouse_url=f"postgresql://user:pw-secret@{dead}/warehouse",
    )
    started = time.monotonic()
    result = report(run_checks(broken, f"http://{dead}"))
    assert time.monotonic() - started < 5
    assert not result["healthy"]
    assert {"redis", "warehouse", "webserver"} <= set(result["failing"])
    assert "app_db" not in result["failing"]
    assert "pw-secret" not in json.dumps(result)


def test_cli_exit_code_and_json(stack_env: dict[str, str], dagster_home: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["health", "--ui-url", f"http://127.0.0.1:{free_port()}"])
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and not result["healthy"] and "webserver" in result["failing"]
