"""SQL over the lake as a resource: `lake.<name>` tables, read-only.

Assets use `query(sql)` for an Arrow table: through DuckDB over the lake's Parquet
(`engine="duckdb"`, local and tests) or through Athena's tables of the same names
(`engine="athena"`, production). `get_connection()` gives DuckDB's own API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import dagster as dg
import duckdb
import pyarrow as pa
from pydantic import Field

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake_sql.athena import AthenaRunner
from data_platform.resources.lake_sql.duckdb_views import read_only_connection

# Statements that only read. DuckDB rewrites SHOW, DESCRIBE, SUMMARIZE, PRAGMA and FROM-first
# queries to SELECT, so they pass too.
READING = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class LakeSqlRefusedError(ValueError):
    """A statement that would write (or is not a query) was refused before it ran."""


def check_read_only(sql: str) -> None:
    """Refuse anything but queries: a `COPY … TO` into the lake's own folder would otherwise
    pass DuckDB's directory allowance. Unparsable SQL raises DuckDB's own error."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise LakeSqlRefusedError("no SQL statement given")
    for statement in statements:
        if statement.type not in READING:
            raise LakeSqlRefusedError(
                f"refused: the lake is read-only here, and this is a {statement.type.name}"
                " statement (only SELECT, EXPLAIN, DESCRIBE, SHOW run)"
            )


class LakeSqlResource(dg.ConfigurableResource):
    """Every lake table (landing excluded) as `lake.<name>`, with its `date=` folders as a
    `date` column, queried through DuckDB on a read-only connection."""

    lake: LakeResource
    engine: Literal["duckdb", "athena"] = Field(
        default="duckdb", description="where query() runs: DuckDB over the files, or Athena"
    )
    athena_workgroup: str = Field(default="primary", description="Athena workgroup (holds the result location)")

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only DuckDB connection with the lake's views; closed when the block ends."""
        with read_only_connection(self.lake) as conn:
            yield conn

    def query(self, sql: str) -> pa.Table:
        """Run one or more read-only statements; the last one's result as an Arrow table."""
        check_read_only(sql)
        if self.engine == "athena":
            return self.athena().query(sql)
        with self.get_connection() as conn:
            return conn.execute(sql).to_arrow_table()

    def athena(self) -> AthenaRunner:
        """Athena in the lake's database, with boto3's usual credentials and region."""
        import boto3

        return AthenaRunner(boto3.client("athena"), workgroup=self.athena_workgroup)
