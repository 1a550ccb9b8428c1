"""SQL text for warehouse writes, shared by PostgreSQL and Redshift.

Every name goes through `sql.Identifier` and every value is a bound parameter or a
`sql.Literal`, so nothing from an asset's data or metadata is ever formatted into SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from psycopg import sql

POSTGRES, REDSHIFT = "postgres", "redshift"
ROW_NUMBER = "__warehouse_rn"


@dataclass(frozen=True)
class TableRef:
    """A schema-qualified table name."""

    schema: str
    table: str

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    def sibling(self, suffix: str) -> TableRef:
        """A table beside this one, e.g. its `__staging` copy during a full refresh."""
        return TableRef(self.schema, f"{self.table}{suffix}")


def column_type(field: pa.Field, dialect: str, json_columns: Sequence[str] = ()) -> str:
    """The warehouse type for an Arrow field (a fixed vocabulary: never user text)."""
    t = field.type
    if field.name in json_columns:
        return "SUPER" if dialect == REDSHIFT else "jsonb"
    if pa.types.is_decimal(t):
        return f"numeric({int(t.precision)},{int(t.scale)})"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        # Redshift's `text` is varchar(256); the widest varchar keeps long values whole.
        return "varchar(65535)" if dialect == REDSHIFT else "text"
    simple = [
        (pa.types.is_int64, "bigint"), (pa.types.is_int32, "integer"), (pa.types.is_int16, "smallint"),
        (pa.types.is_int8, "smallint"), (pa.types.is_float64, "double precision"),
        (pa.types.is_float32, "real"), (pa.types.is_boolean, "boolean"), (pa.types.is_date32, "date"),
    ]  # fmt: skip
    for test, name in simple:
        if test(t):
            return name
    raise TypeError(f"column {field.name!r}: no warehouse type for Arrow type {t}")


def create_schema(ref: TableRef) -> sql.Composed:
    return sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(ref.schema))


def create_table(
    target: sql.Composable,
    arrow_schema: pa.Schema,
    dialect: str,
    json_columns: Sequence[str] = (),
    primary_key: Sequence[str] | None = None,
    temporary: bool = False,
    sort_key: str | None = None,
) -> sql.Composed:
    """CREATE TABLE IF NOT EXISTS with one column per Arrow field, in the data's order
    (on Redshift sorted by `sort_key`, the day column: a window reads only its blocks)."""
    columns = [
        sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(column_type(f, dialect, json_columns)))
        for f in arrow_schema
    ]
    if primary_key:
        columns.append(sql.SQL("PRIMARY KEY ({})").format(idents(primary_key)))
    head = "CREATE TEMP TABLE" if temporary else "CREATE TABLE IF NOT EXISTS"
    tail = sql.SQL(" SORTKEY ({})").format(sql.Identifier(sort_key)) if sort_key and dialect == REDSHIFT else sql.SQL("")
    return sql.SQL(head + " {} ({}){}").format(target, sql.SQL(", ").join(columns), tail)


def _day_index_name(target: TableRef, column: str) -> str:
    return f"{target.table}__{column}_idx"


def day_index(target: TableRef, column: str) -> sql.Composed:
    """PostgreSQL: an index on a table's day column, so a day's delete and a window's read touch
    that day's rows, not the whole history (Redshift sorts by it instead)."""
    name = sql.Identifier(_day_index_name(target, column))
    return sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(name, target.ident, sql.Identifier(column))


def index_exists(target: TableRef, column: str) -> sql.Composed:
    """PostgreSQL: a row when the day index exists (a catalog read: no lock on the table)."""
    return sql.SQL("SELECT 1 FROM pg_indexes WHERE schemaname = {} AND tablename = {} AND indexname = {}").format(
        sql.Literal(target.schema), sql.Literal(target.table), sql.Literal(_day_index_name(target, column))
    )


