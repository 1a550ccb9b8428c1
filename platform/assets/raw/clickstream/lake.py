"""Where Spark reads and writes the clickstream in the lake, and how a day is published.

Spark gets lake URIs (`file://` locally, `s3a://` for an `s3://` lake), never a path of
the driver's machine. Each run writes partition D under its own staging prefix; only a
write that finished (Spark's `_SUCCESS` marker) is published, by moving its one Parquet
file onto the partition's file. A prefix left by a killed run is never published: it is
not this run's, and once older than `STALE_AFTER` the next run of the day deletes it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from pyarrow import fs

from data_platform.assets.raw.clickstream.job import DayTargets
from data_platform.resources.lake.resource import LakeResource, WriteInfo

STAGING_PREFIX = "_staging/clickstream"
# Longer than any run of one day could take, so a live run's prefix is never removed.
STALE_AFTER = timedelta(hours=12)
SUCCESS_MARKER = "_SUCCESS"


def spark_uri(lake: LakeResource, relative: str) -> str:
    """The URI of a lake path as Spark's Hadoop filesystems name it (`s3://` → `s3a://`)."""
    uri = lake.uri(relative)
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


@dataclass(frozen=True)
class DayStaging:
    """One run's staging prefix for partition D: `events/` and `quarantine/` folders."""

    lake: LakeResource
    prefix: str

    @property
    def targets(self) -> DayTargets:
        return DayTargets(
            events=spark_uri(self.lake, f"{self.prefix}/events"),
            quarantine=spark_uri(self.lake, f"{self.prefix}/quarantine"),
        )

    def publish(self, name: str, target: str) -> WriteInfo:
        """Move the one Parquet file of the finished write `name` onto `target`."""
        folder = f"{self.prefix}/{name}"
        if not self.lake.exists(f"{folder}/{SUCCESS_MARKER}"):
            raise RuntimeError(f"Spark's write to {self.lake.uri(folder)} did not finish; nothing published")
        parts = self.lake.list_files(folder, suffix=".parquet")
        if len(parts) != 1:
            raise RuntimeError(f"expected one Parquet file in {self.lake.uri(folder)}, found {len(parts)}")
        return self.lake.publish_file(parts[0], target)


@contextmanager
def day_staging(lake: LakeResource, day: date) -> Iterator[DayStaging]:
    """A fresh staging prefix for day D, deleted afterwards; stale ones of D are removed first."""
    day_prefix = f"{STAGING_PREFIX}/date={day.isoformat()}"
    remove_stale(lake, day_prefix)
    staging = DayStaging(lake, f"{day_prefix}/{uuid.uuid4().hex}")
    try:
        yield staging
    finally:
        lake.delete_prefix(staging.prefix)


def remove_stale(lake: LakeResource, day_prefix: str, older_than: timedelta = STALE_AFTER) -> list[str]:
    """Delete the run prefixes under `day_prefix` whose newest file is older than `older_than`."""
    filesystem, base = lake.get_filesystem()
    selector = fs.FileSelector(f"{base}/{day_prefix}", recursive=True, allow_not_found=True)
    newest: dict[str, float] = {}
    for info in filesystem.get_file_info(selector):
        if info.type != fs.FileType.File:
            continue
        run = info.path[len(base) + len(day_prefix) + 2 :].split("/", 1)[0]
        stamp = info.mtime.timestamp() if info.mtime else 0.0
        newest[run] = max(newest.get(run, 0.0), stamp)
    cutoff = time.time() - older_than.total_seconds()
    stale = [run for run, stamp in newest.items() if stamp < cutoff]
    for run in stale:
        lake.delete_prefix(f"{day_prefix}/{run}")
    return stale
