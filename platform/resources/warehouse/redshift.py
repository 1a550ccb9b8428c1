"""Redshift's side of a load: the data goes to S3 as Parquet first, then `COPY` reads it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.parquet as pq

from data_platform.resources.lake.filesystems import open_filesystem
from data_platform.resources.warehouse.sql import TableRef


def staged_key(ref: TableRef) -> str:
    """A fresh object name per load, so concurrent or retried loads never read each other's file."""
    return f"{ref.schema}/{ref.table}/{uuid.uuid4().hex}.parquet"


@contextmanager
def staged_parquet(
    data: pa.Table, ref: TableRef, staging_url: str | None, s3_endpoint_url: str | None = None
) -> Iterator[str]:
    """Write `data` under the staging prefix and yield its s3:// URI; remove the file afterwards."""
    if not staging_url or not staging_url.startswith("s3://"):
        raise ValueError(f"Redshift loads need an s3:// staging_url, not {staging_url!r}")
    filesystem, base = open_filesystem(staging_url, s3_endpoint_url)
    key = staged_key(ref)
    path = f"{base}/{key}"
    # Microsecond timestamps: Redshift's Parquet COPY does not read nanosecond timestamps.
    pq.write_table(data, path, filesystem=filesystem, coerce_timestamps="us", allow_truncated_timestamps=True)
    try:
        yield f"{staging_url.rstrip('/')}/{key}"
    finally:
        filesystem.delete_file(path)
