"""Which lake folders are SQL tables, and under what names.

One listing of the lake gives every table both engines register (DuckDB views locally,
Athena external tables in production), so the two always agree on names:

    raw/<name>/[date=D/]*.parquet                 → lake.<name>
    quarantine/<source>/date=D/*.parquet          → lake.quarantine_<source>
    archive/<schema>/<table>/date=D/*.parquet     → lake.archive_<schema>_<table>

`landing/` (files as delivered, JSON lines) and `incidents/` (JSON reports) are not tables.
A table whose files sit in `date=YYYY-MM-DD` folders gets that folder as a `date` column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from data_platform.resources.lake.resource import LakeResource

# Top folder → how many path parts name a table under it, and the SQL name's prefix.
ROOTS = {"raw": (1, ""), "quarantine": (1, "quarantine_"), "archive": (2, "archive_")}
PARTITION = "date"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class LakeTable:
    """One queryable table: its SQL name, its folder (relative to the lake) and its files."""

    name: str
    folder: str
    partitioned: bool
    files: tuple[str, ...]

    @property
    def glob(self) -> str:
        """The files' pattern relative to the lake (Hive-style `date=` folders when partitioned)."""
        return f"{self.folder}/{PARTITION}=*/*.parquet" if self.partitioned else f"{self.folder}/*.parquet"

    @property
    def newest_file(self) -> str:
        return self.files[-1]


def discover(lake: LakeResource) -> list[LakeTable]:
    """Every table in the lake with at least one Parquet file, sorted by name."""
    found: dict[str, list[str]] = {}
    folders: dict[str, str] = {}
    for root, (depth, prefix) in ROOTS.items():
        for path in lake.list_files(root, ".parquet"):
            parts = path.split("/")
            if len(parts) < depth + 2:
                continue  # a file directly under the root belongs to no table
            name = prefix + "_".join(parts[1 : depth + 1])
            if not _IDENTIFIER.match(name):
                continue  # not nameable in SQL without quoting: skipped rather than mangled
            folders[name] = "/".join(parts[: depth + 1])
            found.setdefault(name, []).append(path)
    tables = []
    for name, files in sorted(found.items()):
        in_days = [f for f in files if f"/{PARTITION}=" in f]
        # A folder holding day folders is read through them only: a stray top-level file
        # would lack the date column.
        chosen = in_days or files
        tables.append(LakeTable(name, folders[name], bool(in_days), tuple(sorted(chosen))))
    return tables


def read_schema(lake: LakeResource, table: LakeTable) -> pa.Schema:
    """The newest file's Parquet schema: the columns readers see today."""
    filesystem, base = lake.get_filesystem()
    return pq.read_schema(f"{base}/{table.newest_file}", filesystem=filesystem)
