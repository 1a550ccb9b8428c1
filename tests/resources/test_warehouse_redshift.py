"""Redshift statement plans (rendered with a real PostgreSQL connection for quoting) and S3 staging."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_platform.resources.lake.filesystems import open_filesystem
from data_platform.resources.warehouse.plan import (
    CopyIn,
    Plan,
    WriteSpec,
    plan_merge,
    plan_partition_write,
    plan_replace,
)
from data_platform.resources.warehouse.redshift import staged_parquet
from data_platform.resources.warehouse.sql import REDSHIFT, TableRef, create_table

ROLE = "arn:aws:iam::123456789012:role/copy"
S3_URI = "s3://stage/raw/events/abc.parquet"
DATA = pa.schema([
    ("event_id", pa.string()), ("ts", pa.timestamp("us", "UTC")), ("event_date", pa.date32()),
    ("experiments", pa.string()), ("amount", pa.decimal128(12, 2)),
])  # fmt: skip


@pytest.fixture(scope="module")
def conn(stack_env: dict[str, str]):
    with psycopg.connect(stack_env["PLATFORM_WAREHOUSE_URL"]) as connection:
        yield connection


def spec(exists: bool = True) -> WriteSpec:
    return WriteSpec(TableRef("raw", "events"), DATA, REDSHIFT, ("experiments",), ("event_id",), exists,
                     (S3_URI,), ROLE)  # fmt: skip


def render(conn: psycopg.Connection, steps) -> list[str]:
    assert not any(isinstance(step, CopyIn) for step in steps)  # Redshift has no COPY FROM STDIN
    return [step.query.as_string(conn) for step in steps]


def check_common(conn: psycopg.Connection, plan: Plan) -> list[str]:
    text = render(conn, plan.steps())
    copy = f"""COPY "events__incoming" FROM '{S3_URI}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET"""
    assert copy in render(conn, plan.prepare)
    assert not any("TRUNCATE" in statement.upper() for statement in text)
    assert render(conn, plan.cleanup) == ['DROP TABLE IF EXISTS "events__incoming"']
    return text


def test_partition_write_plan(conn: psycopg.Connection) -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    plan = plan_partition_write(spec(), "event_date", start, end)
    check_common(conn, plan)
    assert render(conn, plan.transaction) == [
        'LOCK "raw"."events"',
        'DELETE FROM "raw"."events" WHERE "event_date" >= %s AND "event_date" < %s',
        'INSERT INTO "raw"."events" ("event_id", "ts", "event_date", "experiments", "amount") SELECT "event_id",'
        ' "ts", "event_date", JSON_PARSE("experiments"), "amount" FROM "events__incoming"',
    ]
    assert plan.transaction[1].params == (start, end)  # values are bound, never formatted in


def test_replace_plan_swaps_in_one_transaction(conn: psycopg.Connection) -> None:
    plan = plan_replace(spec())
    check_common(conn, plan)
    assert 'CREATE TABLE "raw"."events__staging" (LIKE "raw"."events")' in render(conn, plan.prepare)
    assert render(conn, plan.transaction) == [
        'LOCK "raw"."events"',
        'DROP TABLE IF EXISTS "raw"."events__old"',
        'ALTER TABLE "raw"."events" RENAME TO "events__old"',
        'ALTER TABLE "raw"."events__staging" RENAME TO "events"',
        'DROP TABLE "raw"."events__old"',
    ]
    first = render(conn, plan_replace(spec(exists=False)).transaction)  # nothing to swap out yet
    assert first[1:] == ['ALTER TABLE "raw"."events__staging" RENAME TO "events"']


def test_merge_plan_keeps_the_newest_version(conn: psycopg.Connection) -> None:
    plan = plan_merge(spec(), ["event_id"], "ts")
    check_common(conn, plan)
    lock, delete, insert = render(conn, plan.transaction)
    assert lock == 'LOCK "raw"."events"'
    assert delete.startswith('DELETE FROM "raw"."events" USING (SELECT')
    assert 'ROW_NUMBER() OVER (PARTITION BY "event_id" ORDER BY "ts" DESC)' in delete
    assert delete.endswith('"raw"."events"."event_id" = "incoming"."event_id" AND "raw"."events"."ts" < "incoming"."ts"')
    assert 'JSON_PARSE(incoming."experiments")' in insert and insert.endswith('WHERE cur."event_id" IS NULL')


def test_identifiers_and_literals_are_quoted(conn: psycopg.Connection) -> None:
    odd = WriteSpec(TableRef("raw", 'we"ird'), DATA, REDSHIFT, (), None, True, ("s3://b/it's.parquet",), ROLE)
    text = "\n".join(render(conn, plan_partition_write(odd, "ts", datetime.now(UTC), datetime.now(UTC)).steps()))
    assert '"raw"."we""ird"' in text and "'s3://b/it''s.parquet'" in text


def test_redshift_types() -> None:
    ddl = create_table(TableRef("raw", "events").ident, DATA, REDSHIFT, ["experiments"])
    text = repr(ddl)
    assert "varchar(65535)" in text and "SUPER" in text and "timestamptz" in text and "numeric(12,2)" in text


def test_a_partitioned_redshift_table_is_sorted_by_its_day(conn: psycopg.Connection) -> None:
    ddl = create_table(TableRef("raw", "events").ident, DATA, REDSHIFT, ["experiments"], sort_key="event_date")
    assert ddl.as_string(conn).endswith(') SORTKEY ("event_date")')


def test_staged_parquet_on_s3(s3_endpoint: str) -> None:
    data = pa.table({"a": [1, 2, 3]})
    filesystem, _ = open_filesystem("s3://lake", s3_endpoint)
    with staged_parquet(data, TableRef("raw", "events"), "s3://lake/staging/", s3_endpoint) as uri:
        assert uri.startswith("s3://lake/staging/raw/events/") and uri.endswith(".parquet")
        path = uri.removeprefix("s3://")
        assert pq.read_table(path, filesystem=filesystem).equals(data)
    assert filesystem.get_file_info(path).type.name == "NotFound"
    with pytest.raises(ValueError, match="s3:// staging_url"), staged_parquet(data, TableRef("a", "b"), None):
        pass
