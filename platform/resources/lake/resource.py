"""The data lake as a resource: atomic Parquet and byte writes, reads and listings by relative path.

The lake is a `file://` folder locally and an `s3://bucket/prefix` in production. Every
path a caller passes is relative to the lake's root, so assets never build URLs themselves.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs
from pydantic import PrivateAttr

from data_platform.resources.lake.filesystems import open_filesystem

# Snappy: fast to write and read, and every reader downstream (Spark, Redshift COPY) takes it.
# Microsecond timestamps: Redshift's Parquet COPY (which loads lake files as they are) cannot
# read nanoseconds, and every source here carries microseconds at most.
PARQUET_OPTIONS = {"compression": "snappy", "coerce_timestamps": "us", "allow_truncated_timestamps": True}


@dataclass(frozen=True)
class WriteInfo:
    """Where a file was written (its full URI), how many rows it holds and its size in bytes."""

    path: str
    rows: int
    bytes: int


class LakeResource(dg.ConfigurableResource):
    """The data lake (`file://` folder or `s3://bucket/prefix`): atomic Parquet and file I/O."""

    url: str
    s3_endpoint_url: str | None = None

    _opened: tuple[fs.FileSystem, str] | None = PrivateAttr(default=None)

    def get_filesystem(self) -> tuple[fs.FileSystem, str]:
        """The Arrow filesystem and the lake root's path inside it, opened once per resource."""
        if self._opened is None:
            self._opened = open_filesystem(self.url, self.s3_endpoint_url)
        return self._opened

    def _path(self, relative: str) -> str:
        return f"{self.get_filesystem()[1]}/{relative.strip('/')}".rstrip("/")

    def _is_local(self) -> bool:
        return isinstance(self.get_filesystem()[0], fs.LocalFileSystem)

    def uri(self, relative: str) -> str:
        """The full URI of a lake path, e.g. `s3://lake/prefix/raw/x/part-00000.parquet`."""
        scheme = "file://" if self._is_local() else "s3://"
        return scheme + self._path(relative)

    def write_parquet(self, relative: str, table: pa.Table) -> WriteInfo:
        """Write a table as one Parquet file, replacing any old file only once the new one is whole."""
        if self._is_local():
            # Written beside the target so the final rename stays on one filesystem (atomic).
            size = self._replace_local(
                relative, lambda tmp: pq.write_table(table, tmp, **PARQUET_OPTIONS)
            )
        else:
            # Serialised in memory first: a failure while encoding must never reach S3, where
            # closing a half-written upload would publish it.
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, **PARQUET_OPTIONS)
            size = self._put_s3(relative, sink.getvalue())
        return WriteInfo(self.uri(relative), table.num_rows, size)

    def write_bytes(self, relative: str, data: bytes) -> WriteInfo:
        """Write raw bytes (reports, quarantined lines) with the same all-or-nothing guarantee."""
        if self._is_local():
            size = self._replace_local(relative, lambda tmp: Path(tmp).write_bytes(data))
        else:
            size = self._put_s3(relative, pa.py_buffer(data))
        return WriteInfo(self.uri(relative), 0, size)

    def _replace_local(self, relative: str, write) -> int:
        target = self._path(relative)
        folder, name = os.path.split(target)
        os.makedirs(folder, exist_ok=True)
        temporary = os.path.join(folder, f".{name}.{uuid.uuid4().hex}.tmp")
        try:
            write(temporary)
            size = os.path.getsize(temporary)
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.remove(temporary)
        return size

    def _put_s3(self, relative: str, buffer: pa.Buffer) -> int:
        # One upload of a complete buffer: S3 shows the old object until the new one completes.
        with self.get_filesystem()[0].open_output_stream(self._path(relative)) as stream:
            stream.write(buffer)
        return buffer.size

    def read_parquet(self, relative: str) -> pa.Table:
        """Read one Parquet file; a missing file raises FileNotFoundError naming its URI."""
        if not self.exists(relative):
            raise FileNotFoundError(f"no lake file at {self.uri(relative)}")
        return pq.read_table(self._path(relative), filesystem=self.get_filesystem()[0])

    def exists(self, relative: str) -> bool:
        """Whether a file (or folder) exists at this lake path."""
        info = self.get_filesystem()[0].get_file_info(self._path(relative))
        return info.type != fs.FileType.NotFound

    def list_files(self, prefix: str, suffix: str = "") -> list[str]:
        """Relative paths of the files under the folder `prefix` ending in `suffix`, sorted.

        Files being written (hidden temporary names) are left out.
        """
        filesystem, base = self.get_filesystem()
        selector = fs.FileSelector(self._path(prefix), recursive=True, allow_not_found=True)
        found = [
            info.path[len(base) + 1 :]
            for info in filesystem.get_file_info(selector)
            if info.type == fs.FileType.File
            and info.path.endswith(suffix)
            and not info.base_name.startswith(".")
        ]
        return sorted(found)

    def list_files_after(self, prefix: str, after: str = "", suffix: str = "") -> list[str]:
        """Like `list_files`, only the paths that sort after `after` (a sensor's cursor).

        Only the folders from the cursor's own on are listed (landing folders are `date=D/`,
        so that is the cursor's day and later): a tick never pages through the whole landing
        zone again, on S3 or locally.
        """
        start = after[len(prefix.strip("/")) + 1 :].split("/", 1)[0] if after else ""
        filesystem = self.get_filesystem()[0]
        entries = filesystem.get_file_info(fs.FileSelector(self._path(prefix), allow_not_found=True))
        base = self.get_filesystem()[1]
        found = []
        for entry in sorted(entries, key=lambda info: info.path):
            relative = entry.path[len(base) + 1 :]
            if entry.type == fs.FileType.Directory and entry.base_name >= start:
                found += [path for path in self.list_files(relative, suffix) if path > after]
            elif entry.type == fs.FileType.File and relative > after and relative.endswith(suffix) \
                    and not entry.base_name.startswith("."):
                found.append(relative)
        return sorted(found)

    def download(self, relative: str, local_path: str | Path) -> Path:
        """Copy a lake file to a local path (e.g. for Spark), atomically, and return that path."""
        target = Path(local_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            fs.copy_files(
                self._path(relative), str(temporary), self.get_filesystem()[0], fs.LocalFileSystem()
            )
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return target

    def publish_file(self, source: str, target: str) -> WriteInfo:
        """Move a finished Parquet file (written by another engine, e.g. Spark's executors)
        to `target`, replacing any old file in one step: a rename on a local lake, a
        server-side copy on S3 (readers see the old object until the new one is complete)."""
        filesystem = self.get_filesystem()[0]
        rows = pq.ParquetFile(self._path(source), filesystem=filesystem).metadata.num_rows
        size = filesystem.get_file_info(self._path(source)).size
        if self._is_local():
            os.makedirs(os.path.dirname(self._path(target)), exist_ok=True)
            os.replace(self._path(source), self._path(target))
        else:
            filesystem.copy_file(self._path(source), self._path(target))
            filesystem.delete_file(self._path(source))
        return WriteInfo(self.uri(target), rows, size)

    def delete_prefix(self, relative: str) -> None:
        """Delete a file or a whole folder of the lake; nothing happens if it is not there."""
        filesystem = self.get_filesystem()[0]
        info = filesystem.get_file_info(self._path(relative))
        if info.type == fs.FileType.Directory:
            filesystem.delete_dir(info.path)
        elif info.type == fs.FileType.File:
            filesystem.delete_file(info.path)
