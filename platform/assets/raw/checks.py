"""Output checks on the raw tables: keys unique and required columns present.

They read what was written (the run's partition window for partitioned tables, the whole
table for merged and fully refreshed ones) and block downstream assets when they fail. A
key of the window must be unique in the whole table, not only in its partition.
"""

from dataclasses import dataclass
from datetime import datetime

import psycopg
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    DailyPartitionsDefinition,
    asset_check,
)
from psycopg import sql

from data_platform.assets.raw.input_contracts import build_input_contract_checks
from data_platform.resources.warehouse.resource import WarehouseResource


@dataclass(frozen=True)
class TableRules:
    table: str
    key: tuple[str, ...]
    required: tuple[str, ...]
    # Tables loaded by partition window are checked per window; merged ones whole.
    window_column: str | None = None
    partitioned: bool = True


RULES = (
    TableRules("users", ("user_id",), ("user_id", "created_at", "modified_at")),
    TableRules("orders", ("order_id",), ("order_id", "user_id", "amount", "currency", "status", "created_at", "modified_at")),
    TableRules("exchange_rates", ("rate_date", "currency"), ("rate_date", "currency", "usd_per_unit"), "rate_date"),
    TableRules("events", ("event_id",), ("event_id", "ts", "event_date", "user_id", "session_id", "event_type"), "event_date"),
    TableRules("nps_responses", ("response_id",), ("response_id", "user_id", "score", "created_at"), partitioned=False),
)


def _where(rules: TableRules, window: tuple[datetime, datetime] | None) -> sql.Composable:
    if rules.window_column and window:
        column = sql.Identifier(rules.window_column)
        return sql.SQL(" WHERE {c} >= {s} AND {c} < {e}").format(c=column, s=sql.Literal(window[0]), e=sql.Literal(window[1]))
    return sql.SQL("")


def duplicate_keys(conn: psycopg.Connection, rules: TableRules, window: tuple[datetime, datetime] | None) -> int:
    """How many key values of the window appear more than once in the whole table: a key
    must not come back in another partition either."""
    key = sql.SQL(", ").join(map(sql.Identifier, rules.key))
    table, where = sql.Identifier("raw", rules.table), _where(rules, window)
    rows: sql.Composable = table
    if where.as_string():
        rows = sql.SQL("{t} JOIN (SELECT DISTINCT {k} FROM {t}{w}) AS w USING ({k})").format(t=table, k=key, w=where)
    query = sql.SQL("SELECT COUNT(*) FROM (SELECT {k} FROM {r} GROUP BY {k} HAVING COUNT(*) > 1) AS d").format(
        k=key, r=rows
    )
    return conn.execute(query).fetchone()[0]


def rows_missing_required(conn: psycopg.Connection, rules: TableRules, window: tuple[datetime, datetime] | None) -> int:
    """How many rows lack a required column."""
    missing = sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(sql.Identifier(c)) for c in rules.required)
    where = _where(rules, window)
    joiner = sql.SQL(" AND ") if where.as_string() else sql.SQL(" WHERE ")
    query = sql.SQL("SELECT COUNT(*) FROM {t}{w}{j}({m})").format(
        t=sql.Identifier("raw", rules.table), w=where, j=joiner, m=missing
    )
    return conn.execute(query).fetchone()[0]


def _check(rules: TableRules, partitions: DailyPartitionsDefinition) -> AssetChecksDefinition:
    @asset_check(
        asset=["raw", rules.table],
        name="keys_unique_and_required_present",
        description=f"`{', '.join(rules.key)}` unique and {', '.join(rules.required)} never null.",
        blocking=True,
        partitions_def=partitions if rules.partitioned else None,
    )
    def raw_table_check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        window = None
        if rules.partitioned:
            time_window = context.partition_time_window
            window = (time_window.start, time_window.end)
        with warehouse.get_connection() as conn:
            duplicates = duplicate_keys(conn, rules, window)
            missing = rows_missing_required(conn, rules, window)
        return AssetCheckResult(
            passed=duplicates == 0 and missing == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={"duplicate_keys": duplicates, "rows_missing_required": missing},
        )

    return raw_table_check


def build_raw_checks(partitions: DailyPartitionsDefinition) -> list[AssetChecksDefinition]:
    """Input contracts on the app-DB extracts (before the load), output checks on the raw tables."""
    return [*build_input_contract_checks(partitions), *(_check(rules, partitions) for rules in RULES)]
