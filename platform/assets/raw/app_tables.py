"""`raw.users` and `raw.orders`: complete incremental extracts of the app DB.

Partition D reads the rows modified in `[D − margin, D + 1)`: the margin re-reads rows
committed late with an earlier `modified_at` (merging them again changes nothing). The
first partition has no lower bound: the initial snapshot of the table. A daily key
reconciliation finds rows hard-deleted from the source and records them as deleted
(`deleted_at` = end of the window). The lake keeps every version a day's extract has seen:
a rerun adds what is new and never drops what was there. The warehouse merges by key where
the incoming row is newer, and reports the data days (`created_at` dates) of the rows it
changes, so corrections rebuild the days they belong to: first as an observation recorded
before the merge (write-ahead: a run killed after the merge's COMMIT, before its
materialization is recorded, has still announced what it changed), then on the
materialization.
"""

from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetObservation,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from data_platform.assets import conventions
from data_platform.assets.partitions import partition_days
from data_platform.assets.raw import shapes as c
from data_platform.assets.raw import source_changes as changes
from data_platform.assets.raw.schemas import ORDERS, USERS
from data_platform.resources.app_db import AppDbResource
from data_platform.resources.lake.files import LakeFiles
from data_platform.resources.lake.io_manager import LakeParquetEngine
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake.tables import utc_days
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import TableRef

APP_TABLES = {"users": (USERS, "user_id"), "orders": (ORDERS, "order_id")}
# Rows whose transaction commits up to this long after their `modified_at` are still caught.
LATE_COMMIT_MARGIN = timedelta(hours=3)
CHANGE_BATCH_ROWS = 200_000  # keys and versions compared with the warehouse per batch


def build_app_table_assets() -> list[AssetsDefinition]:
    """A lake asset and a warehouse loader per app table (a family generated from `APP_TABLES`)."""
    return [
        asset_def
        for name, (schema, key) in APP_TABLES.items()
        for asset_def in (_extract(name, schema, key), _load(name, key))
    ]


def _extract(name: str, schema: pa.Schema, key: str) -> AssetsDefinition:
    @c.lake_asset(
        name,
        description=(
            f"Every version of the app DB's `{name}` rows each day's extract saw (modified that day, "
            "a margin before it, the initial snapshot on the first day, hard deletes as deleted rows)."
        ),
        retry_policy=c.SOURCE_RETRY,
        metadata={"source": f"app.public.{name}", "late_commit_margin": str(LATE_COMMIT_MARGIN)},
    )
    def extract(
        context: AssetExecutionContext, app_db: AppDbResource, lake: LakeResource, warehouse: WarehouseResource
    ) -> MaterializeResult:
        window = context.partition_time_window
        snapshot = context.partition_key_range.start == context.assets_def.partitions_def.get_first_partition_key()
        start = None if snapshot else window.start - LATE_COMMIT_MARGIN
        rows, extra = app_db.extract(name, schema, "modified_at", (start, window.end))
        deleted = _hard_deletes(app_db, warehouse, name, schema, key, window.end)
        seen = pa.concat_tables([rows, deleted])
        added = _record(lake, AssetKey(["lake", name]), seen, key, partition_days(context))
        metadata = {"rows_read": rows.num_rows, "hard_deletes": deleted.num_rows, "rows_added": added,
                    "snapshot": snapshot}  # fmt: skip
        if extra:  # new source columns are reported until the platform reads them
            context.log.warning(f"app.public.{name} has columns the platform ignores: {extra}")
            metadata["ignored_source_columns"] = ", ".join(extra)
        return MaterializeResult(metadata=metadata)

    return extract


def _hard_deletes(app_db, warehouse, name: str, schema: pa.Schema, key: str, at) -> pa.Table:
    """Rows live in the warehouse whose key the source no longer has, marked deleted at `at`."""
    source_keys = app_db.key_values(name, key)
    ref = TableRef("raw", name)
    with warehouse.get_connection() as conn:
        gone = changes.gone_keys(conn, ref, key, source_keys, at)
        return changes.tombstones(conn, ref, schema, key, gone, at) if gone else schema.empty_table()


def _record(lake: LakeResource, asset_key: AssetKey, seen: pa.Table, key: str, days) -> int:
    """Add the rows seen to each day's lake file (a row goes to its `modified_at` day, clamped
    to the run's days); returns how many rows were new. Unchanged files are not rewritten."""
    engine, added = LakeParquetEngine(lake), 0
    first, last = pa.scalar(days[0], pa.date32()), pa.scalar(days[-1], pa.date32())
    assigned = pc.min_element_wise(pc.max_element_wise(utc_days(seen["modified_at"]), first), last)
    for day in days:
        path = engine.partition_file(asset_key, day.isoformat())
        kept = lake.read_parquet(path).cast(seen.schema) if lake.exists(path) else None
        piece = seen.filter(pc.equal(assigned, pa.scalar(day, pa.date32())))
        record = _union(kept, piece, key)
        if kept is None or not record.equals(kept):
            lake.write_parquet(path, record)
            added += record.num_rows - (kept.num_rows if kept is not None else 0)
    return added


def _union(kept: pa.Table | None, new: pa.Table, key: str) -> pa.Table:
    """Rows of both, one per (key, modified_at), sorted: the same inputs give the same file."""
    both = new if kept is None else pa.concat_tables([kept, new])
    indexed = both.append_column("__row", pa.array(range(both.num_rows), pa.int64()))
    first = indexed.group_by([key, "modified_at"], use_threads=False).aggregate([("__row", "min")])
    return both.take(first["__row_min"]).sort_by([(key, "ascending"), ("modified_at", "ascending")])


def _load(name: str, key: str) -> AssetsDefinition:
    @asset(
        key=["raw", name],
        description=(
            f"The app's `{name}` in the warehouse, merged by `{key}` where the incoming row is newer "
            "(replaying an old day changes nothing newer); reports the data days its changes belong to."
        ),
        ins={"rows": AssetIn(key=["lake", name])},
        backfill_policy=conventions.BACKFILL,
        group_name=conventions.RAW,
        owners=conventions.OWNERS,
        kinds=conventions.WAREHOUSE_KINDS,
        io_manager_key="warehouse_io_manager",
        metadata={"write_mode": "merge", "primary_key": [key], "version_column": "modified_at",
                  "not_null": [key, "modified_at"], "data_day_column": "created_at"},  # fmt: skip
    )
    def load(context: AssetExecutionContext, rows: LakeFiles, warehouse: WarehouseResource) -> LakeFiles:
        """The lake files go to the warehouse by reference; only keys and versions are read here."""
        versions = [key, "modified_at", "created_at"]
        with warehouse.get_connection() as conn:
            changed = [changes.newer_rows(conn, TableRef("raw", name), part, key, "modified_at")
                       for part in rows.tables(versions, CHANGE_BATCH_ROWS)]  # fmt: skip
        days = sorted({day for part in changed for day in changes.data_days(part, "created_at")})
        if days:  # announced before the merge: a crash after its COMMIT cannot lose the signal
            context.log_event(AssetObservation(asset_key=context.asset_key, metadata=changes.announcement(days)))
        context.add_output_metadata({
            changes.DATA_DAYS: MetadataValue.json(days), "changed_rows": sum(p.num_rows for p in changed),
        })  # fmt: skip
        return rows

    return load
