"""Athena through boto3: run a statement, read a result as Arrow, list the tables Glue holds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from data_platform.resources.lake_sql.athena_ddl import DATABASE, DIGEST_PROPERTY

# Athena's result types → Arrow; results arrive as text and are cast column by column.
ARROW_TYPES = {
    "boolean": pa.bool_(), "tinyint": pa.int8(), "smallint": pa.int16(), "integer": pa.int32(),
    "bigint": pa.int64(), "float": pa.float32(), "real": pa.float32(), "double": pa.float64(),
    "date": pa.date32(), "timestamp": pa.timestamp("us"),
}  # fmt: skip


class AthenaQueryError(RuntimeError):
    """A statement ended FAILED or CANCELLED; the message is Athena's reason."""


@dataclass
class AthenaRunner:
    """Runs statements in one workgroup (which holds the result location) against `database`."""

    client: Any  # boto3 "athena" client
    workgroup: str = "primary"
    database: str = DATABASE
    poll_seconds: float = 1.0
    timeout_seconds: float = 600.0

    def run(self, sql: str) -> str:
        """Start a statement and wait for it; returns the execution id."""
        started = self.client.start_query_execution(
            QueryString=sql, WorkGroup=self.workgroup,
            QueryExecutionContext={"Database": self.database},
        )  # fmt: skip
        execution_id = started["QueryExecutionId"]
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            status = self.client.get_query_execution(QueryExecutionId=execution_id)
            state = status["QueryExecution"]["Status"]
            if state["State"] == "SUCCEEDED":
                return execution_id
            if state["State"] in ("FAILED", "CANCELLED"):
                reason = state.get("StateChangeReason", state["State"])
                raise AthenaQueryError(f"Athena {state['State']}: {reason}")
            if time.monotonic() > deadline:
                self.client.stop_query_execution(QueryExecutionId=execution_id)
                raise TimeoutError(f"Athena query {execution_id} ran over {self.timeout_seconds}s")
            time.sleep(self.poll_seconds)

    def query(self, sql: str) -> pa.Table:
        """Run a query and return its result with Athena's column types."""
        execution_id = self.run(sql)
        pages = self.client.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id)
        columns: list[dict] = []
        values: list[list[str | None]] = []
        for page in pages:
            result = page["ResultSet"]
            columns = columns or result["ResultSetMetadata"]["ColumnInfo"]
            values += [[cell.get("VarCharValue") for cell in row["Data"]] for row in result["Rows"]]
        names = [c["Name"] for c in columns]
        if values and values[0] == names:
            values = values[1:]  # a SELECT's first row repeats the column names
        return pa.table({
            c["Name"]: _typed([row[i] for row in values], c["Type"]) for i, c in enumerate(columns)
        })  # fmt: skip

    def table_digests(self, glue: Any) -> dict[str, str | None]:
        """Tables in the database and the DDL digest each carries (None: not made by the platform)."""
        found: dict[str, str | None] = {}
        try:
            for page in glue.get_paginator("get_tables").paginate(DatabaseName=self.database):
                for table in page["TableList"]:
                    found[table["Name"]] = table.get("Parameters", {}).get(DIGEST_PROPERTY)
        except glue.exceptions.EntityNotFoundException:
            return {}
        return found


def _typed(texts: list[str | None], athena_type: str) -> pa.Array:
    strings = pa.array(texts, pa.string())
    base = athena_type.split("(", 1)[0].lower()
    if base == "decimal":
        precision, scale = athena_type[athena_type.index("(") + 1 : -1].split(",")
        return pc.cast(strings, pa.decimal128(int(precision), int(scale)))
    target = ARROW_TYPES.get(base)
    return pc.cast(strings, target) if target is not None else strings
