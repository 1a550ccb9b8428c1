"""PostgreSQL `COPY (SELECT …) TO STDOUT` straight into Arrow, in batches, schema enforced.

The server renders the rows as CSV and Arrow's C++ reader parses them with the target
types, so no Python object is built per value (a `fetchall()` then `pa.array` costs ~3×).
NULL is an unquoted empty field and an empty string a quoted one, so both survive.
"""

from __future__ import annotations

import io

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql

BLOCK_BYTES = 16 << 20  # Arrow parses the CSV in blocks of this size (one record batch each)


def copy_to_arrow(conn: psycopg.Connection, query: sql.Composable, schema: pa.Schema) -> pa.Table:
    """Run `query` through COPY and read its CSV output as `schema` (names in column order).

    A value that does not parse as its column's type raises `pyarrow.ArrowInvalid`.
    """
    conn.execute("SET TIME ZONE 'UTC'")  # timestamptz as `…+00`, parsed as UTC by Arrow
    buffer = io.BytesIO()
    copy_sql = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv)").format(query)
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.tell():
        return schema.empty_table()
    buffer.seek(0)
    reader = pacsv.open_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=schema.names, block_size=BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={field.name: field.type for field in schema},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    batches = [batch for batch in reader if batch.num_rows]
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches).cast(schema)
