"""`data-platform sql` over a whole simulated platform's lake, locally and on S3.

Counts come back equal to the warehouse's `raw.events` per day; the lake model
`quarantine_reasons` equals a count of the quarantine files read directly with pyarrow;
the Athena DDL for the same lake is checked as text.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import boto3
import psycopg
import pyarrow.parquet as pq
import pytest
import sqlglot

from data_platform.assets.lake_sql.athena_tables import wanted_ddl
from data_platform.assets.lake_sql.models import model_sql
from data_platform.cli import main
from data_platform.resources.lake.resource import LakeResource


def sql_rows(capsys: pytest.CaptureFixture, query: str) -> list[dict[str, str]]:
    assert main(["sql", "--csv", query]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def warehouse_counts(platform) -> dict[str, int]:
    with psycopg.connect(platform.warehouse_url) as conn:
        rows = conn.execute("SELECT event_date, count(*) FROM raw.events GROUP BY 1").fetchall()
    return {day.isoformat(): n for day, n in rows}


def days(platform) -> list[str]:
    return [(platform.START + timedelta(days=i)).isoformat() for i in range(platform.DAYS)]


def lake_counts(platform, capsys) -> dict[str, int]:
    counted = {}
    for day in days(platform):
        query = f"SELECT count(*) AS n FROM lake.events WHERE event_date = DATE '{day}'"  # noqa: S608
        counted[day] = int(sql_rows(capsys, query)[0]["n"])
    return counted


@pytest.mark.slow
def test_sql_counts_equal_the_warehouse_locally(simulated_platform, capsys) -> None:
    expected = warehouse_counts(simulated_platform)
    assert set(expected) == set(days(simulated_platform)) and all(expected.values())
    with simulated_platform.environment():
        assert lake_counts(simulated_platform, capsys) == expected
        by_folder = sql_rows(capsys, "SELECT date, count(*) AS n FROM lake.events GROUP BY date ORDER BY date")
    assert {r["date"]: int(r["n"]) for r in by_folder} == expected


@pytest.mark.slow
def test_sql_counts_equal_the_warehouse_on_s3(simulated_platform, s3_endpoint, capsys) -> None:
    prefix = uuid.uuid4().hex
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    for path in simulated_platform.lake.rglob("*.parquet"):
        relative = path.relative_to(simulated_platform.lake).as_posix()
        if not relative.startswith("landing/"):
            client.upload_file(str(path), "lake", f"{prefix}/{relative}")
    with simulated_platform.environment(), pytest.MonkeyPatch.context() as env:
        env.setenv("PLATFORM_LAKE_URL", f"s3://lake/{prefix}")
        env.setenv("PLATFORM_S3_ENDPOINT_URL", s3_endpoint)
        assert lake_counts(simulated_platform, capsys) == warehouse_counts(simulated_platform)


@pytest.mark.slow
def test_lake_model_equals_the_quarantine_files(simulated_platform, capsys) -> None:
    expected: Counter = Counter()
    for path in sorted((simulated_platform.lake / "quarantine" / "clickstream").glob("date=*/*.parquet")):
        day = path.parent.name.removeprefix("date=")
        expected.update((day, reason) for reason in pq.read_table(path).column("reason").to_pylist())
    assert expected  # the simulator's shipper always sends some malformed lines
    stored = pq.read_table(simulated_platform.lake / "raw" / "quarantine_reasons" / "part-00000.parquet")
    got = {(str(r["date"]), r["reason"]): r["lines"] for r in stored.to_pylist()}
    assert got == dict(expected)
    with simulated_platform.environment():  # the model is itself a lake table now
        total = sql_rows(capsys, "SELECT sum(lines) AS n FROM lake.quarantine_reasons")
    assert int(total[0]["n"]) == sum(expected.values())


def test_the_model_is_valid_athena_and_duckdb_sql() -> None:
    sql = model_sql("quarantine_reasons")
    for dialect in ("duckdb", "athena"):
        parsed = sqlglot.parse_one(sql, read=dialect)
        assert [t.sql() for t in parsed.find_all(sqlglot.exp.Table)] == ["lake.quarantine_clickstream"]


@pytest.mark.slow
def test_athena_ddl_for_the_simulated_lake(simulated_platform) -> None:
    lake = LakeResource(url=simulated_platform.lake.as_uri())
    ddl = wanted_ddl(lake)
    assert {"events", "orders", "users", "exchange_rates", "nps_responses", "quarantine_clickstream"} <= set(ddl)
    events = ddl["events"]
    root = Path(simulated_platform.lake).as_uri()
    assert events.startswith("CREATE EXTERNAL TABLE `lake`.`events` (\n  `event_id` string,")
    assert "PARTITIONED BY (`date` date)\nSTORED AS PARQUET" in events
    assert f"LOCATION '{root}/raw/events/'" in events
    assert f"'projection.date.range' = '{simulated_platform.START},NOW'" in events
    assert f"'storage.location.template' = '{root}/raw/events/date=${{date}}/'" in events
    assert "PARTITIONED BY" not in ddl["nps_responses"]
