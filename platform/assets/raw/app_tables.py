"""`raw.users` and `raw.orders`: incremental extracts of the app DB by `modified_at` window.

Each day D takes the rows modified in [D, D+1) into the lake, then merges them into the
warehouse by key; a row never replaces a newer version of itself, so a backfill of an old
day cannot undo later changes, and soft deletes (`deleted_at`) travel with the row.
"""


import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetsDefinition,
    DailyPartitionsDefinition,
    asset,
)

from data_platform.assets.raw import conventions as c
from data_platform.assets.raw.schemas import ORDERS, USERS
from data_platform.resources.app_db import AppDbResource

APP_TABLES = {"users": (USERS, "user_id"), "orders": (ORDERS, "order_id")}


def build_app_table_assets(partitions: DailyPartitionsDefinition) -> list[AssetsDefinition]:
    return [
        asset_def
        for name, (schema, key) in APP_TABLES.items()
        for asset_def in _incremental_pair(name, schema, key, partitions)
    ]


def _incremental_pair(
    name: str, schema: pa.Schema, key: str, partitions: DailyPartitionsDefinition
) -> list[AssetsDefinition]:
    @asset(
        key=["lake", name],
        description=f"Rows of the app DB's `{name}` modified during the day, as Parquet in the lake.",
        partitions_def=partitions,
        group_name=c.GROUP,
        owners=c.OWNERS,
        kinds=c.LAKE_KINDS,
        io_manager_key="lake_io_manager",
        backfill_policy=c.BACKFILL,
        retry_policy=c.SOURCE_RETRY,
        metadata={"partition_column": "modified_at", "source": f"app.public.{name}"},
    )
    def extract(context: AssetExecutionContext, app_db: AppDbResource) -> pa.Table:
        window = context.partition_time_window
        table, extra = app_db.extract(name, schema, "modified_at", (window.start, window.end))
        if extra:
            # New source columns are not an error: they are reported until the platform reads them.
            context.log.warning(f"app.public.{name} has columns the platform ignores: {extra}")
            context.add_output_metadata({"ignored_source_columns": ", ".join(extra)})
        return table

    @asset(
        key=["raw", name],
        description=(
            f"The app's `{name}` in the warehouse, merged by `{key}` where the incoming row is "
            "newer; replaying an old day changes nothing newer."
        ),
        ins={"rows": AssetIn(key=["lake", name])},
        partitions_def=partitions,
        group_name=c.GROUP,
        owners=c.OWNERS,
        kinds=c.WAREHOUSE_KINDS,
        io_manager_key="warehouse_io_manager",
        backfill_policy=c.BACKFILL,
        metadata={
            "write_mode": "merge",
            "primary_key": [key],
            "version_column": "modified_at",
            "partition_column": "modified_at",
        },
    )
    def load(rows: pa.Table) -> pa.Table:
        return rows

    return [extract, load]
