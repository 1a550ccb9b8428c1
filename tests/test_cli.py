"""`data-platform` tells expected errors in one line on stderr with a non-zero exit;
`--debug` shows the traceback. A bad backfill range is refused before any run starts."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from dagster import DagsterInstance

from data_platform.cli import main

CLI = str(Path(sys.executable).with_name("data-platform"))


def one_line_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    """Run the command; assert it failed with exactly one line on stderr, and return it."""
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors exit directly
        code = exit_.code
    err = capsys.readouterr().err
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(("argv", "says"), [
    (["simulate", "--start", "2026-01-01", "--days", "-1"], "days must be >= 1"),
    (["simulate", "--start", "2026-01-01", "--days", "1", "--scale", "0"], "scale > 0"),
    (["restore", "--table", "bogus", "--start", "2026-01-01", "--end", "2026-01-02"], "no day column known for bogus"),
    (["restore", "--table", "raw.events", "--start", "2026-01-05", "--end", "2026-01-01"], "ends (2026-01-01) before it starts"),
    (["simulate", "--start", "yesterday", "--days", "1"], "invalid fromisoformat value"),
])  # fmt: skip
def test_bad_input_is_one_line(capsys: pytest.CaptureFixture, argv: list[str], says: str) -> None:
    assert says in one_line_error(capsys, argv)


def test_rollback_with_nothing_to_roll_back(
    capsys: pytest.CaptureFixture, stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/11"
    redis.Redis.from_url(url).flushdb()  # a database of this test's own: no version at all
    monkeypatch.setenv("PLATFORM_REDIS_URL", url)
    assert "nothing to roll back" in one_line_error(capsys, ["rollback"])


def test_unreachable_server_is_one_line_without_its_password(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_REDIS_URL", "redis://:s3cret-pass@127.0.0.1:1/0")
    err = one_line_error(capsys, ["rollback"])
    assert "s3cret-pass" not in err


def test_debug_shows_the_traceback() -> None:
    argv = ["restore", "--table", "bogus", "--start", "2026-01-01", "--end", "2026-01-02"]
    quiet = subprocess.run([CLI, *argv], capture_output=True, text=True, timeout=120)
    loud = subprocess.run([CLI, "--debug", *argv], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 2 and quiet.stderr.count("\n") == 1, quiet.stderr
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "ValueError" in loud.stderr


@pytest.mark.parametrize(("days", "says"), [
    ("2026-01-05...2026-01-02", "reversed"),
    ("2025-12-30...2026-01-02", "before the first partition 2026-01-01"),
    ("2026-01-02...{today}", "after the newest partition"),
    ("2026-01-02..2026-01-03", "YYYY-MM-DD...YYYY-MM-DD"),
])  # fmt: skip
def test_backfill_refuses_a_bad_range_before_any_run(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, days: str, says: str
) -> None:
    monkeypatch.setenv("PLATFORM_START_DATE", "2026-01-01")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    today = datetime.now(UTC).date()
    argv = ["backfill", "--select", "lake/exchange_rates", "--partition-range", days.format(today=today)]
    assert says in one_line_error(capsys, argv)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_runs() == []


def test_newest_partition_is_yesterday() -> None:
    from data_platform.assets.partitions import daily_partitions
    from data_platform.backfill import check_range

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    check_range(yesterday, yesterday, daily_partitions(yesterday - timedelta(days=3)))  # accepted