def idents(names: Sequence[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def select_list(columns: Sequence[str], parse_json: Sequence[str] = ()) -> sql.Composed:
    """Column list for INSERT ... SELECT; Redshift stages JSON as text and parses it here."""
    return sql.SQL(", ").join(
        sql.SQL("JSON_PARSE({})").format(sql.Identifier(c)) if c in parse_json else sql.Identifier(c)
        for c in columns
    )


def delete_window(ref: TableRef, column: str) -> sql.Composed:
    """Delete one half-open window; bind (start, end)."""
    return sql.SQL("DELETE FROM {} WHERE {col} >= %s AND {col} < %s").format(
        ref.ident, col=sql.Identifier(column)
    )


def insert_from(target: TableRef, source: sql.Composable, columns: Sequence[str], parse_json=()) -> sql.Composed:
    return sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(
        target.ident, idents(columns), select_list(columns, parse_json), source
    )


def newest_per_key(source: sql.Composable, columns: Sequence[str], key: Sequence[str], version: str) -> sql.Composed:
    """The staged rows deduplicated by key, keeping the newest version (ROW_NUMBER runs on both)."""
    return sql.SQL(
        "(SELECT {cols} FROM (SELECT {cols}, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY {version} DESC)"
        " AS {rn} FROM {source}) AS ranked WHERE {rn} = 1)"
    ).format(
        cols=idents(columns), key=idents(key), version=sql.Identifier(version),
        rn=sql.Identifier(ROW_NUMBER), source=source,
    )  # fmt: skip


def key_match(left: Sequence[str], right: Sequence[str], key: Sequence[str]) -> sql.Composed:
    """`left.k = right.k` for each key column; sides are name paths (Redshift's DELETE has no alias)."""
    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(*left, k), sql.Identifier(*right, k)) for k in key
    )


def merge_statements(
    target: TableRef, stage: sql.Composable, columns: Sequence[str], key: Sequence[str], version: str,
    parse_json: Sequence[str] = (),
) -> list[sql.Composed]:
    """Delete target rows an incoming row is newer than, then insert incoming rows whose key is new.

    A target row at the same or a newer version keeps its key, so the incoming row is dropped:
    replaying an old window changes nothing.
    """
    newest = newest_per_key(stage, columns, key, version)
    path = (target.schema, target.table)
    delete = sql.SQL("DELETE FROM {t} USING {newest} AS incoming WHERE {match} AND {tv} < {iv}").format(
        t=target.ident, newest=newest, match=key_match(path, ("incoming",), key),
        tv=sql.Identifier(*path, version), iv=sql.Identifier("incoming", version),
    )
    insert = sql.SQL(
        "INSERT INTO {t} ({cols}) SELECT {select} FROM {newest} AS incoming LEFT JOIN {t} AS cur ON {match}"
        " WHERE cur.{k0} IS NULL"
    ).format(
        t=target.ident, cols=idents(columns), newest=newest,
        select=sql.SQL(", ").join(
            sql.SQL("JSON_PARSE(incoming.{})" if c in parse_json else "incoming.{}").format(sql.Identifier(c))
            for c in columns
        ),
        match=key_match(("cur",), ("incoming",), key), k0=sql.Identifier(key[0]),
    )  # fmt: skip
    return [delete, insert]


def swap_statements(target: TableRef, staging: TableRef, target_exists: bool) -> list[sql.Composed]:
    """Rename the old table away, the staging table in, and drop the old one (one transaction)."""
    old = target.sibling("__old")
    rename = sql.SQL("ALTER TABLE {} RENAME TO {}")
    statements = [sql.SQL("DROP TABLE IF EXISTS {}").format(old.ident)]
    if target_exists:
        statements.append(rename.format(target.ident, sql.Identifier(old.table)))
    statements.append(rename.format(staging.ident, sql.Identifier(target.table)))
    if target_exists:
        statements.append(sql.SQL("DROP TABLE {}").format(old.ident))
    return statements


def where_window(column: str | None) -> sql.Composable:
    """` WHERE column >= %s AND column < %s` (bind start, end), or nothing without a column."""
    if column is None:
        return sql.SQL("")
    return sql.SQL(" WHERE {c} >= %s AND {c} < %s").format(c=sql.Identifier(column))


def duplicate_keys(relation: sql.Composable, key: Sequence[str], window_column: str | None, limit: int) -> sql.Composed:
    """Key values that appear more than once in `relation` (its window, when given)."""
    return sql.SQL("SELECT {k} FROM {r}{w} GROUP BY {k} HAVING COUNT(*) > 1 ORDER BY {k} LIMIT {n}").format(
        k=idents(key), r=relation, w=where_window(window_column), n=sql.Literal(limit)
    )


def rows_with_nulls(
    relation: sql.Composable, columns: Sequence[str], key: Sequence[str], window_column: str | None, limit: int
) -> sql.Composed:
    """The keys (or whole rows, without a key) of rows lacking any of `columns`."""
    nulls = sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(sql.Identifier(c)) for c in columns)
    where = where_window(window_column)
    joiner = sql.SQL(" AND ") if window_column else sql.SQL(" WHERE ")
    shown = idents(key) if key else idents(columns)
    return sql.SQL("SELECT {s} FROM {r}{w}{j}({m}) LIMIT {n}").format(
        s=shown, r=relation, w=where, j=joiner, m=nulls, n=sql.Literal(limit)
    )


def add_primary_key(ref: TableRef, key: Sequence[str]) -> sql.Composed:
    return sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(ref.ident, idents(key))
