"""Landing files of the clickstream in the lake: gzip'd JSON lines, one folder per arrival day."""

from __future__ import annotations

import gzip
import os
from datetime import date

from pyarrow import fs

from data_platform.resources.lake.filesystems import open_filesystem

PREFIX = "landing/clickstream"


def file_name(index: int) -> str:
    return f"part-{index:05d}.jsonl.gz"


class ClickstreamWriter:
    """Writes whole files atomically: a reader sees the old file or the new one, never a part.

    On a local disk the bytes go to a hidden temporary name first and are renamed into
    place; an S3 object only appears once its upload completes.
    """

    def __init__(self, lake_url: str, s3_endpoint_url: str | None = None):
        self.filesystem, self.base = open_filesystem(lake_url, s3_endpoint_url)
        self.local = isinstance(self.filesystem, fs.LocalFileSystem)

    def folder(self, day: date) -> str:
        return f"{self.base}/{PREFIX}/date={day.isoformat()}"

    def write(self, day: date, index: int, lines: list[str]) -> int:
        """Write file `index` of folder `day`; gzip without a timestamp so reruns are byte-identical."""
        text = "".join(f"{line}\n" for line in lines)
        payload = gzip.compress(text.encode(), compresslevel=6, mtime=0)
        folder = self.folder(day)
        target = f"{folder}/{file_name(index)}"
        self.filesystem.create_dir(folder, recursive=True)
        if not self.local:
            with self.filesystem.open_output_stream(target) as stream:
                stream.write(payload)
            return len(payload)
        temporary = f"{folder}/.{file_name(index)}.{os.getpid()}.tmp"
        with self.filesystem.open_output_stream(temporary) as stream:
            stream.write(payload)
        self.filesystem.move(temporary, target)
        return len(payload)

    def remove_others(self, day: date, keep: int) -> None:
        """Delete files of folder `day` beyond the first `keep` (left by a larger earlier run)."""
        selector = fs.FileSelector(self.folder(day), allow_not_found=True)
        wanted = {file_name(i) for i in range(keep)}
        for info in self.filesystem.get_file_info(selector):
            name = info.base_name
            if name.startswith("part-") and name.endswith(".jsonl.gz") and name not in wanted:
                self.filesystem.delete_file(info.path)
