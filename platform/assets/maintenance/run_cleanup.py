"""Deleting old runs from the Dagster instance: their records, event logs and compute logs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.local_compute_log_manager import LocalComputeLogManager

# Only finished runs: a queued or running run's records are still being written.
FINISHED = [DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED]
BATCH = 200


@dataclass(frozen=True)
class RunsRemoved:
    run_ids: list[str]  # runs deleted with their event logs
    logs_only: list[str]  # runs kept (they hold materializations) whose compute logs were deleted
    compute_log_bytes: int


def materialized(instance: DagsterInstance, run_id: str) -> bool:
    """Whether the run recorded an asset materialization (partition status and history use it)."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=1)
    return bool(records.records)


def folder_bytes(path: Path) -> int:
    """Total size of the files under `path` (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def compute_log_root(instance: DagsterInstance) -> Path | None:
    """The folder of local compute logs (`<root>/<run_id>/compute_logs/...`), if logs are local."""
    manager = instance.compute_log_manager
    if not isinstance(manager, LocalComputeLogManager):
        return None  # cloud log managers expire objects with bucket lifecycle rules instead
    return Path(manager.get_captured_local_path(["run", "step"], "out")).parent.parent


def finished_runs_before(instance: DagsterInstance, before: datetime) -> list[str]:
    """Ids of the finished runs created before `before`, oldest first, page by page."""
    found: list[str] = []
    cursor = None
    while True:
        records = instance.get_run_records(
            filters=RunsFilter(created_before=before, statuses=FINISHED), limit=BATCH, ascending=True, cursor=cursor
        )
        found.extend(r.dagster_run.run_id for r in records)
        if len(records) < BATCH:
            return found
        cursor = records[-1].dagster_run.run_id


def delete_runs_before(
    instance: DagsterInstance, before: datetime, keep: set[str], dry_run: bool = False,
    keep_materializing: bool = True,
) -> RunsRemoved:  # fmt: skip
    """Delete finished runs created before `before` (except `keep`), with their compute logs.

    Runs that materialized assets keep their records by default: Dagster derives partition
    status and asset history from them, and losing them would make old partitions look
    missing. Their compute logs, the bulk of the disk use, go either way.
    """
    run_ids = [run_id for run_id in finished_runs_before(instance, before) if run_id not in keep]
    logs_only = [run_id for run_id in run_ids if keep_materializing and materialized(instance, run_id)]
    deleted = [run_id for run_id in run_ids if run_id not in logs_only]
    root = compute_log_root(instance)
    log_bytes = sum(folder_bytes(root / run_id) for run_id in run_ids) if root else 0
    if not dry_run:
        for run_id in run_ids:
            instance.compute_log_manager.delete_logs(prefix=[run_id])
        for run_id in deleted:
            instance.delete_run(run_id)  # the run record and its event log
    return RunsRemoved(deleted, logs_only, log_bytes)
