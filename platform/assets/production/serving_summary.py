"""`serving.channel_summary` in the app's Postgres: the last 90 days of the warehouse table.

Written by the warehouse engine, like every warehouse-like table: the rows load into a
staging table, are audited there (one row per day and channel, keys present), and swap in
within one transaction (rebuilt whole when the columns changed). The app keeps reading
the previous copy until the commit, and keeps it when an audit fails.
"""

from datetime import date, timedelta

import psycopg
import pyarrow as pa
from dagster import AssetDep, Failure, MaterializeResult, MetadataValue, asset
from psycopg import sql

from data_platform.assets import conventions
from data_platform.assets.production import stores as c
from data_platform.resources.app_db import AppDbResource
from data_platform.resources.warehouse.contract import WriteContract
from data_platform.resources.warehouse.engine import AuditError, WarehouseEngine, WriteStats
from data_platform.resources.warehouse.read import read_table
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import POSTGRES, TableRef

SOURCE = TableRef("analytics", "channel_summary")
TARGET = TableRef("serving", "channel_summary")
WINDOW_DAYS = 90
CONTRACT = WriteContract(
    "replace", primary_key=("event_date", "channel"), not_null=("event_date", "channel"), on_schema_change="rebuild"
)


def serving_window(conn: psycopg.Connection) -> tuple[date, date]:
    """`[newest − 89 days, newest + 1 day)` over `event_date`; refuses an empty source."""
    query = sql.SQL("SELECT MAX(event_date) FROM {}").format(SOURCE.ident)
    newest = conn.execute(query).fetchone()[0]
    if newest is None:
        raise Failure(f"{SOURCE.name} is empty: the serving copy is left as it is")
    return newest - timedelta(days=WINDOW_DAYS - 1), newest + timedelta(days=1)


def write_copy(app_db: AppDbResource, table: pa.Table) -> WriteStats:
    """Stage, audit and swap the copy through the one write path for warehouse-like tables."""
    engine = WarehouseEngine(app_db.get_connection, POSTGRES)
    try:
        return engine.write(TARGET.schema, TARGET.table, table, CONTRACT)
    except AuditError as failed:
        raise Failure(
            description=f"{TARGET.name} not published: {failed}",
            metadata={"check": failed.check, "table": TARGET.name, "offending_keys": MetadataValue.json(failed.keys)},
        ) from None


@asset(
    key=c.SERVING_CHANNEL_SUMMARY,
    deps=[AssetDep(c.ANALYTICS_CHANNEL_SUMMARY)],
    group_name=conventions.PRODUCTION,
    owners=conventions.OWNERS,
    kinds={"postgres"},
    metadata={"window_days": WINDOW_DAYS, "source": SOURCE.name, "store": "app Postgres"},
)
def serving_channel_summary(
    warehouse: WarehouseResource, app_db: AppDbResource
) -> MaterializeResult:
    """The last 90 days of `analytics.channel_summary` (relative to its newest `event_date`)
    in the app's Postgres as `serving.channel_summary`, replaced atomically.
    """
    with warehouse.get_connection() as conn:
        start, end = serving_window(conn)
        table = read_table(conn, SOURCE, warehouse.dialect, "event_date", start, end)
    write_copy(app_db, table)
    return MaterializeResult(
        metadata={
            "rows": MetadataValue.int(table.num_rows),
            "first_day": start.isoformat(),
            "last_day": (end - timedelta(days=1)).isoformat(),
            "preview": MetadataValue.md(table.slice(0, 5).to_pandas().to_markdown(index=False)),
        }
    )
