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
from psycopg import sql

from data_platform.resources.lake.files import LakeFiles
from data_platform.resources.warehouse.arrow import csv_chunks
from data_platform.resources.warehouse.contract import (
    ContractError,
    WriteContract,
    check_columns,
    check_window,
)
from data_platform.resources.warehouse.plan import (
    Audit,
    CopyIn,
    Plan,
    Step,
    WriteSpec,
    plan_merge,
    plan_partition_write,
    plan_replace,
)
from data_platform.resources.warehouse.read import read_table, table_columns
from data_platform.resources.warehouse.source import Source, as_source
from data_platform.resources.warehouse.sql import (
    POSTGRES,
    REDSHIFT,
    TableRef,
    create_schema,
    create_table,
    day_index,
    idents,
    index_exists,
)

Hook = Callable[[psycopg.Connection], None]
Connect = Callable[[], AbstractContextManager[psycopg.Connection]]
# Lake files are loaded where they lie: streamed into PostgreSQL, COPYed by Redshift from S3.
Data = pa.Table | pd.DataFrame | LakeFiles | Source


class AuditError(ValueError):
    """A blocking audit found offending rows: nothing of this write was published."""

    def __init__(self, check: str, rows: list[tuple]) -> None:
        self.check, self.rows = check, rows
        plain = [[v if v is None or isinstance(v, int | float | str) else str(v) for v in row] for row in rows]
        keys = [row[0] if len(row) == 1 else row for row in plain]
        self.keys = keys  # JSON-ready (dates as ISO text), for metadata and reports
        super().__init__(f"audit {check!r} failed on the new rows (nothing published); offending keys: {keys}")


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
        check: bool = True, day_column: str | None = None,
    ) -> bool:  # fmt: skip
        """Create the schema and table if missing; refuse data whose columns differ (when `check`).
        A `day_column` (a partitioned table's) is indexed (PostgreSQL) or the sort key (Redshift).

        True if the table exists (or was created).
        """
        ref = TableRef(schema, table)
        with self.connect() as conn, conn.transaction():
            if self.dialect == POSTGRES:  # concurrent CREATE ... IF NOT EXISTS can still collide
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('warehouse ddl', 0))")
            conn.execute(create_schema(ref))
            existing = [c.name for c in table_columns(conn, ref)]
            if existing and check:
                check_columns(ref, existing, arrow_schema.names)
            elif create:
                conn.execute(create_table(ref.ident, arrow_schema, self.dialect, json_columns, primary_key,
                                          sort_key=day_column))  # fmt: skip
            if day_column and self.dialect == POSTGRES and (existing or create):
                # Looked up first: CREATE INDEX IF NOT EXISTS takes a lock that waits for a write
                # in progress on the table, even when the index is there.
                index = day_index(ref, day_column)
                if not conn.execute(index_exists(ref, day_column)).fetchone():
                    conn.execute(index)
        return bool(existing) or create

    def write(
        self, schema: str, table: str, data: Data, contract: WriteContract,
        window: tuple[datetime, datetime] | None = None,
    ) -> WriteStats:  # fmt: skip
        """Write by the contract: the window (partition), a staging swap (replace) or a merge.

        A partitioned merge accepts only rows of its own window; every write audits the new
        rows (unique primary key, required columns) before they are published.
        """
        source, ref = as_source(data, contract.json_columns), TableRef(schema, table)
        if contract.write_mode == "partition":
            if window is None:
                raise ContractError(f"{ref.name}: a partition write needs the partition's window")
            check_window(source, contract.partition_expr, *window)
        if contract.write_mode == "merge" and window and contract.partition_expr:
            check_window(source, contract.partition_expr, *window)
        if contract.write_mode == "replace":
            rebuild = contract.on_schema_change == "rebuild"
            exists = self.ensure_table(ref.schema, ref.table, source.schema, contract.primary_key, contract.json_columns,
                                       create=False, check=not rebuild)  # fmt: skip
            return self._run(ref, source, contract, exists, plan_replace, rebuild)
        self.ensure_table(ref.schema, ref.table, source.schema, contract.primary_key, contract.json_columns,
                          day_column=contract.partition_expr)  # fmt: skip
        if contract.write_mode == "merge":
            key, version = contract.primary_key, contract.version_column
            return self._run(ref, source, contract, True, lambda spec: plan_merge(spec, key, version))
        column = contract.partition_expr
        return self._run(ref, source, contract, True, lambda spec: plan_partition_write(spec, column, *window))

    def write_partition(
        self, schema: str, table: str, data: Data, column: str, start: datetime, end: datetime,
        primary_key: Sequence[str] | None = None, json_columns: Sequence[str] = (),
    ) -> WriteStats:  # fmt: skip
        """Replace the rows with `start <= column < end` by `data`, in one transaction."""
        contract = WriteContract("partition", column, primary_key, json_columns=json_columns)
        return self.write(schema, table, data, contract, (start, end))

    def replace(
        self, schema: str, table: str, data: Data,
        primary_key: Sequence[str] | None = None, json_columns: Sequence[str] = (),
    ) -> WriteStats:  # fmt: skip
        """Full refresh: load `<table>__staging`, then swap it in one transaction."""
        return self.write(schema, table, data, WriteContract("replace", None, primary_key, json_columns=json_columns))

    def merge(
        self, schema: str, table: str, data: Data, key: Sequence[str], version_column: str,
        json_columns: Sequence[str] = (),
    ) -> WriteStats:  # fmt: skip
        """Upsert by `key` where the incoming row is newer than the stored one (by `version_column`)."""
        return self.write(schema, table, data, WriteContract("merge", None, key, version_column, json_columns))

    def read(
        self, schema: str, table: str, where_column: str | None = None,
        start: datetime | None = None, end: datetime | None = None,
    ) -> pa.Table:  # fmt: skip
        """The table, or its rows with `start <= where_column < end`, as Arrow."""
        with self.connect() as conn:
            return read_table(conn, TableRef(schema, table), self.dialect, where_column, start, end)

    def _run(self, ref: TableRef, source: Source, contract: WriteContract, exists: bool,
             build: Callable[[WriteSpec], Plan], rebuild: bool = False) -> WriteStats:  # fmt: skip
        started = time.monotonic()
        redshift = self.dialect == REDSHIFT
        objects = source.s3_objects(ref, self.staging_url, self.s3_endpoint_url) if redshift else nullcontext(())
        with objects as s3_uris:
            spec = WriteSpec(ref, source.schema, self.dialect, contract.json_columns, contract.primary_key or None,
                             exists, tuple(s3_uris), self.iam_role, contract.not_null, rebuild)  # fmt: skip
            with self.connect() as conn:
                counts = execute(conn, build(spec), source, self.before_commit)
        inserted = counts.get("inserted", counts.get("copied", 0))
        return WriteStats(source.num_rows, counts.get("deleted", 0), inserted, time.monotonic() - started)


