"""Moving one warehouse day to the lake's archive: export, verify, delete in one transaction.

PostgreSQL days are read through the warehouse engine and written as one Parquet file;
Redshift writes them itself with `UNLOAD ... FORMAT AS PARQUET`. Either way export, count
and DELETE run in one transaction under the writers' own table lock, on one snapshot: the
day is deleted only when the archive holds exactly as many rows as the warehouse and the
DELETE removes exactly that many, so a writer that changes the day meanwhile (even one
outside the lock) makes the archive refuse instead of losing or doubling rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from data_platform.assets.maintenance.retention_rules import (
    RetentionRule,
    archive_file,
    archive_folder,
)
from data_platform.assets.partitions import day_window
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.plan import table_lock
from data_platform.resources.warehouse.read import (
    Column,
    read_table,
    select_expression,
    table_columns,
)
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.sql import POSTGRES, REDSHIFT, delete_window


class ArchiveMismatchError(RuntimeError):
    """The archive and the warehouse disagree on a day's row count: nothing is deleted."""


class ArchiveRaceError(ArchiveMismatchError):
    """A writer changed the day while it was archived: nothing is deleted; a retry sees its rows."""


@dataclass(frozen=True)
class ArchivedDay:
    day: date
    rows: int
    path: str


def days_before(conn: psycopg.Connection, rule: RetentionRule, cutoff: date) -> list[date]:
    """The days of the table older than `cutoff`, oldest first."""
    query = sql.SQL("SELECT DISTINCT CAST({c} AS date) FROM {t} WHERE {c} < %s ORDER BY 1").format(
        c=sql.Identifier(rule.column), t=rule.table.ident
    )
    return [row[0] for row in conn.execute(query, (cutoff,)).fetchall()]


def unload_statement(rule: RetentionRule, columns: list[Column], day: date, prefix_uri: str,
                     iam_role: str) -> sql.Composed:  # fmt: skip
    """Redshift's export of one day as a single Parquet file under `prefix_uri` (JSON as text)."""
    start, end = (bound.date() for bound in day_window(day))
    select = sql.SQL("SELECT {cols} FROM {t} WHERE {c} >= {start} AND {c} < {end}").format(
        cols=sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(select_expression(col, REDSHIFT), sql.Identifier(col.name)) for col in columns
        ),
        t=rule.table.ident, c=sql.Identifier(rule.column),
        start=sql.Literal(start.isoformat()), end=sql.Literal(end.isoformat()),
    )  # fmt: skip
    # UNLOAD takes its query as a string literal, so the (fully quoted) query is quoted once more.
    return sql.SQL(
        "UNLOAD ({}) TO {} IAM_ROLE {} FORMAT AS PARQUET PARALLEL OFF ALLOWOVERWRITE"
    ).format(sql.Literal(select.as_string(None)), sql.Literal(prefix_uri), sql.Literal(iam_role))


def export_day(
    conn: psycopg.Connection, warehouse: WarehouseResource, lake: LakeResource, rule: RetentionRule, day: date
) -> None:
    """Write the day's rows, as `conn` sees them, to its archive folder (replacing an earlier export)."""
    if warehouse.dialect == REDSHIFT:
        if not warehouse.iam_role:
            raise ValueError("archiving from Redshift needs the warehouse's iam_role for UNLOAD")
        prefix = lake.uri(f"{archive_folder(rule.table, day)}/part-")
        conn.execute(unload_statement(rule, table_columns(conn, rule.table), day, prefix, warehouse.iam_role))
        return
    rows = read_table(conn, rule.table, warehouse.dialect, rule.column, *day_window(day))
    lake.write_parquet(archive_file(rule.table, day), rows)


def archived_rows(lake: LakeResource, rule: RetentionRule, day: date) -> int:
    """Rows in the day's archive folder, from the Parquet footers (no data is read)."""
    filesystem, base = lake.get_filesystem()
    files = lake.list_files(archive_folder(rule.table, day), suffix=".parquet")
    return sum(pq.read_metadata(f"{base}/{name}", filesystem=filesystem).num_rows for name in files)


def read_archive(lake: LakeResource, rule: RetentionRule, day: date) -> pa.Table | None:
    """The archived rows of a day, or None when the day was never archived."""
    files = lake.list_files(archive_folder(rule.table, day), suffix=".parquet")
    return pa.concat_tables([lake.read_parquet(name) for name in files]) if files else None


def delete_counted(conn: psycopg.Connection, rule: RetentionRule, day: date, expected: int) -> int:
    """Inside the caller's locked transaction: delete the day if it holds exactly `expected` rows
    and the DELETE removes exactly that many; otherwise raise (the transaction rolls back)."""
    window = day_window(day)
    count = sql.SQL("SELECT count(*) FROM {t} WHERE {c} >= %s AND {c} < %s").format(
        t=rule.table.ident, c=sql.Identifier(rule.column)
    )
    found = conn.execute(count, window).fetchone()[0]
    if found != expected:
        raise ArchiveMismatchError(f"{rule.table.name} {day}: warehouse has {found} rows, archive has {expected}; kept")
    deleted = conn.execute(delete_window(rule.table, rule.column), window).rowcount
    if deleted != expected:  # a writer outside the lock committed in between
        raise ArchiveMismatchError(
            f"{rule.table.name} {day}: the delete met {deleted} rows, the archive holds {expected}; kept"
        )
    return deleted


@contextmanager
def locked_snapshot(warehouse: WarehouseResource, rule: RetentionRule) -> Iterator[psycopg.Connection]:
    """One transaction under the writers' lock on the table, reading one snapshot throughout.

    PostgreSQL runs it REPEATABLE READ (Redshift is serializable anyway), so the export and the
    DELETE see the same rows; if a writer outside the lock changed them, the DELETE fails to
    serialise and nothing is deleted.
    """
    try:
        with warehouse.get_connection() as conn, conn.transaction():
            if warehouse.dialect == POSTGRES:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            step = table_lock(rule.table, warehouse.dialect)  # no engine write of this table until COMMIT
            conn.execute(step.query, step.params or None)
            yield conn
    except psycopg.errors.SerializationFailure as exc:
        raise ArchiveRaceError(f"{rule.table.name} changed while it was archived; kept") from exc


def delete_day(warehouse: WarehouseResource, rule: RetentionRule, day: date, expected: int) -> int:
    """Delete the day in one locked transaction if it holds exactly `expected` rows."""
    with locked_snapshot(warehouse, rule) as conn:
        return delete_counted(conn, rule, day, expected)


def archive_day(
    warehouse: WarehouseResource, lake: LakeResource, rule: RetentionRule, day: date, attempts: int = 3
) -> ArchivedDay:
    """Export, verify and delete one day in one transaction: exactly the archived rows go.

    A failure at any step leaves the warehouse's rows (an export left behind is rewritten by
    the next attempt or run). A writer that held the lock when the snapshot was taken makes
    the attempt fail to serialise; the next attempt starts after its commit and sees its rows.
    """
    for attempt in range(1, attempts + 1):
        try:
            with locked_snapshot(warehouse, rule) as conn:
                export_day(conn, warehouse, lake, rule, day)
                deleted = delete_counted(conn, rule, day, archived_rows(lake, rule, day))
            return ArchivedDay(day, deleted, lake.uri(archive_folder(rule.table, day)))
        except ArchiveRaceError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
