"""Statement plans for warehouse writes: what runs before, inside and after the one transaction.

Audit before publish: every plan loads the new rows somewhere readers cannot see them (a
staging table, or the target inside the still-open transaction), runs its `Audit` steps
there, and only then publishes; a failed audit rolls the transaction back, so readers stay
on the previous good rows.

Plans are data (psycopg `Composed` statements with bound parameters), so the Redshift plans
can be read and checked without a Redshift cluster. PostgreSQL streams rows with
`COPY ... FROM STDIN` inside the transaction; Redshift COPYs Parquet objects from S3 (the
lake's own files, or a staged one) into a temporary table first, because its COPY reads
files, and never uses TRUNCATE (it commits).
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
    add_primary_key,
    create_table,
    delete_window,
    duplicate_keys,
    insert_from,
    merge_statements,
    rows_with_nulls,
    swap_statements,
)

AUDIT_ROWS = 50


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


@dataclass(frozen=True)
class Audit:
    """A blocking check on rows not yet published: any row it returns (offending keys) fails the write."""

    name: str
    query: sql.Composable
    params: tuple = ()


Step = Statement | CopyIn | Audit


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
    # The S3 objects Redshift COPYs: the lake's own Parquet files, or one staged file.
    s3_uris: Sequence[str] = ()
    iam_role: str | None = None
    not_null: Sequence[str] = ()
    rebuild: bool = False  # replace: build the staging table from the data, not LIKE the target

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
    return table_lock(spec.target, spec.dialect)


def table_lock(ref: TableRef, dialect: str) -> Statement:
    """Serialise writers of one table for the rest of the transaction; readers go on.

    PostgreSQL: a transaction-scoped advisory lock keyed on `schema.table`, so any writer can
    share it without touching the table (e.g. a dbt pre-hook `select
    pg_advisory_xact_lock(hashtextextended('{{ this.schema }}.{{ this.identifier }}', 0))`),
    and it works before the table exists. Redshift: `LOCK` on the table.
    """
    if dialect == REDSHIFT:
        return Statement(sql.SQL("LOCK {}").format(ref.ident))
    return Statement(sql.SQL("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"), (ref.name,))


def audits(
    spec: WriteSpec, relation: sql.Composable, window: tuple[str, tuple] | None = None, unique: bool = True
) -> list[Audit]:
    """The contract's audits on `relation` (its `(column, (start, end))` window, when given)."""
    column, params = window if window else (None, ())
    found = []
    if spec.primary_key and unique:
        query = duplicate_keys(relation, spec.primary_key, column, AUDIT_ROWS)
        found.append(Audit("primary_key_unique", query, params))
    if spec.not_null:
        query = rows_with_nulls(relation, spec.not_null, spec.primary_key or (), column, AUDIT_ROWS)
        found.append(Audit("required_columns_present", query, params))
    return found


def s3_stage(spec: WriteSpec) -> list[Step]:
    """Redshift: a temporary table shaped like the Parquet files (JSON as text), one COPY per
    object (each names its exact file, so nothing else under the prefix is ever loaded)."""
    if not (spec.s3_uris and spec.iam_role):
        raise ValueError("Redshift loads need S3 Parquet objects and an IAM role for COPY")
    copies = [
        Statement(sql.SQL("COPY {} FROM {} IAM_ROLE {} FORMAT AS PARQUET").format(
            spec.stage, sql.Literal(uri), sql.Literal(spec.iam_role)
        ), label="copied")
        for uri in spec.s3_uris
    ]  # fmt: skip
    return [
        Statement(sql.SQL("DROP TABLE IF EXISTS {}").format(spec.stage)),
        Statement(create_table(spec.stage, spec.data_schema, REDSHIFT, temporary=True)),
        *copies,
    ]


def analyze(spec: WriteSpec) -> Statement:
    """PostgreSQL plans end with fresh statistics once the rows are published, so the next
    query on a table that just grew by a day is planned on its real size (autovacuum catches
    up only later). Redshift analyzes on its own (automatic analyze)."""
    return Statement(sql.SQL("ANALYZE {}").format(spec.target.ident))