def execute(conn: psycopg.Connection, plan: Plan, data: Source, before_commit: Hook | None = None) -> dict[str, int]:
    """Run a plan: prepare, the transaction (with `before_commit` just before COMMIT), cleanup."""
    counts: dict[str, int] = {}
    run_steps(conn, plan.prepare, data, counts)
    with conn.transaction():
        run_steps(conn, plan.transaction, data, counts)
        if before_commit:
            before_commit(conn)
    run_steps(conn, plan.cleanup, data, counts)
    return counts


def run_steps(conn: psycopg.Connection, steps: list[Step], data: Source, counts: dict[str, int]) -> None:
    with conn.cursor() as cur:
        for step in steps:
            if isinstance(step, Audit):
                cur.execute(step.query, step.params or None)
                if offending := cur.fetchall():
                    raise AuditError(step.name, offending)
                continue
            if isinstance(step, CopyIn):
                cur.execute("SET LOCAL TIME ZONE 'UTC'")  # the CSV carries timestamps as UTC wall time
                copy = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(step.table, idents(step.columns))
                with cur.copy(copy) as stream:  # batch by batch: lake files never sit in memory whole
                    for table in data.tables(step.columns):
                        for chunk in csv_chunks(table):
                            stream.write(chunk)
                counts["copied"] = counts.get("copied", 0) + data.num_rows
                continue
            cur.execute(step.query, step.params or None)
            if step.label:
                counts[step.label] = counts.get(step.label, 0) + max(cur.rowcount, 0)
