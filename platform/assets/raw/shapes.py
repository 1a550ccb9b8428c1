"""The shapes of raw assets: a lake asset per source, a warehouse loader per lake asset, and the
retry policy of source reads. Group, owner, kinds and backfill policy come from the conventions;
daily assets get their partitions from the layer's builder (`raw_definitions`)."""

from typing import Any

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetsDefinition,
    Backoff,
    RetryPolicy,
    asset,
)

from data_platform.assets import conventions
from data_platform.resources.app_db import AppDbResource
from data_platform.resources.lake.files import LakeFiles

# Source reads meet flaky networks: retry the step with backoff before failing the run.
SOURCE_RETRY = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)


def lake_asset(name: str, daily: bool = True, **kwargs: Any):
    """`@asset` for `["lake", name]`: Parquet through the lake IO manager."""
    return asset(
        key=["lake", name],
        backfill_policy=conventions.BACKFILL if daily else None,
        group_name=conventions.RAW,
        owners=conventions.OWNERS,
        io_manager_key="lake_io_manager",
        **{"kinds": conventions.LAKE_KINDS, **kwargs},
    )


def warehouse_loader(name: str, description: str, metadata: dict[str, Any], daily: bool = True) -> AssetsDefinition:
    """`raw.<name>` loaded from `lake/<name>`'s files where they lie, like Airflow's S3 → Redshift
    COPY task: the lake IO manager hands over the partitions' files (`LakeFiles`), the warehouse
    IO manager streams them into PostgreSQL or COPYs them from S3 into Redshift, and records
    their URIs as `loaded_from`. The metadata says how the warehouse writes the rows."""

    @asset(
        key=["raw", name],
        description=description,
        ins={"rows": AssetIn(key=["lake", name])},
        backfill_policy=conventions.BACKFILL if daily else None,
        group_name=conventions.RAW,
        owners=conventions.OWNERS,
        kinds=conventions.WAREHOUSE_KINDS,
        io_manager_key="warehouse_io_manager",
        metadata=metadata,
    )
    def load(rows: LakeFiles) -> LakeFiles:
        return rows

    return load


def extract_app_table(
    context: AssetExecutionContext, app_db: AppDbResource, name: str, schema: pa.Schema, window_column: str | None = None
) -> pa.Table:
    """Read `schema`'s columns of the app table (the run's window of `window_column`, if given)."""
    window = None
    if window_column:
        time_window = context.partition_time_window
        window = (time_window.start, time_window.end)
    table, extra = app_db.extract(name, schema, window_column, window)
    if extra:
        # New source columns are not an error: they are reported until the platform reads them.
        context.log.warning(f"app.public.{name} has columns the platform ignores: {extra}")
        context.add_output_metadata({"ignored_source_columns": ", ".join(extra)})
    return table
