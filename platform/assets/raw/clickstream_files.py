"""Landing files of the clickstream, checked before Spark reads them.

Spark's gzip reader fails the whole job on a truncated file, and with `ignoreCorruptFiles`
it drops the file silently. Neither is acceptable, so every file is streamed once through
Python's gzip decoder (bounded memory, about 1 s per 300 MB decoded) before Spark sees it:
good files are linked into a work folder under a numbered name, the readable part of a
broken file is saved there, and the broken file itself gets a quarantine record.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

CHUNK_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"
# Quarantine records about a whole file, not one of its lines, carry this line number.
WHOLE_FILE = 0


@dataclass(frozen=True)
class FileRecord:
    """A quarantine record for a file that could not be read to its end."""

    file_idx: int
    reason: str
    detail: str


@dataclass
class StagedFiles:
    """The files Spark reads, named `<file_idx>.jsonl.gz`, and what the checks found."""

    sources: list[str]
    day_count: int
    spark_paths: list[str] = field(default_factory=list)
    records: list[FileRecord] = field(default_factory=list)

    def in_day(self, file_idx: int) -> bool:
        """Whether the file came from folder D (the rest come from folder D+1)."""
        return file_idx < self.day_count


def staged_name(file_idx: int) -> str:
    return f"{file_idx:06d}.jsonl.gz"


def _decode_error(path: Path, sink: gzip.GzipFile | None = None) -> tuple[str | None, str, int]:
    """Stream `path` through gzip; return (reason or None, detail, bytes decoded before it)."""
    decoded = 0
    try:
        with gzip.open(path, "rb") as stream:
            # read1 returns each decoded piece at once; read(n) would drop the piece that
            # preceded the cut when it raises.
            while chunk := stream.read1(CHUNK_BYTES):
                decoded += len(chunk)
                if sink is not None:
                    sink.write(chunk)
    except EOFError as error:
        return "truncated gzip", f"{error}; {decoded} bytes decoded before the cut", decoded
    except (gzip.BadGzipFile, zlib.error, OSError) as error:
        return "corrupt gzip", f"{error}; {decoded} bytes decoded before the error", decoded
    return None, "", decoded


def _stage_one(file_idx: int, path: Path, workdir: Path) -> tuple[bool, FileRecord | None]:
    """Make `path` readable for Spark in `workdir`; return (staged, quarantine record)."""
    target = workdir / staged_name(file_idx)
    with path.open("rb") as raw:
        magic = raw.read(2)
    if not magic:
        return False, FileRecord(file_idx, "empty file", "0 bytes")
    if magic != GZIP_MAGIC:
        return False, FileRecord(file_idx, "not gzip", f"starts with {magic!r}")
    reason, detail, _ = _decode_error(path)
    if reason is None:
        os.symlink(path.resolve(), target)
        return True, None
    # Keep what decoded before the damage: those lines are checked like any other line.
    with gzip.open(target, "wb", compresslevel=1) as sink:
        _, _, decoded = _decode_error(path, sink)
    if decoded == 0:
        target.unlink()
    return decoded > 0, FileRecord(file_idx, reason, detail)


def stage_files(day_files: list[str], next_day_files: list[str], workdir: Path) -> StagedFiles:
    """Check folder D's and folder D+1's files and stage them in `workdir` for Spark.

    File numbers follow the given order, folder D first, so "first copy wins" prefers
    folder D. Only folder D's broken files are recorded: folder D+1's belong to its own run.
    """
    staged = StagedFiles(sources=[*day_files, *next_day_files], day_count=len(day_files))
    for file_idx, source in enumerate(staged.sources):
        readable, record = _stage_one(file_idx, Path(source), workdir)
        if readable:
            staged.spark_paths.append(str(workdir / staged_name(file_idx)))
        if record is not None and staged.in_day(file_idx):
            staged.records.append(record)
    return staged
