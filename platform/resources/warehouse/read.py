"""Reading warehouse tables back as Arrow, with the table's own column types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
import pyarrow as pa
from psycopg import sql

from data_platform.resources.warehouse.arrow import arrow_type, from_rows
from data_platform.resources.warehouse.sql import REDSHIFT, TableRef

FETCH_ROWS = 50_000
JSON_TYPES = ("jsonb", "json", "super")


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    precision: int | None
    scale: int | None


def table_columns(conn: psycopg.Connection, ref: TableRef) -> list[Column]:
    """The table's columns in order; empty when the table does not exist."""
    rows = conn.execute(
        "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (ref.schema, ref.table),
    ).fetchall()
    return [Column(*row) for row in rows]


def select_expression(column: Column, dialect: str) -> sql.Composable:
    """JSON columns come back as JSON text (Arrow has no JSON type of its own)."""
    if column.data_type.lower() not in JSON_TYPES:
        return sql.Identifier(column.name)
    template = "JSON_SERIALIZE({})" if dialect == REDSHIFT else "{}::text"
    return sql.SQL(template).format(sql.Identifier(column.name))


def read_table(
    conn: psycopg.Connection, ref: TableRef, dialect: str,
    where_column: str | None = None, start: datetime | None = None, end: datetime | None = None,
) -> pa.Table:  # fmt: skip
    """Rows of `ref` (those with `start <= where_column < end` when given) through a server-side cursor."""
    columns = table_columns(conn, ref)
    if not columns:
        raise LookupError(f"warehouse table {ref.name} does not exist")
    query = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(select_expression(c, dialect) for c in columns), ref.ident
    )
    params: tuple = ()
    if where_column is not None:
        query = sql.SQL("{} WHERE {col} >= %s AND {col} < %s").format(query, col=sql.Identifier(where_column))
        params = (start, end)
    rows: list[tuple] = []
    with conn.transaction(), conn.cursor(name=f"read_{ref.table}") as cur:
        cur.itersize = FETCH_ROWS
        cur.execute(query, params or None)
        while batch := cur.fetchmany(FETCH_ROWS):
            rows.extend(batch)
    types = [arrow_type(c.data_type, c.precision, c.scale) for c in columns]
    return from_rows(rows, [c.name for c in columns], types)
