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
        window: tuple[datetime, datetime] | None = None,
    ) -> tuple[pa.Table, list[str]]:
        """Read `schema`'s columns of `table` (rows in the half-open window, if given).

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
                query += sql.SQL(" WHERE {col} >= {start} AND {col} < {end}").format(
                    col=sql.Identifier(window_column),
                    start=sql.Literal(window[0]),
                    end=sql.Literal(window[1]),
                )
            rows = conn.execute(query).fetchall()
        extra = [name for name in present if name not in schema.names]
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema.names]
        arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)]
        return pa.Table.from_arrays(arrays, schema=schema), extra

    def _columns(self, conn: psycopg.Connection, table: str) -> list[str]:
        columns = table_columns(conn, TableRef(self.schema_name, table))
        if not columns:
            raise SourceSchemaError(f"source table {self.schema_name}.{table} does not exist")
        return [column.name for column in columns]
