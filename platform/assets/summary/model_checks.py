"""A model's data checks, declared in its header and run against the rows just written.

Every check is blocking: a failure stops downstream assets in the same run, so a bad
summary never reaches the serving stores. Kinds:
- `unique` (always, from `grain`): no two rows share the grain columns;
- `non_negative: [columns]`: each column is `>= 0` (NULL fails);
- `conditions: {name: boolean SQL}`: every row satisfies the condition;
- `reconcile: {name: SELECT}`: a query returning the rows that disagree (none = pass);
  in partitioned models it takes `:start`/`:end` like the model.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue
from psycopg import sql

from data_platform.assets.summary.model_file import SCHEMA, SqlModel
from data_platform.assets.summary.sql_text import to_psycopg
from data_platform.resources.warehouse.sql import TableRef, idents

Window = tuple[datetime, datetime] | None
SAMPLE_ROWS = 5


def conditions(model: SqlModel) -> dict[str, str]:
    """Row conditions by check name: declared ones plus one per non-negative column."""
    declared = dict(model.checks.get("conditions") or {})
    for column in model.checks.get("non_negative") or []:
        declared[f"{column}_non_negative"] = f"{column} >= 0"
    return declared


def check_specs(model: SqlModel, key: AssetKey) -> list[AssetCheckSpec]:
    names = {"grain_unique": f"One row per {', '.join(model.grain)}."}
    names |= {name: f"Every row: {text}" for name, text in conditions(model).items()}
    names |= {name: "Agrees with the raw layer." for name in model.checks.get("reconcile") or {}}
    return [AssetCheckSpec(name, asset=key, description=d, blocking=True) for name, d in names.items()]


def _window_filter(model: SqlModel, window: Window) -> tuple[sql.Composable, tuple]:
    if window is None or model.partition_column is None:
        return sql.SQL("TRUE"), ()
    column = sql.Identifier(model.partition_column)
    return sql.SQL("{c} >= %s AND {c} < %s").format(c=column), window


def _result(key: AssetKey, name: str, failures: int, sample: list | None = None) -> AssetCheckResult:
    metadata = {"failing_rows": failures}
    if sample:
        metadata["sample"] = MetadataValue.text("\n".join(map(str, sample)))
    return AssetCheckResult(
        asset_key=key, check_name=name, passed=failures == 0, severity=AssetCheckSeverity.ERROR, metadata=metadata
    )


def run_checks(conn: psycopg.Connection, model: SqlModel, key: AssetKey, window: Window) -> list[AssetCheckResult]:
    """Run every declared check on the window just written (the whole table for a full refresh)."""
    table = TableRef(SCHEMA, model.name).ident
    where, bounds = _window_filter(model, window)
    grain = idents(model.grain)
    duplicates = sql.SQL(
        "SELECT COUNT(*) FROM (SELECT {g} FROM {t} WHERE {w} GROUP BY {g} HAVING COUNT(*) > 1) AS duplicated"
    ).format(g=grain, t=table, w=where)
    results = [_result(key, "grain_unique", conn.execute(duplicates, bounds).fetchone()[0])]
    for name, condition in conditions(model).items():
        failing = sql.SQL("SELECT COUNT(*) FROM {} WHERE {} AND NOT COALESCE(({}), FALSE)").format(
            table, where, sql.SQL(to_psycopg(condition))
        )
        results.append(_result(key, name, conn.execute(failing, bounds).fetchone()[0]))
    params = {"start": window[0], "end": window[1]} if window and model.partition_column else {}
    for name, query in (model.checks.get("reconcile") or {}).items():
        rows = conn.execute(sql.SQL(to_psycopg(query)), params).fetchall()
        results.append(_result(key, name, len(rows), rows[:SAMPLE_ROWS]))
    return results
