"""The production OLTP database (the app's Postgres), read-only for the platform."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
import pyarrow as pa
from dagster import ConfigurableResource
from psycopg import sql
from pydantic import Field

from data_platform.resources.app_db.copy_arrow import copy_to_arrow
from data_platform.resources.redaction import redact
from data_platform.resources.warehouse.read import table_columns
from data_platform.resources.warehouse.sql import TableRef


class SourceSchemaError(RuntimeError):
    """The source table no longer has the columns the platform reads."""


class AppDbResource(ConfigurableResource):
    """The app's PostgreSQL database: the source of users, orders and NPS responses."""

    url: str = Field(description="postgresql:// URL of the app database (a secret: use EnvVar)")
    schema_name: str = Field(default="public", description="schema holding the app's tables")

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection]:
        try:
            conn = psycopg.connect(self.url, connect_timeout=10)
        except psycopg.Error as exc:  # a malformed URL is echoed back in the message: redact it
            raise psycopg.OperationalError(f"app DB unreachable: {redact(str(exc), self.url)}") from None
        with conn:
            yield conn

    def extract(
        self,
        table: str,
        schema: pa.Schema,
        window_column: str | None = None,
        window: tuple[datetime | None, datetime] | None = None,
    ) -> tuple[pa.Table, list[str]]:
        """Read `schema`'s columns of `table` (rows in the half-open window, if given; a window
        starting at None has no lower bound: an initial snapshot) through COPY into Arrow.

        Returns the rows and the source's extra columns that were not read. A column the
        platform needs that the source lacks raises `SourceSchemaError` naming it.
        """
        with self.get_connection() as conn:
            present = self._columns(conn, table)
            missing = [name for name in schema.names if name not in present]
            if missing:
                raise SourceSchemaError(
                    f"source table {self.schema_name}.{table} lacks column(s) {', '.join(missing)}"
                )
            query = sql.SQL("SELECT {cols} FROM {table}").format(
                cols=sql.SQL(", ").join(map(sql.Identifier, schema.names)),
                table=sql.Identifier(self.schema_name, table),
            )
            if window_column and window:
                # Values are rendered by the driver's own quoting, never by string formatting.
                query += sql.SQL(" WHERE {col} < {end}").format(
                    col=sql.Identifier(window_column), end=sql.Literal(window[1])
                )
                if window[0] is not None:
                    query += sql.SQL(" AND {col} >= {start}").format(
                        col=sql.Identifier(window_column), start=sql.Literal(window[0])
                    )
            rows = copy_to_arrow(conn, query, schema)
        return rows, [name for name in present if name not in schema.names]

    def key_values(self, table: str, key: str) -> pa.Array:
        """Every value of `key` in `table`: the cheap side of a daily key reconciliation."""
        with self.get_connection() as conn:
            query = sql.SQL("SELECT {key} FROM {table}").format(
                key=sql.Identifier(key), table=sql.Identifier(self.schema_name, table)
            )
            return copy_to_arrow(conn, query, pa.schema([(key, pa.int64())])).column(key).combine_chunks()

    def _columns(self, conn: psycopg.Connection, table: str) -> list[str]:
        columns = table_columns(conn, TableRef(self.schema_name, table))
        if not columns:
            raise SourceSchemaError(f"source table {self.schema_name}.{table} does not exist")
        return [column.name for column in columns]
