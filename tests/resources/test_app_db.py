"""Extraction from the app database: windows, types and schema drift."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pyarrow as pa
import pytest

from data_platform.resources.app_db import AppDbResource, SourceSchemaError

SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("amount", pa.decimal128(12, 2)),
        ("note", pa.string()),
        ("modified_at", pa.timestamp("us", tz="UTC")),
    ]
)


@pytest.fixture
def app_db(stack_env: dict[str, str]) -> AppDbResource:
    url = stack_env["PLATFORM_APP_DB_URL"]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS extract_test CASCADE; CREATE SCHEMA extract_test")
        conn.execute(
            "CREATE TABLE extract_test.orders (order_id bigint primary key, amount numeric(12,2),"
            " note text, modified_at timestamptz, extra_col int)"
        )
        conn.execute(
            "INSERT INTO extract_test.orders VALUES (1, 9.99, '', '2026-01-01 23:59:59.5+00', 0),"
            " (2, 1000.00, NULL, '2026-01-02 00:00:00+00', 0), (3, 5, 'x''y', '2026-01-01 00:00:00+00', 0)"
        )
    return AppDbResource(url=url, schema_name="extract_test")


def test_window_is_half_open_and_typed(app_db: AppDbResource) -> None:
    window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    table, extra = app_db.extract("orders", SCHEMA, "modified_at", window)
    assert table.schema == SCHEMA
    assert sorted(table.column("order_id").to_pylist()) == [1, 3]
    rows = {row["order_id"]: row for row in table.to_pylist()}
    assert rows[1]["amount"] == Decimal("9.99") and rows[1]["note"] == ""
    assert rows[3]["note"] == "x'y"
    assert extra == ["extra_col"]


def test_empty_window_gives_empty_table(app_db: AppDbResource) -> None:
    window = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC))
    table, _ = app_db.extract("orders", SCHEMA, "modified_at", window)
    assert table.num_rows == 0 and table.schema == SCHEMA


def test_missing_column_is_named(app_db: AppDbResource) -> None:
    schema = SCHEMA.append(pa.field("currency", pa.string()))
    with pytest.raises(SourceSchemaError, match=r"extract_test.orders lacks column\(s\) currency"):
        app_db.extract("orders", schema)


def test_connection_error_hides_password() -> None:
    resource = AppDbResource(url="postgresql://app:s3cret-pw@127.0.0.1:1/app")
    with pytest.raises(psycopg.OperationalError) as info:
        with resource.get_connection():
            pass
    assert "s3cret-pw" not in str(info.value)
