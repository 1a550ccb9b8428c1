"""What every raw asset shares: group, owner, kinds, backfill and retry policies, and the
shapes of its lake and warehouse assets."""

import warnings
from typing import Any

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    BetaWarning,
    DailyPartitionsDefinition,
    RetryPolicy,
    asset,
)

from data_platform.resources.app_db import AppDbResource

# Single-run backfills and late-arrival mappings are deliberate; Dagster flags them as beta.
warnings.filterwarnings("ignore", message=".*(backfill_policy|allow_nonexistent_upstream_partitions).*", category=BetaWarning)

GROUP = "raw"
OWNERS = ["team:data-engineering"]
LAKE_KINDS = {"parquet", "s3"}
WAREHOUSE_KINDS = {"postgres", "redshift"}

# A 30-day backfill is one run: each asset handles a whole partition range at once.
BACKFILL = BackfillPolicy.single_run()

# Source reads meet flaky networks: retry the step with backoff before failing the run.
SOURCE_RETRY = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)


def lake_asset(name: str, partitions: DailyPartitionsDefinition | None = None, **kwargs: Any):
    """`@asset` for `["lake", name]`: Parquet through the lake IO manager."""
    return asset(
        key=["lake", name],
        partitions_def=partitions,
        backfill_policy=BACKFILL if partitions else None,
        group_name=GROUP,
        owners=OWNERS,
        io_manager_key="lake_io_manager",
        **{"kinds": LAKE_KINDS, **kwargs},
    )


def warehouse_loader(
    name: str, description: str, metadata: dict[str, Any], partitions: DailyPartitionsDefinition | None = None
) -> AssetsDefinition:
    """`raw.<name>` loaded from `lake/<name>`; the two IO managers do the work, like Airflow's
    S3 → Redshift COPY task, and the metadata says how the warehouse writes it."""

    @asset(
        key=["raw", name],
        description=description,
        ins={"rows": AssetIn(key=["lake", name])},
        partitions_def=partitions,
        backfill_policy=BACKFILL if partitions else None,
        group_name=GROUP,
        owners=OWNERS,
        kinds=WAREHOUSE_KINDS,
        io_manager_key="warehouse_io_manager",
        metadata=metadata,
    )
    def load(rows: pa.Table) -> pa.Table:
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
