"""The instance cleanup asset: old runs and their logs go, and disk use stays under budget."""

# No `from __future__ import annotations`: Dagster resolves the config class from the
# annotation at definition time.


from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from data_platform.assets import conventions
from data_platform.assets.maintenance.disk_budget import (
    Removed,
    compute_log_files,
    lake_report_files,
    trim_to_budget,
)
from data_platform.assets.maintenance.run_cleanup import (
    compute_log_root,
    delete_runs_before,
    folder_bytes,
)
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.settings import data_dir

MB = 1024 * 1024
LISTED = 50


class CleanupConfig(Config):
    run_max_age_days: float = Field(default=30, description="Finished runs older than this are deleted.")
    keep_materializing_runs: bool = Field(
        default=True, description="Keep the records (not the compute logs) of old runs that materialized assets."
    )
    dagster_home_budget_mb: float = Field(default=2048, description="Size budget of DAGSTER_HOME.")
    data_budget_mb: float = Field(default=20480, description="Size budget of the platform's data folder.")
    keep_reports_days: int = Field(default=14, description="Incidents and quarantine of these last days are never trimmed.")
    data_dir: str | None = Field(default=None, description="The data folder (default: PLATFORM_DATA_DIR or .data).")
    dry_run: bool = Field(default=False, description="Report what would go without deleting anything.")


def _local_lake_root(lake: LakeResource) -> Path | None:
    uri = lake.uri("")
    return Path(uri.removeprefix("file://")) if uri.startswith("file://") else None


def _listing(removed: list[Removed]) -> MetadataValue:
    lines = [f"- {r.path} ({r.bytes} B)" for r in removed[:LISTED]]
    more = [f"- … and {len(removed) - LISTED} more"] if len(removed) > LISTED else []
    return MetadataValue.md("\n".join(lines + more) or "nothing")


@asset(key=["maintenance", "instance_cleanup"], group_name=conventions.MAINTENANCE, owners=conventions.OWNERS, kinds={"dagster"})
def instance_cleanup(context: AssetExecutionContext, config: CleanupConfig, lake: LakeResource) -> MaterializeResult:
    """Disk use of the orchestrator after deleting old runs, their event and compute logs, and
    (beyond the size budgets) the oldest compute logs, incident reports and quarantine files."""
    instance, own_run = context.instance, {context.run_id}
    before = datetime.now(UTC) - timedelta(days=config.run_max_age_days)
    runs = delete_runs_before(instance, before, own_run, config.dry_run, config.keep_materializing_runs)
    context.log.info(f"deleted {len(runs.run_ids)} runs created before {before.isoformat()}")

    home, data = Path(instance.root_directory), Path(config.data_dir or data_dir())
    log_root = compute_log_root(instance)
    trimmed = trim_to_budget(home, int(config.dagster_home_budget_mb * MB),
                             compute_log_files(log_root, own_run), config.dry_run)  # fmt: skip
    keep_from = datetime.now(UTC).date() - timedelta(days=config.keep_reports_days)
    candidates = [*compute_log_files(log_root, own_run), *lake_report_files(_local_lake_root(lake), keep_from)]
    trimmed += trim_to_budget(data, int(config.data_budget_mb * MB), candidates, config.dry_run)

    home_bytes, data_bytes = folder_bytes(home), folder_bytes(data)
    return MaterializeResult(metadata={
        "runs_deleted": len(runs.run_ids),
        "runs_kept_for_asset_history": len(runs.logs_only),
        "run_compute_log_bytes_deleted": runs.compute_log_bytes,
        "files_trimmed": len(trimmed),
        "bytes_trimmed": sum(r.bytes for r in trimmed),
        "dagster_home_bytes": home_bytes,
        "data_dir_bytes": data_bytes,
        "over_budget": home_bytes > config.dagster_home_budget_mb * MB or data_bytes > config.data_budget_mb * MB,
        "deleted_runs": MetadataValue.md("\n".join(f"- {r}" for r in runs.run_ids[:LISTED]) or "nothing"),
        "trimmed": _listing(trimmed),
        "dry_run": config.dry_run,
    })  # fmt: skip
