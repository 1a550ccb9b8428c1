"""`data-platform sql`: a query over the lake printed as a table or CSV."""

from __future__ import annotations

import csv
import sys
from typing import TextIO

import duckdb
import pyarrow as pa

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.lake_sql.resource import LakeSqlResource
from data_platform.resources.settings import PlatformSettings


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def print_table(table: pa.Table, out: TextIO) -> None:
    """Columns padded to their widest cell, numbers right-aligned, then a row count."""
    names = table.column_names
    cells = [[_cell(v) for v in table.column(name).to_pylist()] for name in names]
    widths = [max([len(name), *map(len, column)]) for name, column in zip(names, cells, strict=True)]
    numeric = [pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
               for t in table.schema.types]  # fmt: skip

    def line(values: list[str]) -> str:
        padded = (v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True))
        return " | ".join(padded).rstrip()

    out.write(line(names) + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for i in range(table.num_rows):
        out.write(line([column[i] for column in cells]) + "\n")
    out.write(f"({table.num_rows} row{'s' if table.num_rows != 1 else ''})\n")


def print_csv(table: pa.Table, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = [table.column(name).to_pylist() for name in table.column_names]
    writer.writerows([_cell(v) for v in row] for row in zip(*columns, strict=True))


class LakeSqlError(ValueError):
    """DuckDB's own error for a bad query, as the CLI's one-line errors expect."""


def run_sql(settings: PlatformSettings, sql: str, as_csv: bool = False) -> int:
    """Print the query's result. A write statement raises `LakeSqlRefusedError`, a bad query
    `LakeSqlError` with DuckDB's first line (both ValueErrors: one line on stderr, exit 2)."""
    lake = LakeResource(url=settings.lake_url, s3_endpoint_url=settings.s3_endpoint_url)
    try:
        table = LakeSqlResource(lake=lake).query(sql)
    except duckdb.Error as exc:
        raise LakeSqlError(str(exc).strip().splitlines()[0]) from exc
    (print_csv if as_csv else print_table)(table, sys.stdout)
    return 0
