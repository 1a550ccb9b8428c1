"""The warehouse write engine: partition writes, full refreshes, merges and reads.

A plain object around a connection factory, so the same code serves the Dagster IO manager,
assets that write themselves, and scripts. Each write builds a `Plan` and runs it; the
transaction in the middle of the plan is where old rows disappear and new ones appear.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import psycopg
import pyarrow as pa

from data_platform.resources.warehouse.arrow import check_window, to_arrow
from data_platform.resources.warehouse.executor import Hook, execute
from data_platform.resources.warehouse.plan import (
    Plan,
    WriteSpec,
    plan_merge,
    plan_partition_write,
    plan_replace,
)
from data_platform.resources.warehouse.read import read_table, table_columns
from data_platform.resources.warehouse.redshift import staged_parquet
from data_platform.resources.warehouse.sql import (
    POSTGRES,
    REDSHIFT,
    TableRef,
    create_schema,
    create_table,
)

Connect = Callable[[], AbstractContextManager[psycopg.Connection]]
Data = pa.Table | pd.DataFrame


class SchemaDriftError(ValueError):
    """The data's columns differ from the table's: changing a table is a deliberate migration."""


@dataclass(frozen=True)
class WriteStats:
    rows: int
    deleted: int
    inserted: int
    seconds: float


class WarehouseEngine:
    """Writes Arrow tables to PostgreSQL or Redshift atomically and idempotently.

    `before_commit` runs inside each write transaction just before COMMIT (after the old
    rows are deleted and the new ones loaded): a point to observe or interrupt a write.
    """

    def __init__(
        self, connect: Connect, dialect: str = POSTGRES, iam_role: str | None = None,
        staging_url: str | None = None, s3_endpoint_url: str | None = None, before_commit: Hook | None = None,
    ) -> None:  # fmt: skip
        self.connect, self.dialect, self.iam_role = connect, dialect, iam_role
        self.staging_url, self.s3_endpoint_url, self.before_commit = staging_url, s3_endpoint_url, before_commit

    def ensure_table(
        self, schema: str, table: str, arrow_schema: pa.Schema,
        primary_key: Sequence[str] | None = None, json_columns: Sequence[str] = (), create: bool = True,
    ) -> bool:  # fmt: skip
        """Create the schema and table if missing; refuse data whose columns differ. True if it exists."""
        ref = TableRef(schema, table)
        with self.connect() as conn, conn.transaction():
            if self.dialect == POSTGRES:  # concurrent CREATE ... IF NOT EXISTS can still collide
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('warehouse ddl', 0))")
            conn.execute(create_schema(ref))
            existing = [c.name for c in table_columns(conn, ref)]
            if existing:
                check_columns(ref, existing, arrow_schema.names)
            elif create:
                conn.execute(create_table(ref.ident, arrow_schema, self.dialect, json_columns, primary_key))
        return bool(existing) or create

    def write_partition(
        self, schema: str, table: str, data: Data, column: str, start: datetime, end: datetime,
        primary_key: Sequence[str] | None = None, json_columns: Sequence[str] = (),
    ) -> WriteStats:  # fmt: skip
        """Replace the rows with `start <= column < end` by `data`, in one transaction."""
        arrow = to_arrow(data, json_columns)
        check_window(arrow, column, start, end)
        self.ensure_table(schema, table, arrow.schema, primary_key, json_columns)
        return self._run(TableRef(schema, table), arrow, json_columns, primary_key, True,
                         lambda spec: plan_partition_write(spec, column, start, end))  # fmt: skip

    def replace(
        self, schema: str, table: str, data: Data,
        primary_key: Sequence[str] | None = None, json_columns: Sequence[str] = (),
    ) -> WriteStats:  # fmt: skip
        """Full refresh: load `<table>__staging`, then swap it in one transaction."""
        arrow = to_arrow(data, json_columns)
        exists = self.ensure_table(schema, table, arrow.schema, primary_key, json_columns, create=False)
        return self._run(TableRef(schema, table), arrow, json_columns, primary_key, exists, plan_replace)

    def merge(
        self, schema: str, table: str, data: Data, key: Sequence[str], version_column: str,
        json_columns: Sequence[str] = (),
    ) -> WriteStats:  # fmt: skip
        """Upsert by `key` where the incoming row is newer than the stored one (by `version_column`)."""
        arrow = to_arrow(data, json_columns)
        self.ensure_table(schema, table, arrow.schema, key, json_columns)
        return self._run(TableRef(schema, table), arrow, json_columns, key, True,
                         lambda spec: plan_merge(spec, key, version_column))  # fmt: skip

    def read(
        self, schema: str, table: str, where_column: str | None = None,
        start: datetime | None = None, end: datetime | None = None,
    ) -> pa.Table:  # fmt: skip
        """The table, or its rows with `start <= where_column < end`, as Arrow."""
        with self.connect() as conn:
            return read_table(conn, TableRef(schema, table), self.dialect, where_column, start, end)

    def _run(self, ref, arrow, json_columns, primary_key, exists, build: Callable[[WriteSpec], Plan]) -> WriteStats:
        started = time.monotonic()
        redshift = self.dialect == REDSHIFT
        staging = staged_parquet(arrow, ref, self.staging_url, self.s3_endpoint_url) if redshift else nullcontext()
        with staging as s3_uri:
            spec = WriteSpec(ref, arrow.schema, self.dialect, tuple(json_columns), primary_key, exists,
                             s3_uri, self.iam_role)  # fmt: skip
            with self.connect() as conn:
                counts = execute(conn, build(spec), arrow, self.before_commit)
        inserted = counts.get("inserted", counts.get("copied", 0))
        return WriteStats(len(arrow), counts.get("deleted", 0), inserted, time.monotonic() - started)


def check_columns(ref: TableRef, table_columns: Sequence[str], data_columns: Sequence[str]) -> None:
    """Schema drift is explicit: name the columns that one side has and the other lacks."""
    extra = [c for c in data_columns if c not in table_columns]
    missing = [c for c in table_columns if c not in data_columns]
    if extra:
        raise SchemaDriftError(f"{ref.name} has no columns {extra} that the data has; add them with a migration")
    if missing:
        raise SchemaDriftError(f"the data lacks columns {missing} of {ref.name}")

