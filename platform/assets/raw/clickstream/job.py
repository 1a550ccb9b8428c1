"""Clickstream landing files of one day → the valid, deduplicated events of that day.

Partition D reads landing folders D and D+1 (events arrive up to a day late), keeps the
valid events whose UTC date is D, one row per `event_id`, and quarantines every malformed
line of folder D with its reason. Spark's executors read the files, check and deduplicate
the lines and write both results as Parquet straight to the given (staging) URIs; the
driver only receives counts. Which copy of a repeated `event_id` wins: `copies.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date

import pyarrow as pa
from pyspark import StorageLevel, cloudpickle
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema

from data_platform.assets.raw.clickstream import files, inflate
from data_platform.assets.raw.clickstream.copies import (
    cross_day_losers,
    day_events,
    first_copies,
    quarantine_records,
)
from data_platform.assets.raw.clickstream.files import (
    LANDING_SUFFIX,
    LINES,
    SCANS,
    WHOLE_FILE,
    decoder,
    file_key,
)
from data_platform.assets.raw.clickstream.validate import check_lines

# Executors get the decoder by value: only NumPy, pyarrow and zlib-ng are needed there, not this platform.
for module in (files, inflate):
    cloudpickle.register_pickle_by_value(module)

# The decoder's Arrow schema as Spark's, for the `mapInArrow` that runs it.
LINES_TYPE = from_arrow_schema(LINES)
# The Parquet the executors write (the lake's contract for these two tables).
EVENTS = pa.schema(
    [
        ("event_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("event_date", pa.date32()),
        ("user_id", pa.int64()),
        *((name, pa.string()) for name in ("session_id", "event_type", "page", "channel", "experiments", "user_agent")),
    ]
)
QUARANTINE = pa.schema(
    [("source_file", pa.string()), ("line_number", pa.int64()), ("reason", pa.string()), ("raw_line", pa.string())]
)


# The adaptive rule that replaces a plan with an empty relation once an input is found empty.
EMPTY_RELATION_RULE = "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation"
# Gzipped landing bytes per read task, within one to four tasks per core (see _step_settings).
TASK_BYTES = 4 << 20


@dataclass(frozen=True)
class DayTargets:
    """Where Spark writes partition D: folders (URIs Spark can write) that must not exist yet."""

    events: str
    quarantine: str


@dataclass(frozen=True)
class ClickstreamCounts:
    """What a run saw; `lines_read + unreadable_files == valid + malformed`."""

    lines_read: int  # lines decoded from folder D
    valid: int  # valid lines of folder D dated D-1 or D, less cross-day duplicates
    malformed: int  # quarantine records: bad lines, unreadable files, cross-day duplicates
    unreadable_files: int  # folder D files that are empty, not gzip, cut or corrupt
    duplicates: int  # extra copies of day D's events, in either folder
    late: int  # day D events found only in folder D+1
    events_written: int
    complete: bool  # folder D+1 had landed, so no late event can be missing

    def as_metadata(self) -> dict[str, int | bool]:
        return asdict(self)


@dataclass(frozen=True)
class ClickstreamResult:
    counts: dict[str, int | bool]  # ClickstreamCounts' fields, ready for asset metadata
    cross_day_duplicates: int  # folder D lines whose event_id belongs to another day (in malformed)


def _folders(sources: list[str]) -> list[str]:
    """The landing folders that hold `sources`, each once."""
    return sorted({source.rsplit("/", 1)[0] for source in sources})


def _file_sizes(spark: SparkSession, sources: list[str]) -> list[int | None]:
    """The byte size of each source (None if not listed), from one listing per folder."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    sizes: dict[str, int] = {}
    for folder in _folders(sources):
        path = jvm.org.apache.hadoop.fs.Path(folder)
        for status in path.getFileSystem(conf).listStatus(path):
            sizes[file_key(status.getPath().toString())] = status.getLen()
    return [sizes.get(file_key(source)) for source in sources]


def _binary_files(spark: SparkSession, sources: list[str]) -> DataFrame:
    """A `binaryFile` scan of exactly `sources`, listed by folder: one listing per folder
    (one request on S3), where naming each file makes Spark check them one by one (a Spark job
    of its own past 32 paths). Files that landed after `sources` were listed make the two
    differ: then the files are named."""
    listed = spark.read.format("binaryFile").option("pathGlobFilter", f"*{LANDING_SUFFIX}").load(_folders(sources))
    if sorted(map(file_key, listed.inputFiles())) == sorted(map(file_key, sources)):
        return listed
    return spark.read.format("binaryFile").load(sources)


