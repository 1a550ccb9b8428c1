"""Real environment variables win over `.env` for every entry point, Dagster's CLI included
(it loads `.env` from its working directory over the environment)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from dotenv import dotenv_values

from data_platform.local.stack import write_env_file

BIN = Path(sys.executable).parent
SELECT = "lake/exchange_rates,raw/exchange_rates"


def test_env_file_values_defer_to_real_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    write_env_file(env_file, {"PLATFORM_REDIS_URL": "redis://127.0.0.1:1/0"})
    monkeypatch.delenv("PLATFORM_REDIS_URL", raising=False)
    assert dotenv_values(env_file)["PLATFORM_REDIS_URL"] == "redis://127.0.0.1:1/0"
    monkeypatch.setenv("PLATFORM_REDIS_URL", "redis://real:6379/0")
    assert dotenv_values(env_file)["PLATFORM_REDIS_URL"] == "redis://real:6379/0"


def rate_days(url: str) -> list[str]:
    """Days in `raw.exchange_rates`, none when the table does not exist."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('raw.exchange_rates')").fetchone()[0] is None:
            return []
        rows = conn.execute("SELECT DISTINCT rate_date::text FROM raw.exchange_rates ORDER BY 1").fetchall()
        return [day for (day,) in rows]


@pytest.mark.slow
def test_dagster_cli_and_backfill_use_the_real_variable_over_env_file(
    stack_env: dict[str, str], make_database, tmp_path: Path
) -> None:
    real_warehouse, file_warehouse = make_database("real_wh"), make_database("file_wh")
    project = tmp_path / "project"
    project.mkdir()
    write_env_file(project / ".env", {
        **stack_env, "PLATFORM_WAREHOUSE_URL": file_warehouse, "PLATFORM_START_DATE": "2026-01-01",
        "PLATFORM_LAKE_URL": (tmp_path / "lake").as_uri(), "PLATFORM_EXECUTOR": "in_process",
    })  # fmt: skip
    # A plain shell: only the real variable and what any shell has; the rest comes from the
    # project's .env (named, so a developer's own `<repo>/.env` never leaks in).
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": os.environ.get("HOME", str(tmp_path)),
           "DAGSTER_HOME": str(tmp_path / "home"), "PLATFORM_WAREHOUSE_URL": real_warehouse,
           "PLATFORM_ENV_FILE": str(project / ".env")}  # fmt: skip
    (tmp_path / "home").mkdir()

    def run(*argv: str) -> None:
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]

    run(str(BIN / "dagster"), "asset", "materialize", "-m", "data_platform.definitions",
        "--select", SELECT, "--partition", "2026-01-02")  # fmt: skip
    run(str(BIN / "python"), "-m", "data_platform.cli", "backfill", "--select", SELECT,
        "--partition-range", "2026-01-03...2026-01-04")  # fmt: skip
    assert rate_days(real_warehouse) == ["2026-01-02", "2026-01-03", "2026-01-04"]
    assert rate_days(file_warehouse) == []
