"""Statement plans for warehouse writes: what runs before, inside and after the one transaction.

Plans are data (psycopg `Composed` statements with bound parameters), so the Redshift plans
can be read and checked without a Redshift cluster. PostgreSQL streams rows with
`COPY ... FROM STDIN` inside the transaction; Redshift loads staged Parquet from S3 into a
temporary table first, because its COPY reads files, and never uses TRUNCATE (it commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
from psycopg import sql

from data_platform.resources.warehouse.sql import (
    POSTGRES,
    REDSHIFT,
    TableRef,
    create_table,
    delete_window,
    insert_from,
    merge_statements,
    swap_statements,
)


@dataclass(frozen=True)
class Statement:
    """One statement; `label` names a row count worth reporting (e.g. "deleted")."""

    query: sql.Composable
    params: tuple = ()
    label: str | None = None


@dataclass(frozen=True)
class CopyIn:
    """Stream the data into `table` with COPY FROM STDIN (PostgreSQL only)."""

    table: sql.Composable
    columns: tuple[str, ...]


Step = Statement | CopyIn


@dataclass
class Plan:
    prepare: list[Step] = field(default_factory=list)
    transaction: list[Step] = field(default_factory=list)
    cleanup: list[Step] = field(default_factory=list)

    def steps(self) -> list[Step]:
        return [*self.prepare, *self.transaction, *self.cleanup]


@dataclass(frozen=True)
class WriteSpec:
    """What is written where: the target, the data's Arrow schema, and how Redshift loads it."""

    target: TableRef
    data_schema: pa.Schema
    dialect: str = POSTGRES
    json_columns: Sequence[str] = ()
    primary_key: Sequence[str] | None = None
    target_exists: bool = True
    s3_uri: str | None = None
    iam_role: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.data_schema.names)

    @property
    def stage(self) -> sql.Identifier:
        """A session-private temporary table (unqualified: temp tables live in their own schema)."""
        return sql.Identifier(f"{self.target.table}__incoming")

    @property
    def parse_json(self) -> Sequence[str]:
        return self.json_columns if self.dialect == REDSHIFT else ()


def lock(spec: WriteSpec) -> Statement:
    """Serialise writers of one table for the rest of the transaction; readers go on."""
    if spec.dialect == REDSHIFT:
        return Statement(sql.SQL("LOCK {}").format(spec.target.ident))
    return Statement(sql.SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"), (spec.target.name,))


def s3_stage(spec: WriteSpec) -> list[Step]:
    """Redshift: a temporary table shaped like the Parquet file (JSON as text), loaded by COPY."""
    if not (spec.s3_uri and spec.iam_role):
        raise ValueError("Redshift loads need a staged S3 file and an IAM role for COPY")
    copy = sql.SQL("COPY {} FROM {} IAM_ROLE {} FORMAT AS PARQUET").format(
        spec.stage, sql.Literal(spec.s3_uri), sql.Literal(spec.iam_role)
    )
    return [
        Statement(sql.SQL("DROP TABLE IF EXISTS {}").format(spec.stage)),
        Statement(create_table(spec.stage, spec.data_schema, REDSHIFT, temporary=True)),
        Statement(copy),
    ]


def drop_stage(spec: WriteSpec) -> Statement:
    return Statement(sql.SQL("DROP TABLE IF EXISTS {}").format(spec.stage))


def plan_partition_write(spec: WriteSpec, column: str, start: datetime, end: datetime) -> Plan:
    """Delete the window and load the data, in one transaction."""
    delete = Statement(delete_window(spec.target, column), (start, end), label="deleted")
    if spec.dialect == POSTGRES:
        return Plan(transaction=[lock(spec), delete, CopyIn(spec.target.ident, spec.columns)])
    insert = Statement(insert_from(spec.target, spec.stage, spec.columns, spec.parse_json), label="inserted")
    return Plan(s3_stage(spec), [lock(spec), delete, insert], [drop_stage(spec)])


def plan_replace(spec: WriteSpec) -> Plan:
    """Load `<table>__staging`, then swap it in; readers see the old table until the commit."""
    staging = spec.target.sibling("__staging")
    if spec.target_exists:
        like = "(LIKE {} INCLUDING ALL)" if spec.dialect == POSTGRES else "(LIKE {})"
        create = sql.SQL("CREATE TABLE {} " + like).format(staging.ident, spec.target.ident)
    else:
        create = create_table(staging.ident, spec.data_schema, spec.dialect, spec.json_columns, spec.primary_key)
    fresh = [Statement(sql.SQL("DROP TABLE IF EXISTS {}").format(staging.ident)), Statement(create)]
    swap = [Statement(s) for s in swap_statements(spec.target, staging, spec.target_exists)]
    if spec.dialect == POSTGRES:
        return Plan(transaction=[lock(spec), *fresh, CopyIn(staging.ident, spec.columns), *swap])
    insert = Statement(insert_from(staging, spec.stage, spec.columns, spec.parse_json), label="inserted")
    locks = [lock(spec)] if spec.target_exists else []
    return Plan([*s3_stage(spec), *fresh, insert], [*locks, *swap], [drop_stage(spec)])


def plan_merge(spec: WriteSpec, key: Sequence[str], version: str) -> Plan:
    """Stage, then replace older versions of the staged keys and insert new keys."""
    delete, insert = merge_statements(spec.target, spec.stage, spec.columns, key, version, spec.parse_json)
    merge = [Statement(delete, label="deleted"), Statement(insert, label="inserted")]
    if spec.dialect == POSTGRES:
        # The target's own column types, so JSON and numerics load exactly as in the target.
        create = sql.SQL("CREATE TEMP TABLE {} (LIKE {})").format(spec.stage, spec.target.ident)
        return Plan(
            transaction=[lock(spec), Statement(create), CopyIn(spec.stage, spec.columns), *merge, drop_stage(spec)]
        )
    return Plan(s3_stage(spec), [lock(spec), *merge], [drop_stage(spec)])

