"""SQL over the lake: `lake.<name>` for every lake table, through DuckDB locally and Athena
in production.

`catalog` (which folders are tables) → `duckdb_views` (a read-only DuckDB connection) →
`resource` (the Dagster resource); `athena` writes the same tables as Athena DDL text.
"""

from data_platform.resources.lake_sql.catalog import LakeTable, discover
from data_platform.resources.lake_sql.resource import (
    LakeSqlRefusedError,
    LakeSqlResource,
    check_read_only,
)

__all__ = ["LakeSqlRefusedError", "LakeSqlResource", "LakeTable", "check_read_only", "discover"]
