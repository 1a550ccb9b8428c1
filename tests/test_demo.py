"""`make demo` lives in the present: the days ending yesterday, every partition materialized;
a second run the same day starts no run (so no Spark job) and changes no row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from dagster import AssetKey, DagsterInstance
from dotenv import dotenv_values

TABLES = ["raw.orders", "raw.events", "analytics.daily_revenue", "analytics.channel_summary"]


def snapshot(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}  # noqa: S608


@pytest.mark.slow
def test_demo_twice_the_same_day(make_database, stack_env, tmp_path: Path, monkeypatch) -> None:
    from data_platform import demo

    monkeypatch.setenv("PLATFORM_ENV_FILE", str(tmp_path / ".env"))  # its `.env` goes here
    warehouse = make_database("demo_wh")
    for name, value in {
        "PLATFORM_LAKE_URL": (tmp_path / "lake").as_uri(), "PLATFORM_WAREHOUSE_URL": warehouse,
        "PLATFORM_APP_DB_URL": make_database("demo_app"), "PLATFORM_SPARK_MASTER": "local[2]",
        "PLATFORM_EXECUTOR": "in_process", "DAGSTER_HOME": str(tmp_path / "home"),
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLATFORM_START_DATE", raising=False)
    assert demo.run_demo(days=2, scale=0.05) == 0
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    pinned = dotenv_values(tmp_path / ".env")
    assert pinned["PLATFORM_START_DATE"] == (yesterday - timedelta(days=1)).isoformat()
    assert pinned["DAGSTER_HOME"] == str(tmp_path / "home")
    instance = DagsterInstance.get()
    days = {(yesterday - timedelta(days=n)).isoformat() for n in range(2)}
    for key in (["raw", "orders"], ["raw", "events"], ["analytics", "channel_summary"], ["serving", "user_features"]):
        assert days <= instance.get_materialized_partitions(AssetKey(key)), key
    runs, rows = len(instance.get_run_records()), snapshot(warehouse)

    assert demo.run_demo(days=2, scale=0.05) == 0
    assert len(instance.get_run_records()) == runs  # no run, so no Spark job
    assert snapshot(warehouse) == rows
