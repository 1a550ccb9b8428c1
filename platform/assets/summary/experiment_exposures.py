"""`analytics.experiment_exposures`: the experiments object of `raw.events`, one row per key.

Expanding a JSON object's keys has no SQL common to PostgreSQL (jsonb) and Redshift
(SUPER), so this one table is built in Python; SQL models such as `ab_test_results` then
read plain columns. Per day: each user's first event carrying each experiment.
"""

import json
from datetime import datetime

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    MaterializeResult,
    asset,
)
from psycopg import sql

from data_platform.assets import conventions
from data_platform.resources.warehouse.read import Column, select_expression
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import REDSHIFT

KEY = ["analytics", "experiment_exposures"]
SCHEMA = pa.schema([
    ("event_date", pa.date32()), ("user_id", pa.int64()), ("experiment_id", pa.string()),
    ("variant", pa.string()), ("first_seen_at", pa.timestamp("us", tz="UTC")), ("first_event_id", pa.string()),
])  # fmt: skip


def exposures(rows: list[tuple]) -> pa.Table:
    """First (ts, event_id) per (day, user, experiment) from (event_id, ts, event_date, user_id, json) rows."""
    first: dict[tuple, tuple] = {}
    for event_id, ts, event_date, user_id, experiments in rows:
        for experiment_id, variant in (json.loads(experiments) if experiments else {}).items():
            key = (event_date, user_id, experiment_id)
            if key not in first or (ts, event_id) < first[key][:2]:
                first[key] = (ts, event_id, str(variant))
    records = [
        {"event_date": d, "user_id": u, "experiment_id": x, "variant": v, "first_seen_at": ts, "first_event_id": e}
        for (d, u, x), (ts, e, v) in sorted(first.items(), key=lambda item: tuple(map(str, item[0])))
    ]
    return pa.Table.from_pylist(records, schema=SCHEMA)


def read_events(warehouse: WarehouseResource, start: datetime, end: datetime) -> list[tuple]:
    json_type = "super" if warehouse.dialect == REDSHIFT else "jsonb"
    query = sql.SQL(
        "SELECT event_id, ts, event_date, user_id, {} FROM raw.events WHERE event_date >= %s AND event_date < %s"
    ).format(select_expression(Column("experiments", json_type, None, None), warehouse.dialect))
    with warehouse.get_connection() as conn:
        return conn.execute(query, (start, end)).fetchall()


@asset(
    key=KEY,
    deps=[["raw", "events"]],
    backfill_policy=conventions.BACKFILL,
    group_name=conventions.SUMMARY,
    owners=conventions.OWNERS,
    kinds={"python", "postgres", "redshift"},
    metadata={"partition_column": "event_date", "write_mode": "partition"},
)
def experiment_exposures(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Each user's first exposure to each experiment per day (event_date, user_id, experiment_id):
    the variant on that day's earliest event carrying the experiment."""
    window = context.partition_time_window
    table = exposures(read_events(warehouse, window.start, window.end))
    stats = warehouse.engine().write_partition(
        *KEY, table, "event_date", window.start, window.end, primary_key=["event_date", "user_id", "experiment_id"]
    )
    return MaterializeResult(metadata={"rows": stats.rows, "deleted": stats.deleted})
