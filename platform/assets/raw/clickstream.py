"""Clickstream landing files of one day → the valid, deduplicated events of that day.

Partition D reads landing folders D and D+1 (events arrive up to a day late), keeps the
valid events whose UTC date is D, one row per `event_id`, and quarantines every malformed
line of folder D with its reason. Spark does the parsing, checks and deduplication; only
the finished Arrow tables reach Python.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from data_platform.assets.raw.clickstream_files import WHOLE_FILE, StagedFiles, stage_files
from data_platform.assets.raw.clickstream_validate import check_lines

TS = pa.timestamp("us", tz="UTC")
EVENTS = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", TS),
        ("event_date", pa.date32()),
        ("user_id", pa.int64()),
        ("session_id", pa.string()),
        ("event_type", pa.string()),
        ("page", pa.string()),
        ("channel", pa.string()),
        ("experiments", pa.string()),
        ("user_agent", pa.string()),
    ]
)
QUARANTINE = pa.schema(
    [
        ("source_file", pa.string()),
        ("line_number", pa.int64()),
        ("reason", pa.string()),
        ("raw_line", pa.string()),
    ]
)
# Quarantine rows keyed by file number until the file names are attached.
_RECORD = pa.schema(
    [("file_idx", pa.int32()), *((f.name, f.type) for f in QUARANTINE if f.name != "source_file")]
)


@dataclass(frozen=True)
class ClickstreamCounts:
    """What a run saw; `lines_read + unreadable_files == valid + malformed`."""

    lines_read: int  # lines decoded from folder D
    valid: int  # valid lines of folder D dated D-1 or D
    malformed: int  # quarantine records, one per bad line or unreadable file
    unreadable_files: int  # folder D files that are empty, not gzip, cut or corrupt
    duplicates: int  # extra copies of day D's events, in either folder
    late: int  # day D events found only in folder D+1
    events_written: int
    complete: bool  # folder D+1 had landed, so no late event can be missing

    def as_metadata(self) -> dict[str, int | bool]:
        return asdict(self)


@dataclass(frozen=True)
class ClickstreamResult:
    events: pa.Table  # schema EVENTS, sorted by ts, event_id
    quarantine: pa.Table  # schema QUARANTINE
    counts: dict[str, int | bool]  # ClickstreamCounts' fields, ready for asset metadata


def _read_lines(spark: SparkSession, staged: StagedFiles) -> DataFrame:
    """`(file_idx, id, value)` per line; `id` grows with the line number inside a file."""
    if not staged.spark_paths:
        return spark.createDataFrame([], "file_idx int, id bigint, value string")
    # A gzip file is never split, so each file is read whole, in order, by one task: the
    # row ids of its lines are consecutive.
    return spark.read.text(staged.spark_paths).select(
        F.regexp_extract("_metadata.file_path", r"(\d+)\.jsonl\.gz$", 1)
        .cast("int")
        .alias("file_idx"),
        F.monotonically_increasing_id().alias("id"),
        "value",
    )


def _events(checked: DataFrame, day: date, day_count: int) -> tuple[pa.Table, int, int]:
    """Day D's events, first copy by (ts, file, line) kept; also the duplicates and late counts."""
    valid = checked.where(F.col("reason").isNull() & (F.col("event_date") == F.lit(day)))
    others = [name for name in EVENTS.names if name not in ("event_id", "ts")]
    first = F.min(F.struct("ts", "file_idx", "id", *others)).alias("first")
    grouped = valid.groupBy("event_id").agg(first, F.count("*").alias("copies"))
    table = grouped.select("event_id", "first.*", "copies").orderBy("ts", "event_id").toArrow()
    duplicates = pc.sum(table["copies"]).as_py() or 0
    late = pc.sum(pc.greater_equal(table["file_idx"], day_count).cast(pa.int64())).as_py() or 0
    events = table.select(EVENTS.names).cast(EVENTS)
    return events, duplicates - events.num_rows, late


def _quarantine(checked: DataFrame, staged: StagedFiles) -> pa.Table:
    """Malformed lines of folder D with 1-based line numbers, then the unreadable files."""
    day_lines = checked.where("in_day")
    starts = day_lines.groupBy("file_idx").agg(F.min("id").alias("first_id"))
    lines = (
        day_lines.where(F.col("reason").isNotNull())
        .join(F.broadcast(starts), "file_idx")
        .select(
            "file_idx",
            (F.col("id") - F.col("first_id") + 1).alias("line_number"),
            "reason",
            "raw_line",
        )
        .toArrow()
    )
    records = pa.table(
        {
            "file_idx": [r.file_idx for r in staged.records],
            "line_number": [WHOLE_FILE] * len(staged.records),
            "reason": [r.reason for r in staged.records],
            "raw_line": [r.detail for r in staged.records],
        },
        schema=_RECORD,
    )
    both = pa.concat_tables([lines.select(_RECORD.names).cast(_RECORD), records])
    both = both.sort_by([("file_idx", "ascending"), ("line_number", "ascending")])
    source_file = pa.array(staged.sources, pa.string()).take(both["file_idx"])
    return both.drop(["file_idx"]).add_column(0, "source_file", source_file).cast(QUARANTINE)


def process_clickstream(
    spark: SparkSession, day: date, day_files: list[str], next_day_files: list[str]
) -> ClickstreamResult:
    """Turn the `.jsonl.gz` files of landing folders D and D+1 (local paths) into partition D.

    Folder D+1 may be empty (not landed yet): the result is then marked incomplete.
    """
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone != "UTC":
        raise ValueError(f"event dates are UTC days; the Spark session's time zone is {zone!r}")
    with tempfile.TemporaryDirectory(prefix="clickstream-") as workdir:
        staged = stage_files(day_files, next_day_files, Path(workdir))
        checked = check_lines(_read_lines(spark, staged), day, staged.day_count)
        checked = checked.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            events, duplicates, late = _events(checked, day, staged.day_count)
            quarantine = _quarantine(checked, staged)
            totals = (
                checked.where("in_day")
                .agg(
                    F.count("*").alias("lines"), F.count_if(F.col("reason").isNull()).alias("valid")
                )
                .first()
            )
        finally:
            checked.unpersist()
    counts = ClickstreamCounts(
        lines_read=totals["lines"],
        valid=totals["valid"],
        malformed=quarantine.num_rows,
        unreadable_files=len(staged.records),
        duplicates=duplicates,
        late=late,
        events_written=events.num_rows,
        complete=bool(next_day_files),
    )
    return ClickstreamResult(events=events, quarantine=quarantine, counts=counts.as_metadata())
