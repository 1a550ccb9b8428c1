"""Drift: every day of `analytics.daily_revenue` against what the raw layer says it should hold.

The corrections sensor rebuilds the days raw changes belong to; this is the defence behind
it, for a signal lost anyway. A few times a day one GROUP BY over `raw.orders` (orders are
small: a year of a shop's orders, not its clickstream) recomputes each day's orders, paying
users, gross and refunded USD at the day's rates, straight from `raw`, and compares them with
`analytics.daily_revenue`. A built day that differs is rebuilt from `analytics/orders_usd`
(automation carries it on to daily_revenue, channel_summary and the features), and an
incident report in the lake's `incidents/` names each day with both sides' figures: a lost
correction heals within the interval and is never silent.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.read import table_columns
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import TableRef
from data_platform.sensors.corrections import Readiness, requests_for

SENSOR_NAME = "summary_drift_sensor"
INTERVAL_SECONDS = 6 * 3600
ORDERS_USD, DAILY_REVENUE = AssetKey(["analytics", "orders_usd"]), AssetKey(["analytics", "daily_revenue"])
COMPARED = (TableRef("raw", "orders"), TableRef("raw", "exchange_rates"), TableRef("analytics", "daily_revenue"))
FIGURES = ("orders", "paying_users", "gross_revenue_usd", "refunded_usd")

# Each day's figures from raw (the contract's definition of daily_revenue), beside the table's;
# COALESCE instead of IS DISTINCT FROM, which Redshift lacks.
DRIFT_SQL = """
WITH expected AS (
    SELECT CAST(o.created_at AS DATE) AS order_date,
           COUNT(*) AS orders,
           COUNT(DISTINCT o.user_id) AS paying_users,
           ROUND(SUM(o.amount * r.usd_per_unit), 2) AS gross_revenue_usd,
           ROUND(COALESCE(SUM(CASE WHEN o.status = 'refunded' THEN o.amount * r.usd_per_unit END), 0), 2)
               AS refunded_usd
    FROM raw.orders AS o
    LEFT JOIN raw.exchange_rates AS r ON r.currency = o.currency AND r.rate_date = CAST(o.created_at AS DATE)
    WHERE o.deleted_at IS NULL
    GROUP BY 1
)
SELECT COALESCE(e.order_date, d.order_date) AS order_date,
       e.orders, e.paying_users, e.gross_revenue_usd, e.refunded_usd,
       d.orders, d.paying_users, d.gross_revenue_usd, d.refunded_usd
FROM expected AS e
FULL OUTER JOIN analytics.daily_revenue AS d ON d.order_date = e.order_date
WHERE COALESCE(e.orders, -1) <> COALESCE(d.orders, -1)
   OR COALESCE(e.paying_users, -1) <> COALESCE(d.paying_users, -1)
   OR COALESCE(e.gross_revenue_usd, -1) <> COALESCE(d.gross_revenue_usd, -1)
   OR COALESCE(e.refunded_usd, -1) <> COALESCE(d.refunded_usd, -1)
ORDER BY 1
"""


def drifted_days(warehouse: WarehouseResource) -> dict[str, dict[str, dict]]:
    """Days whose daily_revenue row differs from raw: `{day: {"raw": {...}, "table": {...}}}`
    (none before the tables compared exist)."""
    with warehouse.get_connection() as conn:
        if not all(table_columns(conn, ref) for ref in COMPARED):
            return {}
        conn.execute("SET TIME ZONE 'UTC'")  # a timestamp's date is its UTC date, as in the models
        rows = conn.execute(DRIFT_SQL).fetchall()
    plain = lambda values: {f: (None if v is None else float(v)) for f, v in zip(FIGURES, values, strict=True)}  # noqa: E731
    return {row[0].isoformat(): {"raw": plain(row[1:5]), "table": plain(row[5:])} for row in rows}


def evaluate(context: SensorEvaluationContext, warehouse: WarehouseResource, lake: LakeResource) -> SensorResult:
    graph = context.repository_def.asset_graph
    known = Readiness(graph, context.instance)
    partitions = graph.get(ORDERS_USD).partitions_def
    drifted = {
        day: sides for day, sides in drifted_days(warehouse).items()
        if partitions.has_partition_key(day) and day in known.done(DAILY_REVENUE) and known.ready(ORDERS_USD, day)
    }  # fmt: skip
    if not drifted:
        return SensorResult(skip_reason="every built day of daily_revenue matches raw")
    now = datetime.now(UTC)
    report = {"kind": "summary_drift", "found_at": now.isoformat(timespec="seconds"), "table": "analytics.daily_revenue",
              "rebuilt_from": ORDERS_USD.to_user_string(), "days": drifted}  # fmt: skip
    written = lake.write_bytes(f"incidents/date={now.date()}/drift-{now:%H%M%S}.json", json.dumps(report, indent=2).encode())
    context.log.warning(f"daily_revenue drifted from raw on {sorted(drifted)}: rebuilding; report at {written.path}")
    return SensorResult(run_requests=requests_for(graph, {ORDERS_USD: set(drifted)}, trigger=SENSOR_NAME))


def build_drift_sensor(interval_seconds: int = INTERVAL_SECONDS) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        description="Compares each built day of daily_revenue with raw; rebuilds drifted days and reports them.",
        asset_selection=[ORDERS_USD],
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def summary_drift_sensor(
        context: SensorEvaluationContext, transform_warehouse: WarehouseResource, lake: LakeResource
    ) -> SensorResult:
        return evaluate(context, transform_warehouse, lake)

    return summary_drift_sensor
