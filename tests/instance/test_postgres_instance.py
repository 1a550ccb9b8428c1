"""The repository's dagster.yaml keeps runs, event logs and schedules in the stack's PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
    materialize,
)
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

REPO = Path(__file__).resolve().parents[2]


@asset(partitions_def=DailyPartitionsDefinition(start_date="2026-01-01"), key=["lake", "probe"])
def probe(context) -> MaterializeResult:
    """A day's worth of nothing: the point is where the instance records it."""
    return MaterializeResult(metadata={"day": context.partition_key})


@pytest.fixture
def dagster_home(tmp_path: Path, stack_env: dict[str, str]) -> Path:
    shutil.copyfile(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    return tmp_path


def test_the_stack_serves_the_instance_over_its_unix_socket(stack_env: dict[str, str]) -> None:
    url = stack_env["PLATFORM_DAGSTER_PG_URL"]
    assert "/dagster?host=/" in url  # the `dagster` database that `services up` created
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("dagster",)


def test_runs_and_materializations_are_recorded_in_postgres(dagster_home: Path, stack_env: dict[str, str]) -> None:
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        result = materialize([probe], instance=instance, partition_key="2026-01-03")
        assert result.success
    # Read back with SQL, as any other machine sharing the database would see it.
    with psycopg.connect(stack_env["PLATFORM_DAGSTER_PG_URL"]) as conn:
        status = conn.execute("SELECT status FROM runs WHERE run_id = %s", (result.run_id,)).fetchone()
        events = conn.execute(
            "SELECT partition FROM event_logs WHERE run_id = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
            (result.run_id,),
        ).fetchall()
    assert status == ("SUCCESS",)
    assert events == [("2026-01-03",)]
    # A second instance object on the same settings (another process or machine) sees the run.
    with DagsterInstance.from_config(str(dagster_home)) as other:
        assert other.get_run_by_id(result.run_id).is_success
        latest = other.get_latest_materialization_event(AssetKey(["lake", "probe"]))
        assert latest is not None and latest.run_id == result.run_id
