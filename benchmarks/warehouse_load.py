"""A partition write through the warehouse IO manager against `to_sql` and a bare COPY.

Ours deletes the partition's window and COPYs the rows in one transaction. The baselines
write the same rows: pandas' `to_sql(method="multi", chunksize=10000)` through SQLAlchemy,
and psycopg's COPY of the rows as CSV into an empty table, the store's physical limit.
"""

from __future__ import annotations

import io

import dagster as dg
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from benchmarks.data import DAY
from benchmarks.harness import Row, measure
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.resource import WarehouseResource

SCHEMA, TABLE = "bench", "order_lines"
METADATA = {"write_mode": "partition", "partition_column": "line_date"}


def output_context() -> dg.OutputContext:
    """The context Dagster gives the IO manager for the partition (built untimed)."""
    return dg.build_output_context(
        asset_key=[SCHEMA, TABLE], partition_key=DAY.isoformat(), definition_metadata=METADATA,
        asset_partitions_def=dg.DailyPartitionsDefinition(start_date=DAY.isoformat()),
    )  # fmt: skip


def write_ours(url: str, data: pa.Table, context: dg.OutputContext | None = None) -> None:
    """One partition written by the IO manager, as an asset's output would be."""
    manager = WarehouseIOManager(warehouse=WarehouseResource(url=url))
    manager.handle_output(context or output_context(), data)


def copy_bare(url: str, data: pa.Table, table: str) -> None:
    """The shortest fast path a user could write: the rows as CSV, one COPY."""
    buffer = io.BytesIO()
    pacsv.write_csv(data, buffer, pacsv.WriteOptions(include_header=False))
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SET TIME ZONE 'UTC'")
        with cur.copy(f"COPY {SCHEMA}.{table} FROM STDIN (FORMAT csv)") as copy:  # constant names
            copy.write(buffer.getvalue())


def empty_table(url: str, table: str) -> None:
    """A fresh empty table shaped like ours (created by our first write)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
        conn.execute(f"CREATE TABLE {SCHEMA}.{table} (LIKE {SCHEMA}.{TABLE})")


def sqlalchemy_engine(url: str) -> sa.Engine:
    # psycopg 3 binds parameters on the server, which allows 65535 per statement; a
    # 10,000-row multi-row INSERT of 10 columns needs client-side binding, as psycopg2 does.
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                            connect_args={"cursor_factory": psycopg.ClientCursor})  # fmt: skip


def bench_vs_copy(url: str, data: pa.Table) -> Row:
    write_ours(url, data)  # creates the table; later runs replace the partition
    ours = measure(lambda context: write_ours(url, data, context), output_context)
    baseline = measure(lambda: copy_bare(url, data, "copy_target"), lambda: empty_table(url, "copy_target"))
    return Row("warehouse_load_vs_copy", f"IO manager, {len(data):,} rows", ours, baseline,
               f"bare psycopg COPY {len(data):,}")  # fmt: skip


def bench_vs_to_sql(url: str, data: pa.Table) -> Row:
    """`to_sql` takes ~0.5 ms a row here, so both sides write the same smaller slice."""
    frame = data.to_pandas()
    engine = sqlalchemy_engine(url)

    def to_sql() -> None:
        frame.to_sql("to_sql_target", engine, schema=SCHEMA, if_exists="append", index=False,
                     method="multi", chunksize=10_000)  # fmt: skip

    try:
        baseline = measure(to_sql, lambda: empty_table(url, "to_sql_target"))
    finally:
        engine.dispose()
    ours = measure(lambda context: write_ours(url, data, context), output_context)
    return Row("warehouse_load_vs_to_sql", f"IO manager, {len(data):,} rows", ours, baseline,
               f"to_sql multi {len(data):,} rows")  # fmt: skip


def run(url: str, data: pa.Table, to_sql_rows: int) -> list[Row]:
    """Both warehouse rows, in a scratch database `url`."""
    copy_row = bench_vs_copy(url, data)
    return [bench_vs_to_sql(url, data.slice(0, to_sql_rows)), copy_row]
