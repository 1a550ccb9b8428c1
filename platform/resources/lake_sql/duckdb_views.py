"""A read-only DuckDB connection with one view per lake table (`lake.<name>`).

The views live in a small catalog database built for each connection and then opened
read-only, so DuckDB itself refuses `CREATE`, `DROP`, `INSERT`, `DELETE` and `ATTACH`.
External access is then limited to the lake's own folder or bucket and the configuration
locked: no other file can be read or written, no extension installed or loaded.
S3 lakes are read through DuckDB's httpfs extension, which ships as a wheel
(`duckdb-extension-httpfs`) so nothing is downloaded at run time.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import duckdb

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake_sql.catalog import PARTITION, LakeTable, discover

SCHEMA = "lake"


def literal(text: str) -> str:
    """A SQL string literal (DuckDB has no bind parameters in DDL or `CREATE SECRET`)."""
    return "'" + text.replace("'", "''") + "'"


def lake_root(lake: LakeResource) -> str:
    """The lake's root as DuckDB addresses it: an absolute path or `s3://bucket/prefix`."""
    base = lake.get_filesystem()[1]
    return base if lake.uri("").startswith("file://") else f"s3://{base}"


def view_sql(root: str, table: LakeTable) -> str:
    """`CREATE VIEW lake.<name>` over the table's Parquet files; `date=` folders → a DATE column."""
    options = ["union_by_name = true"]  # days written before a column was added still read
    if table.partitioned:
        options += ["hive_partitioning = true", f"hive_types = {{'{PARTITION}': 'DATE'}}"]
    source = literal(f"{root}/{table.glob}")
    # DuckDB DDL takes no bind parameters: the name matched catalog's identifier pattern and
    # the path is quoted as a literal.
    head = f'CREATE VIEW {SCHEMA}."{table.name}" AS SELECT * FROM read_parquet'  # noqa: S608
    return f"{head}({source}, {', '.join(options)})"


def _load_httpfs(conn: duckdb.DuckDBPyConnection) -> None:
    import duckdb_extension_httpfs

    folder = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    conn.execute(f"LOAD {literal(str(folder / 'httpfs.duckdb_extension'))}")


def _s3_secret(conn: duckdb.DuckDBPyConnection, endpoint_url: str | None) -> None:
    """Credentials from boto3's usual chain (AWS_* variables, profile, instance role)."""
    import boto3

    session = boto3.Session()
    credentials = session.get_credentials()
    settings = {"TYPE": "s3", "REGION": literal(session.region_name or "us-east-1")}
    if credentials is not None:
        frozen = credentials.get_frozen_credentials()
        settings |= {"KEY_ID": literal(frozen.access_key), "SECRET": literal(frozen.secret_key)}
        if frozen.token:
            settings["SESSION_TOKEN"] = literal(frozen.token)
    if endpoint_url:
        endpoint = urlparse(endpoint_url)
        settings |= {
            "ENDPOINT": literal(endpoint.netloc),
            "URL_STYLE": literal("path"),
            "USE_SSL": "true" if endpoint.scheme == "https" else "false",
        }
    body = ", ".join(f"{key} {value}" for key, value in settings.items())
    conn.execute(f"CREATE SECRET lake_s3 ({body})")


def _reach_lake(conn: duckdb.DuckDBPyConnection, lake: LakeResource, root: str) -> None:
    if root.startswith("s3://"):
        _load_httpfs(conn)
        _s3_secret(conn, lake.s3_endpoint_url)


@contextmanager
def read_only_connection(lake: LakeResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection that can read the lake's tables and nothing else, closed on exit."""
    root = lake_root(lake)
    workdir = Path(tempfile.mkdtemp(prefix="lake-sql-"))
    try:
        catalog = workdir / "catalog.duckdb"
        with duckdb.connect(str(catalog)) as builder:
            _reach_lake(builder, lake, root)
            builder.execute(f"CREATE SCHEMA {SCHEMA}")
            for table in discover(lake):
                builder.execute(view_sql(root, table))
        conn = duckdb.connect(str(catalog), read_only=True)
        try:
            _reach_lake(conn, lake, root)
            conn.execute(f"SET allowed_directories = [{literal(root + '/')}]")
            conn.execute("SET enable_external_access = false")
            conn.execute("SET lock_configuration = true")
            yield conn
        finally:
            conn.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
