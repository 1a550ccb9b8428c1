"""Writing a model's SELECT into `analytics.<name>`: a window in one transaction, or a swap.

Partitioned: lock the table, delete the window, `INSERT INTO ... SELECT`, and refuse rows
outside the window (they would survive the next rerun's delete and double up). Full
refresh: build `<name>__staging` from the SELECT, run the model's post step on it, and
swap it in. Both commit once, so readers see the old rows or the new ones, never a mix.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from data_platform.assets.summary.model_file import SCHEMA, SqlModel
from data_platform.assets.summary.post_steps import POST_STEPS
from data_platform.assets.summary.sql_text import to_psycopg
from data_platform.resources.warehouse.engine import check_columns
from data_platform.resources.warehouse.read import table_columns
from data_platform.resources.warehouse.sql import (
    POSTGRES,
    TableRef,
    create_schema,
    delete_window,
    idents,
    swap_statements,
)


class WindowError(ValueError):
    """A partitioned model returned rows outside the window it was asked for."""


def model_query(model: SqlModel) -> sql.Composed:
    """The model as a derived table; newlines keep a trailing `--` comment from swallowing `)`."""
    body = to_psycopg(model.text).rstrip().rstrip(";")
    return sql.SQL("(\n{}\n) AS model").format(sql.SQL(body))


def ensure_table(conn: psycopg.Connection, dialect: str, ref: TableRef, model: SqlModel, params: dict) -> None:
    """Create the table from the SELECT's own column types on first run; refuse changed columns."""
    conn.execute(create_schema(ref))
    if dialect == POSTGRES:  # two first runs at once must not both create the table
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('warehouse ddl', 0))")
    existing = [c.name for c in table_columns(conn, ref)]
    if existing:
        check_columns(ref, existing, model.parsed.columns)
        return
    create = sql.SQL("CREATE TABLE {} AS SELECT * FROM {} LIMIT 0").format(ref.ident, model_query(model))
    conn.execute(create, params)


def lock(conn: psycopg.Connection, dialect: str, ref: TableRef) -> None:
    """Serialise writers of one table (two overlapping deletes + inserts would duplicate rows)."""
    statement = "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE" if dialect == POSTGRES else "LOCK {}"
    conn.execute(sql.SQL(statement).format(ref.ident))


def write_window(conn: psycopg.Connection, dialect: str, model: SqlModel, start: datetime, end: datetime) -> dict[str, int]:
    """Replace the rows with `start <= partition_column < end` by the model's rows, atomically."""
    ref, column = TableRef(SCHEMA, model.name), model.partition_column
    assert column, f"{model.name} is not partitioned"
    params = {"start": start, "end": end}
    with conn.transaction():
        ensure_table(conn, dialect, ref, model, params)
        lock(conn, dialect, ref)
        deleted = conn.execute(delete_window(ref, column), (start, end)).rowcount
        insert = sql.SQL("INSERT INTO {} ({cols}) SELECT {cols} FROM {}").format(
            ref.ident, model_query(model), cols=idents(model.parsed.columns)
        )
        inserted = conn.execute(insert, params).rowcount
        in_window = conn.execute(
            sql.SQL("SELECT COUNT(*) FROM {} WHERE {c} >= %s AND {c} < %s").format(ref.ident, c=sql.Identifier(column)),
            (start, end),
        ).fetchone()[0]
        if in_window != inserted:
            raise WindowError(
                f"{model.path.name}: {inserted - in_window} rows fall outside [{start:%Y-%m-%d}, {end:%Y-%m-%d});"
                f" filter with `{column}` between :start and :end"
            )
        if model.post_step:
            POST_STEPS[model.post_step](conn, ref, model.grain)
    return {"rows": inserted, "deleted": deleted}


def write_full_refresh(conn: psycopg.Connection, dialect: str, model: SqlModel) -> dict[str, int]:
    """Build `<name>__staging`, post-process it, and swap it in, all in one transaction."""
    ref = TableRef(SCHEMA, model.name)
    staging = ref.sibling("__staging")
    with conn.transaction():
        conn.execute(create_schema(ref))
        exists = bool(table_columns(conn, ref))
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(staging.ident))
        create = sql.SQL("CREATE TABLE {} AS SELECT * FROM {}").format(staging.ident, model_query(model))
        rows = conn.execute(create, {}).rowcount
        if model.post_step:
            POST_STEPS[model.post_step](conn, staging, model.grain)
        for statement in swap_statements(ref, staging, exists):
            conn.execute(statement)
    return {"rows": rows}
