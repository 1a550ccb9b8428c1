"""Backfills from the command line: a date range in one run, and one failed day rerun alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from dagster import DagsterInstance
from e2e_servers import REPO

pytestmark = pytest.mark.slow

SELECT = "lake/exchange_rates,raw/exchange_rates"


@pytest.fixture(scope="module")
def cli_env(make_database, stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("cli-dagster-home")
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLATFORM_")}
    env.update(stack_env, DAGSTER_HOME=str(home), PLATFORM_START_DATE="2026-01-01", PLATFORM_EXECUTOR="in_process",
               PLATFORM_LAKE_URL=tmp_path_factory.mktemp("cli-lake").as_uri(),
               PLATFORM_WAREHOUSE_URL=make_database("cli_wh"), PLATFORM_APP_DB_URL=make_database("cli_app"),
               PLATFORM_DAGSTER_PG_URL=make_database("cli_dagster"))
    return env


def materialize(env: dict[str, str], *partition_args: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "dagster"), "asset", "materialize",
               "-m", "data_platform.definitions", "--select", SELECT, *partition_args]
    return subprocess.run(command, env=env, cwd=env["DAGSTER_HOME"], capture_output=True, text=True, timeout=300)


def rate_days(env: dict[str, str]) -> list[date]:
    with psycopg.connect(env["PLATFORM_WAREHOUSE_URL"]) as conn:
        return [row[0] for row in conn.execute(
            "SELECT rate_date FROM raw.exchange_rates WHERE currency = 'KRW' ORDER BY 1").fetchall()]


def test_a_partition_range_is_one_run(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    done = materialize(cli_env, "--partition-range", "2026-01-01...2026-01-05")
    assert done.returncode == 0, done.stderr[-3000:]
    assert rate_days(cli_env) == [date(2026, 1, day) for day in range(1, 6)]
    monkeypatch.setenv("PLATFORM_DAGSTER_PG_URL", cli_env["PLATFORM_DAGSTER_PG_URL"])
    with DagsterInstance.from_config(cli_env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1
        assert (runs[0].tags["dagster/asset_partition_range_start"], runs[0].tags["dagster/asset_partition_range_end"]) == ("2026-01-01", "2026-01-05")


def test_a_failed_day_is_rerun_alone(cli_env: dict[str, str]) -> None:
    broken = {**cli_env, "PLATFORM_RATES_API_URL": "http://127.0.0.1:9/"}  # nothing listens on port 9
    failed = materialize(broken, "--partition", "2026-01-08")
    assert failed.returncode != 0
    assert date(2026, 1, 8) not in rate_days(cli_env)
    rerun = materialize(cli_env, "--partition", "2026-01-08")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert rate_days(cli_env) == [*(date(2026, 1, day) for day in range(1, 6)), date(2026, 1, 8)]