def drop_stage(spec: WriteSpec) -> Statement:
    return Statement(sql.SQL("DROP TABLE IF EXISTS {}").format(spec.stage))


def plan_partition_write(spec: WriteSpec, column: str, start: datetime, end: datetime) -> Plan:
    """Delete the window and load the data, in one transaction.

    PostgreSQL audits the new window inside the transaction (uncommitted rows are invisible
    to readers; one COPY, no second copy of a large day); Redshift audits its staged table.
    """
    delete = Statement(delete_window(spec.target, column), (start, end), label="deleted")
    if spec.dialect == POSTGRES:
        checks = audits(spec, spec.target.ident, (column, (start, end)))
        return Plan(transaction=[lock(spec), delete, CopyIn(spec.target.ident, spec.columns), *checks],
                    cleanup=[analyze(spec)])  # fmt: skip
    insert = Statement(insert_from(spec.target, spec.stage, spec.columns, spec.parse_json), label="inserted")
    return Plan([*s3_stage(spec), *audits(spec, spec.stage)], [lock(spec), delete, insert], [drop_stage(spec)])


def plan_replace(spec: WriteSpec) -> Plan:
    """Load `<table>__staging`, audit it, then swap it in; readers see the old table until the commit.

    PostgreSQL loads the staging table without its primary key, so the audit (not the
    constraint) names every duplicate key; the key is added after the audit, before the swap.
    """
    staging = spec.target.sibling("__staging")
    postgres = spec.dialect == POSTGRES
    if spec.target_exists and not spec.rebuild:
        like = "(LIKE {} INCLUDING ALL EXCLUDING INDEXES)" if postgres else "(LIKE {})"
        create = sql.SQL("CREATE TABLE {} " + like).format(staging.ident, spec.target.ident)
    else:
        key = None if postgres else spec.primary_key
        create = create_table(staging.ident, spec.data_schema, spec.dialect, spec.json_columns, key)
    fresh = [Statement(sql.SQL("DROP TABLE IF EXISTS {}").format(staging.ident)), Statement(create)]
    swap = [Statement(s) for s in swap_statements(spec.target, staging, spec.target_exists)]
    if postgres:
        key = [Statement(add_primary_key(staging, spec.primary_key))] if spec.primary_key else []
        load = [*fresh, CopyIn(staging.ident, spec.columns), *audits(spec, staging.ident), *key]
        return Plan(transaction=[lock(spec), *load, *swap], cleanup=[analyze(spec)])
    insert = Statement(insert_from(staging, spec.stage, spec.columns, spec.parse_json), label="inserted")
    locks = [lock(spec)] if spec.target_exists else []
    return Plan([*s3_stage(spec), *fresh, insert, *audits(spec, staging.ident)], [*locks, *swap], [drop_stage(spec)])


def plan_merge(spec: WriteSpec, key: Sequence[str], version: str) -> Plan:
    """Stage, then replace older versions of the staged keys and insert new keys."""
    delete, insert = merge_statements(spec.target, spec.stage, spec.columns, key, version, spec.parse_json)
    merge = [Statement(delete, label="deleted"), Statement(insert, label="inserted")]
    # Several versions of one key may arrive together (the newest wins), so only required columns are audited.
    checks = audits(spec, spec.stage, unique=False)
    if spec.dialect == POSTGRES:
        # The target's own column types, so JSON and numerics load exactly as in the target.
        create = sql.SQL("CREATE TEMP TABLE {} (LIKE {})").format(spec.stage, spec.target.ident)
        return Plan(
            transaction=[lock(spec), Statement(create), CopyIn(spec.stage, spec.columns), *checks, *merge,
                         drop_stage(spec)],
            cleanup=[analyze(spec)],
        )  # fmt: skip
    return Plan([*s3_stage(spec), *checks], [lock(spec), *merge], [drop_stage(spec)])

