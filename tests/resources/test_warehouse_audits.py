"""Audit before publish on the stack's PostgreSQL, the write contract, and the audits in Redshift plans.

A write whose new rows fail an audit leaves readers on the previous rows (partition,
replace and merge alike), names the check and the offending keys, and the Redshift plan
runs the same audits on its staged table before the transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from data_platform.resources.warehouse.contract import ContractError, WriteContract
from data_platform.resources.warehouse.engine import AuditError, WarehouseEngine
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.plan import (
    Audit,
    WriteSpec,
    plan_merge,
    plan_partition_write,
    plan_replace,
)
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import REDSHIFT, TableRef

DAY = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = (DAY, DAY + timedelta(days=1))
PARTITION = WriteContract("partition", "ts", ("id",), not_null=("id", "ts"))


def rows(ids: list[int | None], tag: str = "good") -> pa.Table:
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "ts": pa.array([DAY + timedelta(minutes=i) for i in range(len(ids))], pa.timestamp("us", "UTC")),
        "tag": pa.array([tag] * len(ids)),
    })  # fmt: skip


def stored(warehouse: WarehouseResource, schema: str) -> list[tuple]:
    with warehouse.get_connection() as conn:
        query = sql.SQL("SELECT id, tag FROM {} ORDER BY id").format(sql.Identifier(schema, "t"))
        return conn.execute(query).fetchall()


@pytest.mark.parametrize(
    "contract",
    [WriteContract("partition", "ts", not_null=("tag",)), WriteContract("replace", not_null=("tag",)),
     WriteContract("merge", "ts", ("id",), "ts", not_null=("tag",))],
    ids=["partition", "replace", "merge"],
)  # fmt: skip
def test_a_failed_audit_keeps_the_previous_rows(warehouse, schema, contract) -> None:
    engine: WarehouseEngine = warehouse.engine()
    window = WINDOW if contract.partition_expr else None
    engine.write(schema, "t", rows([1, 2, 3]), contract, window)
    with pytest.raises(AuditError, match="required_columns_present") as failed:
        bad = rows([1, 2, 3]).set_column(2, "tag", pa.array(["bad", None, "bad"]))
        engine.write(schema, "t", bad, contract, window)
    assert stored(warehouse, schema) == [(1, "good"), (2, "good"), (3, "good")]
    assert failed.value.check == "required_columns_present"


def test_duplicate_keys_are_named_where_no_constraint_enforces_them(warehouse, schema) -> None:
    """As in Redshift, whose primary keys are informational: the audit is what refuses them."""
    with warehouse.get_connection() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(f'CREATE TABLE "{schema}"."t" (id bigint, ts timestamptz, tag text)')
    warehouse.engine().write(schema, "t", rows([1, 2, 3]), PARTITION, WINDOW)
    with pytest.raises(AuditError) as failed:
        warehouse.engine().write(schema, "t", rows([1, 2, 2, 3, 3], "bad"), PARTITION, WINDOW)
    assert failed.value.check == "primary_key_unique" and failed.value.keys == [2, 3]
    assert stored(warehouse, schema) == [(1, "good"), (2, "good"), (3, "good")]


def test_nulls_are_named_by_key(warehouse, schema) -> None:
    contract = WriteContract("replace", primary_key=("id",), not_null=("tag",))
    data = rows([1, 2, 3]).set_column(2, "tag", pa.array(["x", None, None]))
    with pytest.raises(AuditError, match="required_columns_present") as failed:
        warehouse.engine().write(schema, "t", data, contract)
    assert failed.value.keys == [2, 3]


def test_the_io_manager_fails_the_step_with_check_partition_and_keys(warehouse, schema) -> None:
    partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01")

    @dg.asset(key=[schema, "t"], partitions_def=partitions, io_manager_key="warehouse_io_manager",
              metadata={"write_mode": "partition", "partition_expr": "ts", "not_null": ["id"]})  # fmt: skip
    def t() -> pa.Table:
        return rows([5, None, 6])

    result = dg.materialize([t], partition_key="2026-01-01", raise_on_error=False,
                            resources={"warehouse_io_manager": WarehouseIOManager(warehouse=warehouse)})  # fmt: skip
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
    assert failure.metadata["check"].value == "required_columns_present"
    assert failure.metadata["offending_keys"].value == [None]
    assert failure.metadata["partition"].value.startswith("[2026-01-01T00:00:00+00:00")


def test_the_contract_is_parsed_and_validated_once() -> None:
    contract = WriteContract.from_metadata(
        {"write_mode": "merge", "partition_expr": "modified_at", "primary_key": ["user_id"],
         "version_column": "modified_at", "json_columns": "attrs"}, partitioned=True)  # fmt: skip
    assert contract.primary_key == ("user_id",) and contract.json_columns == ("attrs",)
    assert WriteContract.from_metadata(contract.metadata(), partitioned=True) == contract
    assert WriteContract.from_metadata({"partition_column": "ts"}, partitioned=True).partition_expr == "ts"
    assert WriteContract.from_metadata({}, partitioned=False).write_mode == "replace"
    for bad, partitioned in [({"write_mode": "upsert"}, False), ({"write_mode": "merge"}, True),
                             ({}, True), ({"write_mode": "partition", "partition_expr": "ts"}, False)]:  # fmt: skip
        with pytest.raises(ContractError):
            WriteContract.from_metadata(bad, partitioned)


def test_redshift_plans_audit_the_staged_rows_before_the_transaction(stack_env) -> None:
    data = pa.schema([("id", pa.int64()), ("ts", pa.timestamp("us", "UTC"))])
    spec = WriteSpec(TableRef("raw", "t"), data, REDSHIFT, (), ("id",), True, "s3://b/k.parquet", "arn:role",
                     not_null=("ts",))  # fmt: skip
    with psycopg.connect(stack_env["PLATFORM_WAREHOUSE_URL"]) as conn:
        plans = [(plan_partition_write(spec, "ts", *WINDOW), '"t__incoming"'),
                 (plan_replace(spec), '"raw"."t__staging"'), (plan_merge(spec, ["id"], "ts"), '"t__incoming"')]
        for plan, relation in plans:
            assert not any(isinstance(step, Audit) for step in plan.transaction)
            audits = {s.name: s.query.as_string(conn) for s in plan.prepare if isinstance(s, Audit)}
            nulls = f'SELECT "id" FROM {relation} WHERE ("ts" IS NULL) LIMIT 50'  # noqa: S608
            assert audits.pop("required_columns_present") == nulls
            if plan is not plans[2][0]:  # a merge takes the newest of several versions of a key
                duplicates = f'SELECT "id" FROM {relation} GROUP BY "id" HAVING COUNT(*) > 1 ORDER BY "id" LIMIT 50'  # noqa: S608
                assert audits.pop("primary_key_unique") == duplicates
            assert audits == {}
