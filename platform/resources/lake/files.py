"""Lake files by reference: what a warehouse load reads (PostgreSQL) or COPYs (Redshift) directly.

A partition's data is every visible Parquet file directly inside its folder
`<table>/date=D/`, whatever wrote it (the lake IO manager's `part-00000.parquet`, or a Spark
job's `part-*.parquet`). Names starting with `_` or `.` are hidden: markers such as
`_SUCCESS`, temporary files and the temporary folders of unfinished writes are never read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from data_platform.resources.lake.filesystems import open_filesystem
from data_platform.resources.lake.resource import LakeResource


def visible_parquet_files(lake: LakeResource, folder: str) -> list[str]:
    """The lake paths of the published Parquet files directly inside `folder`, sorted."""
    prefix = folder.strip("/") + "/"
    return [
        path for path in lake.list_files(folder, ".parquet")
        if "/" not in path[len(prefix):] and not path[len(prefix):].startswith(("_", "."))
    ]  # fmt: skip


@dataclass(frozen=True)
class LakeFiles:
    """Parquet files in the lake (full `file://` or `s3://` URIs) holding one asset's
    partitions, in partition order; read in batches, never all at once."""

    uris: tuple[str, ...]
    partitions: tuple[str, ...] = ()
    s3_endpoint_url: str | None = None

    @property
    def on_s3(self) -> bool:
        return all(uri.startswith("s3://") for uri in self.uris)

    def _file(self, uri: str) -> pq.ParquetFile:
        filesystem, path = open_filesystem(uri, self.s3_endpoint_url)
        return pq.ParquetFile(filesystem.open_input_file(path))

    def schema(self) -> pa.Schema:
        """One schema for all files; a day written empty (null-typed columns) joins typed ones."""
        schemas = [self._file(uri).schema_arrow for uri in self.uris]
        if not schemas:
            raise FileNotFoundError("no lake files to load")
        return pa.unify_schemas(schemas, promote_options="permissive")

    def num_rows(self) -> int:
        """Row count from the files' footers, without reading their data."""
        return sum(self._file(uri).metadata.num_rows for uri in self.uris)

    def tables(self, columns: Sequence[str], batch_rows: int) -> Iterator[pa.Table]:
        """The files' rows as tables of at most `batch_rows`, `columns` in that order."""
        for uri in self.uris:
            parquet = self._file(uri)
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(columns)):
                yield pa.Table.from_batches([batch]).select(list(columns))

    def column(self, name: str) -> Iterator[pa.ChunkedArray]:
        """One column, file by file (for window checks without reading whole rows)."""
        for uri in self.uris:
            yield self._file(uri).read(columns=[name]).column(name)

    def preview(self, rows: int) -> pa.Table:
        for table in self.tables(self.schema().names, rows):
            return table
        return self.schema().empty_table()
