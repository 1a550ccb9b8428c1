"""Instance cleanup on a real on-disk Dagster instance: old runs, compute logs, size budgets."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, asset, materialize

from data_platform.assets.maintenance.cleanup import instance_cleanup
from data_platform.assets.maintenance.run_cleanup import compute_log_root
from data_platform.resources.lake.resource import LakeResource

KB = 1024


@asset
def chatty() -> int:
    """Writes to stdout, so each run leaves compute logs behind."""
    print("x" * 20 * KB)
    return 1


@pytest.fixture
def instance(tmp_path: Path):
    (tmp_path / "home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "home")) as temp:
        yield temp


def cleanup(instance: DagsterInstance, data: Path, **config) -> dict:
    config = {"data_dir": str(data), **config}
    result = materialize([instance_cleanup], instance=instance, resources={"lake": LakeResource(url=(data / "lake").as_uri())},
                         run_config={"ops": {"maintenance__instance_cleanup": {"config": config}}})  # fmt: skip
    assert result.success
    meta = result.asset_materializations_for_node("maintenance__instance_cleanup")[0].metadata
    return {name: value.value for name, value in meta.items()}


def past_runs(instance: DagsterInstance, count: int) -> list[str]:
    return [materialize([chatty], instance=instance).run_id for _ in range(count)]


def test_runs_older_than_the_age_go_with_their_logs(instance: DagsterInstance, tmp_path: Path) -> None:
    runs = past_runs(instance, 3)
    logs = compute_log_root(instance)
    assert all((logs / run_id).is_dir() for run_id in runs)
    kept = cleanup(instance, tmp_path / "data", run_max_age_days=1)  # all runs are minutes old
    assert kept["runs_deleted"] == 0 and len(instance.get_run_records()) == 4

    history = cleanup(instance, tmp_path / "data", run_max_age_days=0, dry_run=True)
    assert history["runs_deleted"] == 0 and history["runs_kept_for_asset_history"] == 4  # all materialized

    dry = cleanup(instance, tmp_path / "data", run_max_age_days=0, dry_run=True, keep_materializing_runs=False)
    assert dry["runs_deleted"] == 5 and len(instance.get_run_records()) == 6

    meta = cleanup(instance, tmp_path / "data", run_max_age_days=0, keep_materializing_runs=False)
    assert meta["runs_deleted"] == 6  # three runs of `chatty` and three earlier cleanups
    assert meta["run_compute_log_bytes_deleted"] >= 3 * 20 * KB
    remaining = instance.get_run_records()
    assert len(remaining) == 1 and remaining[0].dagster_run.run_id not in runs  # only this cleanup's run
    assert not any((logs / run_id).exists() for run_id in runs)
    assert all(instance.all_logs(run_id) == [] for run_id in runs)  # event logs gone too


def write(path: Path, size: int, age_days: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"r" * size)
    stamp = (datetime.now(UTC) - timedelta(days=age_days)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def test_data_folder_over_budget_loses_its_oldest_reports_first(instance: DagsterInstance, tmp_path: Path) -> None:
    data, today = tmp_path / "data", datetime.now(UTC).date()
    lake = data / "lake"
    old = [write(lake / "incidents" / f"date={today - timedelta(days=40 - i)}" / "run.json", 100 * KB) for i in range(3)]
    quarantine = write(lake / "quarantine/clickstream" / f"date={today - timedelta(days=30)}" / "part-00000.parquet", 100 * KB)
    recent = write(lake / "incidents" / f"date={today}" / "run.json", 100 * KB)
    precious = write(lake / "raw/events/date=2020-01-01/part-00000.parquet", 100 * KB)

    meta = cleanup(instance, data, data_budget_mb=350 * KB / (1024 * KB))
    # 600 KB in reports and data, budget 350 KB: the three oldest reports go (oldest day first).
    assert [p.exists() for p in old] == [False, False, False]
    assert quarantine.exists() and recent.exists() and precious.exists()
    assert meta["files_trimmed"] == 3 and meta["bytes_trimmed"] == 300 * KB
    assert meta["data_dir_bytes"] == 300 * KB and not meta["over_budget"]
    assert not (lake / "incidents" / f"date={today - timedelta(days=40)}").exists()  # no empty folders left

    meta = cleanup(instance, data, data_budget_mb=50 * KB / (1024 * KB))
    assert not quarantine.exists() and recent.exists() and precious.exists()  # recent reports never go
    assert meta["over_budget"] and meta["data_dir_bytes"] == 200 * KB


def test_old_materializing_runs_keep_their_records_but_lose_compute_logs(instance: DagsterInstance, tmp_path: Path) -> None:
    runs = past_runs(instance, 2)
    meta = cleanup(instance, tmp_path / "data", run_max_age_days=0)
    assert meta["runs_deleted"] == 0 and meta["runs_kept_for_asset_history"] == 2
    assert not any((compute_log_root(instance) / run_id).exists() for run_id in runs)
    assert instance.get_latest_materialization_event(chatty.key).run_id == runs[-1]


def test_dagster_home_over_budget_loses_the_oldest_compute_logs(instance: DagsterInstance, tmp_path: Path) -> None:
    runs = past_runs(instance, 2)
    logs = compute_log_root(instance)
    home_without_logs = sum(p.stat().st_size for p in Path(instance.root_directory).rglob("*")
                            if p.is_file() and "compute_logs" not in p.parts)  # fmt: skip
    budget_mb = (home_without_logs + 5 * KB) / (1024 * KB)  # room for databases, not for the logs
    meta = cleanup(instance, tmp_path / "data", dagster_home_budget_mb=budget_mb)
    assert meta["runs_deleted"] == 0 and meta["files_trimmed"] >= 2
    assert not any(list((logs / run_id).glob("compute_logs/*.out")) for run_id in runs)
    assert len(instance.get_run_records()) == 3  # the runs themselves stay
