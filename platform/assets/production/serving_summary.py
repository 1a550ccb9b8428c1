"""`serving.channel_summary` in the app's Postgres: the last 90 days of the warehouse table.

The copy is replaced in one transaction (delete and COPY, or a rebuild when the columns
changed): under MVCC the app keeps reading the old rows until the commit, never an
empty table.
"""

from datetime import date, timedelta

import psycopg
import pyarrow as pa
from dagster import AssetDep, Failure, MaterializeResult, MetadataValue, asset
from psycopg import sql

from data_platform.assets import conventions
from data_platform.assets.production import stores as c
from data_platform.resources.app_db import AppDbResource
from data_platform.resources.warehouse.read import read_table, table_columns
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import POSTGRES, TableRef, create_table, idents

SOURCE = TableRef("analytics", "channel_summary")
TARGET = TableRef("serving", "channel_summary")
WINDOW_DAYS = 90


def serving_window(conn: psycopg.Connection) -> tuple[date, date]:
    """`[newest − 89 days, newest + 1 day)` over `event_date`; refuses an empty source."""
    query = sql.SQL("SELECT MAX(event_date) FROM {}").format(SOURCE.ident)
    newest = conn.execute(query).fetchone()[0]
    if newest is None:
        raise Failure(f"{SOURCE.name} is empty: the serving copy is left as it is")
    return newest - timedelta(days=WINDOW_DAYS - 1), newest + timedelta(days=1)


def replace_rows(conn: psycopg.Connection, target: TableRef, table: pa.Table) -> None:
    """Swap the table's contents in one transaction; rebuild it if the columns changed."""
    with conn.transaction():
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target.schema))
        )
        if [column.name for column in table_columns(conn, target)] != table.column_names:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target.ident))
            conn.execute(create_table(target.ident, table.schema, POSTGRES))
        else:
            conn.execute(sql.SQL("DELETE FROM {}").format(target.ident))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            target.ident, idents(table.column_names)
        )
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for row in zip(*(column.to_pylist() for column in table.columns), strict=True):
                copy.write_row(row)


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
    with app_db.get_connection() as conn:
        replace_rows(conn, TARGET, table)
    return MaterializeResult(
        metadata={
            "rows": MetadataValue.int(table.num_rows),
            "first_day": start.isoformat(),
            "last_day": (end - timedelta(days=1)).isoformat(),
            "preview": MetadataValue.md(table.slice(0, 5).to_pandas().to_markdown(index=False)),
        }
    )
