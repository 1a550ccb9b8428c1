"""`raw.users` and `raw.orders`: incremental extracts of the app DB by `modified_at` window.

Each day D takes the rows modified in [D, D+1) into the lake, then merges them into the
warehouse by key; a row never replaces a newer version of itself, so a backfill of an old
day cannot undo later changes, and soft deletes (`deleted_at`) travel with the row.
"""


import pyarrow as pa
from dagster import AssetExecutionContext, AssetsDefinition

from data_platform.assets.raw import shapes as c
from data_platform.assets.raw.schemas import ORDERS, USERS
from data_platform.resources.app_db import AppDbResource

APP_TABLES = {"users": (USERS, "user_id"), "orders": (ORDERS, "order_id")}


def build_app_table_assets() -> list[AssetsDefinition]:
    """A lake asset and a warehouse loader per app table (a family generated from `APP_TABLES`)."""
    return [
        asset_def
        for name, (schema, key) in APP_TABLES.items()
        for asset_def in _incremental_pair(name, schema, key)
    ]


def _incremental_pair(name: str, schema: pa.Schema, key: str) -> list[AssetsDefinition]:
    @c.lake_asset(
        name,
        description=f"Rows of the app DB's `{name}` modified during the day, as Parquet in the lake.",
        retry_policy=c.SOURCE_RETRY,
        metadata={"partition_expr": "modified_at", "source": f"app.public.{name}"},
    )
    def extract(context: AssetExecutionContext, app_db: AppDbResource) -> pa.Table:
        return c.extract_app_table(context, app_db, name, schema, "modified_at")

    load = c.warehouse_loader(
        name,
        f"The app's `{name}` in the warehouse, merged by `{key}` where the incoming row is newer; "
        "replaying an old day changes nothing newer.",
        {"write_mode": "merge", "primary_key": [key], "version_column": "modified_at", "partition_expr": "modified_at",
         "not_null": [key, "modified_at"]},
    )
    return [extract, load]
