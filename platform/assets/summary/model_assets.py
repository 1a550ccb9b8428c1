"""One asset per SQL model file, with its upstream edges, partitions and checks.

A file that does not load becomes a placeholder asset under the same key instead of
failing the whole code location: every other asset keeps working, the UI shows the
error (file and line) as the asset's description, and materializing it fails with that
message. The error is also logged when definitions load.
"""

import logging
from pathlib import Path

from dagster import (
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionMapping,
    asset,
)

from data_platform.assets import conventions
from data_platform.assets.summary.model_checks import check_specs, run_checks
from data_platform.assets.summary.model_file import DEFAULT_OWNER, SCHEMA, ModelError, SqlModel
from data_platform.assets.summary.model_write import write_full_refresh, write_window
from data_platform.resources.warehouse.resource import WarehouseResource

log = logging.getLogger(__name__)


def model_deps(model: SqlModel) -> list[AssetDep]:
    """Upstream assets: the `[schema, table]` of every table the SELECT reads. A table the
    header says `reads_ahead` N days maps partition D to its partitions D…D+N, so D is
    rebuilt when those later days change (e.g. orders created after midnight)."""
    return [
        AssetDep(AssetKey(list(table)), partition_mapping=_ahead(model.reads_ahead.get(".".join(table), 0)))
        for table in model.parsed.tables
        if table != (SCHEMA, model.name)
    ]


def _ahead(days: int) -> TimeWindowPartitionMapping | None:
    if not days:
        return None
    return TimeWindowPartitionMapping(start_offset=0, end_offset=days, allow_nonexistent_upstream_partitions=True)


def build_model_asset(model: SqlModel, partitions: DailyPartitionsDefinition) -> AssetsDefinition:
    key = AssetKey([SCHEMA, model.name])
    partitioned = model.partition_column is not None

    @asset(
        key=key,
        deps=model_deps(model),
        partitions_def=partitions if partitioned else None,
        backfill_policy=conventions.BACKFILL if partitioned else None,
        group_name=conventions.SUMMARY,
        owners=[model.owner],
        kinds=conventions.SQL_KINDS,
        description=model.description,
        code_version=model.code_version,
        check_specs=check_specs(model, key),
        metadata={
            "source_file": model.path.name,
            "write_mode": "partition" if partitioned else "full_refresh",
            "partition_column": model.partition_column or "",
            "grain": ", ".join(model.grain),
            "sql": MetadataValue.md(f"```sql\n{model.text}\n```"),
        },
    )
    def sql_model(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        window = (context.partition_time_window.start, context.partition_time_window.end) if partitioned else None
        with warehouse.get_connection() as conn:
            if window:
                counts = write_window(conn, warehouse.dialect, model, *window)
            else:
                counts = write_full_refresh(conn, warehouse.dialect, model)
            results = run_checks(conn, model, key, window)
        metadata = {**counts, "table": f"{SCHEMA}.{model.name}"}
        if window:
            metadata["window"] = f"[{window[0]:%Y-%m-%d}, {window[1]:%Y-%m-%d})"
        return MaterializeResult(metadata=metadata, check_results=results)

    return sql_model


def build_broken_asset(error: ModelError) -> AssetsDefinition:
    """A placeholder that shows the error in the UI and fails if materialized."""
    log.error("summary model %s does not load: %s", error.path, error)

    @asset(
        key=[SCHEMA, error.path.stem],
        group_name=conventions.SUMMARY,
        owners=[DEFAULT_OWNER],
        kinds={"sql"},
        tags={"model_status": "broken"},
        description=f"BROKEN MODEL, fix {error}",
        metadata={"model_error": str(error), "source_file": error.path.name, "line": error.line},
    )
    def broken_model() -> None:
        raise ModelError(error.path, error.line, error.message)

    return broken_model


def build_model_assets(
    models: list[SqlModel], errors: list[ModelError], partitions: DailyPartitionsDefinition
) -> list[AssetsDefinition]:
    return [*(build_model_asset(m, partitions) for m in models), *(build_broken_asset(e) for e in errors)]


def models_folder() -> Path:
    return Path(__file__).parent / "models"