def read_lines(spark: SparkSession, sources: list[str], sizes: list[int | None]) -> DataFrame:
    """The `LINES` (files.py) of every file: numbered lines with the decoder's scans, and a
    record per unreadable file, decoded on the executors. `sizes` (`_file_sizes`) tell the
    zero-byte files, which Spark's file scans skip, so the decoder would never see them."""
    if not sources:
        return spark.createDataFrame([], LINES_TYPE)
    numbers = {file_key(source): idx for idx, source in enumerate(sources)}
    files = _binary_files(spark, sources).select("path", "content")
    lines = files.mapInArrow(decoder(numbers), LINES_TYPE)
    empty = [(idx, WHOLE_FILE, b"0 bytes", "empty file", *[None] * len(SCANS)) for idx, size in enumerate(sizes) if size == 0]
    return lines.unionByName(spark.createDataFrame(empty, LINES_TYPE)) if empty else lines


@contextmanager
def _settings(spark: SparkSession, settings: dict[str, str]) -> Iterator[None]:
    """The session with `settings` for the duration, as it was afterwards."""
    before = {key: spark.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _step_settings(spark: SparkSession, input_bytes: int) -> dict[str, str]:
    """Session settings while the step plans and runs:
    - cache without compression: the cached rows are read back a few times and dropped, so
      the per-column encoding statistics cost more than they save;
    - the files split into a task per `TASK_BYTES` of gzip, between one and four per core: a
      task is one batch of whole gzip files, and with Spark's default of about one task per
      core the last, largest one of a large day ran alone for a third of the read; a small
      day in four tasks per core spends more on starting them than on its lines;
    - a key given twice keeps its last value in the VARIANT parse of the lines checked field by
      field, as it does in the schema parse of the others (Spark's default is to fail such a
      parse, which would quarantine as invalid JSON only the lines that take that path)."""
    cores = spark.sparkContext.defaultParallelism
    return {
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        "spark.sql.files.minPartitionNum": str(min(4 * cores, max(cores, input_bytes // TASK_BYTES))),
        "spark.sql.variant.allowDuplicateKeys": "true",
    }


def _observed_plan_kept(spark: SparkSession) -> dict[str, str]:
    """While the two outputs are written: adaptive execution must not replace a plan with an
    empty relation once a shuffle before a sort turns out empty (no valid event, or no
    malformed line). It would drop the counts observed below that shuffle, and the run would
    fail reading them."""
    rules = "spark.sql.adaptive.optimizer.excludedRules"
    return {rules: ",".join(filter(None, [spark.conf.get(rules, None), EMPTY_RELATION_RULE]))}


def process_clickstream(
    spark: SparkSession,
    day: date,
    day_files: list[str],
    next_day_files: list[str],
    targets: DayTargets,
    published_elsewhere: list[str] = (),
) -> ClickstreamResult:
    """Turn the `.jsonl.gz` files of landing folders D and D+1 into partition D's events and
    quarantine at `targets`, one Parquet file each.

    File URIs must be readable by every executor; `published_elsewhere` lists the Parquet
    files of the other days' events already published. Folder D+1 may be empty (not landed
    yet): the result is then marked incomplete.
    """
    zone = spark.conf.get("spark.sql.session.timeZone")
    if zone != "UTC":
        raise ValueError(f"event dates are UTC days; the Spark session's time zone is {zone!r}")
    sources = [*day_files, *next_day_files]
    day_count = len(day_files)
    known = None
    if published_elsewhere:
        known = spark.read.parquet(*published_elsewhere).select("event_id", "event_date")
    lines_seen, events_seen, quarantine_seen = (Observation(n) for n in ("lines", "events", "quarantine"))
    # Settings hold from the cache's declaration on: Spark plans it in a copy of the session.
    sizes = _file_sizes(spark, sources)
    with _settings(spark, _step_settings(spark, sum(filter(None, sizes)))):
        # One parse of every line, kept for the two writes below (the cache is what they share).
        checked = check_lines(read_lines(spark, sources, sizes), day, day_count).persist(StorageLevel.MEMORY_AND_DISK)
        # The ranked ids are few (copies of one event): cached, they are broadcast to both writes.
        ranked = first_copies(checked, day, known).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            # Filled by a job of its own: planned inside a write, the cache is filled by two jobs
            # at once, and the second one's tasks hold cores while they wait for the first's blocks.
            checked.count()
            events = day_events(checked, ranked, day, day_count, events_seen)
            quarantine = quarantine_records(checked, cross_day_losers(checked, ranked), sources, lines_seen, quarantine_seen)
            with _settings(spark, _observed_plan_kept(spark)):
                # Every event_id is distinct: a dictionary of them is built, then abandoned.
                events.write.option("parquet.enable.dictionary#event_id", "false").parquet(targets.events)
                quarantine.write.parquet(targets.quarantine)
        finally:
            ranked.unpersist()
            checked.unpersist()
    lines, events, quarantine = lines_seen.get, events_seen.get, quarantine_seen.get
    counts = ClickstreamCounts(
        lines_read=lines["lines_read"],
        valid=lines["valid"] - quarantine["cross_day_duplicates"],
        malformed=quarantine["malformed"],
        unreadable_files=quarantine["unreadable_files"],
        duplicates=events["duplicates"],
        late=events["late"],
        events_written=events["events_written"],
        complete=bool(next_day_files),
    )
    return ClickstreamResult(counts.as_metadata(), quarantine["cross_day_duplicates"])
