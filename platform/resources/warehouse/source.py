"""What a warehouse write loads: an Arrow table in memory, or lake files read where they lie.

PostgreSQL streams either into `COPY ... FROM STDIN` in batches. Redshift's COPY reads S3
objects: a table in memory is staged to S3 first, lake files on S3 are COPYed as they are
(no second copy), so the lake must be `s3://` and its Parquet Redshift-readable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime

import pandas as pd
import pyarrow as pa

from data_platform.resources.lake.files import LakeFiles
from data_platform.resources.warehouse.arrow import COPY_CHUNK_ROWS, rows_outside, to_arrow
from data_platform.resources.warehouse.redshift import staged_parquet
from data_platform.resources.warehouse.sql import TableRef


class ArrowSource:
    """A table in memory (JSON columns already as text)."""

    def __init__(self, data: pa.Table | pd.DataFrame, json_columns: Sequence[str] = ()) -> None:
        self.table = to_arrow(data, json_columns)
        self.schema, self.num_rows = self.table.schema, len(self.table)

    def tables(self, columns: Sequence[str]) -> Iterator[pa.Table]:
        yield self.table.select(list(columns))

    def rows_outside(self, column: str, start: datetime, end: datetime) -> int:
        return rows_outside(self.table, column, start, end)

    def s3_objects(self, ref: TableRef, staging_url: str | None, endpoint: str | None) -> AbstractContextManager:
        """Yields the S3 URIs Redshift COPYs: one staged file, removed afterwards."""
        return _as_list(staged_parquet(self.table, ref, staging_url, endpoint))

    def preview(self, rows: int) -> pa.Table:
        return self.table.slice(0, rows)


class LakeFilesSource:
    """Lake Parquet files, never held in memory whole: batches for PostgreSQL, the objects
    themselves for Redshift."""

    def __init__(self, files: LakeFiles, json_columns: Sequence[str] = ()) -> None:
        self.files, self.json_columns = files, tuple(json_columns)
        schema = self.file_schema = files.schema()  # read once: on S3 each footer is a request
        for name in self.json_columns:  # JSON travels as text, like `to_arrow` makes it
            if name in schema.names:
                schema = schema.set(schema.get_field_index(name), pa.field(name, pa.string()))
        self.schema, self.num_rows = schema, files.num_rows()

    def tables(self, columns: Sequence[str]) -> Iterator[pa.Table]:
        for table in self.files.tables(columns, COPY_CHUNK_ROWS):
            yield to_arrow(table, self.json_columns)

    def rows_outside(self, column: str, start: datetime, end: datetime) -> int:
        return sum(
            rows_outside(pa.table({column: values}), column, start, end)
            for values in self.files.column(column)
        )

    def s3_objects(self, ref: TableRef, staging_url: str | None, endpoint: str | None) -> AbstractContextManager:
        """Yields the lake objects themselves: Redshift COPYs them from where they lie."""
        if not self.files.on_s3:
            raise ValueError(f"Redshift COPY reads S3: the lake files of {ref.name} are not on s3://")
        for name in self.json_columns:
            kind = self.file_schema.field(name).type
            if not pa.types.is_string(kind):
                raise ValueError(f"Redshift loads JSON column {name!r} from Parquet text, not {kind}")
        for field in self.file_schema:
            if pa.types.is_timestamp(field.type) and field.type.unit == "ns":
                raise ValueError(f"Redshift COPY cannot read nanosecond timestamps ({ref.name}.{field.name})")
        return nullcontext(list(self.files.uris))

    def preview(self, rows: int) -> pa.Table:
        return to_arrow(self.files.preview(rows), self.json_columns)

    def describe(self) -> list[str]:
        return list(self.files.uris)


Source = ArrowSource | LakeFilesSource


def as_source(data: pa.Table | pd.DataFrame | LakeFiles | Source, json_columns: Sequence[str] = ()) -> Source:
    if isinstance(data, ArrowSource | LakeFilesSource):
        return data
    if isinstance(data, LakeFiles):
        return LakeFilesSource(data, json_columns)
    return ArrowSource(data, json_columns)


@contextmanager
def _as_list(staged: AbstractContextManager[str]) -> Iterator[list[str]]:
    with staged as uri:
        yield [uri]
