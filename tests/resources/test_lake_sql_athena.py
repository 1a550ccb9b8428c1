"""Athena DDL as text, the plan that keeps Glue in step, and result typing on moto's server."""

from __future__ import annotations

import boto3
import pyarrow as pa
import pytest
import requests

from data_platform.resources.lake_sql import athena_ddl
from data_platform.resources.lake_sql.athena import AthenaRunner
from data_platform.resources.lake_sql.catalog import LakeTable

EVENTS = LakeTable("events", "raw/events", True, (
    "raw/events/date=2026-01-02/part-00000.parquet", "raw/events/date=2026-01-03/part-00000.parquet",
))  # fmt: skip
SCHEMA = pa.schema([
    ("event_id", pa.string()), ("ts", pa.timestamp("us", tz="UTC")), ("event_date", pa.date32()),
    ("user_id", pa.int64()), ("amount", pa.decimal128(12, 2)), ("tags", pa.list_(pa.string())),
    ("empty_on_this_day", pa.null()),
])  # fmt: skip


def test_create_table_text() -> None:
    ddl = athena_ddl.create_table_sql(EVENTS, SCHEMA, "s3://bucket/prefix")
    digest = athena_ddl.digest_of(ddl)
    assert ddl == f"""CREATE EXTERNAL TABLE `lake`.`events` (
  `event_id` string,
  `ts` timestamp,
  `event_date` date,
  `user_id` bigint,
  `amount` decimal(12,2),
  `tags` array<string>,
  `empty_on_this_day` string
)
PARTITIONED BY (`date` date)
STORED AS PARQUET
LOCATION 's3://bucket/prefix/raw/events/'
TBLPROPERTIES (
  'parquet.compression' = 'SNAPPY',
  'projection.enabled' = 'true',
  'projection.date.type' = 'date',
  'projection.date.format' = 'yyyy-MM-dd',
  'projection.date.range' = '2026-01-02,NOW',
  'projection.date.interval' = '1',
  'projection.date.interval.unit' = 'DAYS',
  'storage.location.template' = 's3://bucket/prefix/raw/events/date=${{date}}/',
  'platform.ddl_digest' = '{digest}'
)"""


def test_unpartitioned_table_keeps_a_date_column() -> None:
    table = LakeTable("quarantine_reasons", "raw/quarantine_reasons", False, ("raw/quarantine_reasons/part-00000.parquet",))
    ddl = athena_ddl.create_table_sql(table, pa.schema([("date", pa.date32()), ("lines", pa.int64())]), "s3://b/p")
    assert "  `date` date,\n  `lines` bigint\n)\nSTORED AS PARQUET" in ddl
    assert "PARTITIONED BY" not in ddl and "projection" not in ddl


def test_digest_changes_with_the_schema() -> None:
    before = athena_ddl.create_table_sql(EVENTS, SCHEMA, "s3://b/p")
    after = athena_ddl.create_table_sql(EVENTS, SCHEMA.append(pa.field("new", pa.int32())), "s3://b/p")
    assert athena_ddl.digest_of(before) != athena_ddl.digest_of(after)
    assert athena_ddl.digest_of(before) == athena_ddl.digest_of(athena_ddl.create_table_sql(EVENTS, SCHEMA, "s3://b/p"))


def test_plan_creates_replaces_drops_and_leaves_alone() -> None:
    wanted = {
        name: athena_ddl.create_table_sql(LakeTable(name, f"raw/{name}", True, EVENTS.files), SCHEMA, "s3://b/p")
        for name in ("events", "orders", "users")
    }
    existing = {
        "events": athena_ddl.digest_of(wanted["events"]),  # in step
        "orders": "0000000000000000",  # an older schema
        "gone": "1111111111111111",  # made by the platform, no longer in the lake
        "by_hand": None,  # someone's own table: never touched
    }
    steps = athena_ddl.plan(wanted, existing)
    assert (steps.created, steps.replaced, steps.dropped, steps.unchanged) == (
        ["users"], ["orders"], ["gone"], ["events"]
    )
    assert steps.statements == [
        "CREATE DATABASE IF NOT EXISTS `lake`",
        "DROP TABLE IF EXISTS `lake`.`orders`", wanted["orders"],
        wanted["users"],
        "DROP TABLE IF EXISTS `lake`.`gone`",
    ]  # fmt: skip


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="no Athena type"):
        athena_ddl.hive_type(pa.duration("s"))


def test_query_results_come_back_typed(s3_endpoint: str) -> None:
    """moto's Athena answers with results queued through its API, as Athena's text cells."""
    columns = [("date", "date"), ("reason", "varchar"), ("lines", "bigint"), ("share", "decimal(5,2)")]
    rows = [["2026-01-01", "bad json", "3", "0.50"], ["2026-01-02", "missing field", "1", None]]
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    result = {
        "rows": [header] + [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows],
        "column_info": [{"Name": n, "Type": t, "CatalogName": "c", "SchemaName": "s", "TableName": "t",
                        "Label": n, "Nullable": "NULLABLE", "CaseSensitive": False} for n, t in columns],
    }  # fmt: skip
    requests.post(
        f"{s3_endpoint}/moto-api/static/athena/query-results",
        json={"account_id": "123456789012", "region": "us-east-1", "results": [result]},
        timeout=10,
    ).raise_for_status()
    runner = AthenaRunner(boto3.client("athena", endpoint_url=s3_endpoint), poll_seconds=0)
    table = runner.query("SELECT date, reason, count(*) AS lines FROM lake.quarantine_clickstream GROUP BY 1, 2")
    assert table.schema.types == [pa.date32(), pa.string(), pa.int64(), pa.decimal128(5, 2)]
    assert table.column("lines").to_pylist() == [3, 1]
    assert table.column("share").to_pylist()[1] is None
