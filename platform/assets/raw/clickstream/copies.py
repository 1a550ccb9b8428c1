"""Which copy of an `event_id` wins, and the day's two outputs built from that ranking.

An `event_id` belongs to one day only. Its copies are ranked by where they landed (folder,
file, line): a copy already published for another day comes first, then the earliest copy
in the folders read. A copy of folder D dated on another day than the winner is
quarantined as a duplicate; the day whose date the winner carries keeps the event.

The ranking shuffles only fixed-width keys (a hash aggregation); the lines themselves never
move. Ids seen once and published nowhere else (nearly all) need no ranking at all: only
the others, copies of one event, are broadcast back to the lines to pick their winner.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F

from data_platform.assets.raw.clickstream.validate import RAW_LINE_CHARS

PAYLOAD = ("user_id", "session_id", "event_type", "page", "channel", "experiments", "user_agent")
EVENT_COLUMNS = ("event_id", "ts", "event_date", *PAYLOAD)


def _rank() -> Column:
    """Where a line landed as one long, in landing order: file number, then line number."""
    return F.shiftleft(F.col("file_idx").cast("long"), 40) + F.col("line_number")


def _valid(checked: DataFrame) -> DataFrame:
    """The valid lines: those without a `reason`."""
    return checked.where(F.col("reason").isNull())


def _published(checked: DataFrame, known: DataFrame) -> DataFrame:
    """The published rows whose `event_id` is among the day's valid lines (and the rare row
    whose id only shares a hash with one of them; the exact join follows). The day's 64-bit
    hashes are broadcast, so each published file is probed where it is read: nothing of the
    published days is shuffled or aggregated but these few rows."""
    hashed = F.xxhash64("event_id")
    day = _valid(checked).select(hashed.alias("hash"))
    return known.withColumn("hash", hashed).join(F.broadcast(day), "hash", "left_semi")


def first_copies(checked: DataFrame, day: date, known: DataFrame | None) -> DataFrame:
    """The `event_id`s with more than one valid copy, or published for another day: the rank
    of their first copy (`first`), the date that wins (`winner`), how many copies dated D
    were seen, and whether copies of other dates exist (`conflict`)."""
    is_day = F.col("event_date") == F.lit(day)
    per_id = (
        _valid(checked)
        .groupBy("event_id")
        .agg(
            F.min_by("event_date", _rank()).alias("first_date"),
            F.min(_rank()).alias("first"),
            F.count("*").alias("lines"),
            F.count_if(is_day).alias("copies"),
            (F.min("event_date") != F.max("event_date")).alias("mixed"),
        )
    )
    if known is None:
        per_id = per_id.withColumns({"winner": F.col("first_date"), "known": F.lit(False)})
    else:
        other = _published(checked, known).groupBy("event_id").agg(F.min("event_date").alias("published"))
        per_id = per_id.join(F.broadcast(other), "event_id", "left").withColumns(
            {"winner": F.coalesce("published", "first_date"), "known": F.col("published").isNotNull()}
        )
    ranked = per_id.where((F.col("lines") > 1) | F.col("known"))
    return ranked.select("event_id", "first", "winner", "copies", (F.col("mixed") | F.col("known")).alias("conflict"))


def _with_ranking(checked: DataFrame, ranked: DataFrame) -> DataFrame:
    """Valid lines with their id's ranking (null columns for an id seen once)."""
    return _valid(checked).join(F.broadcast(ranked), "event_id", "left")


def day_events(checked: DataFrame, ranked: DataFrame, day: date, day_count: int, seen: Observation) -> DataFrame:
    """Day D's events sorted by (ts, event_id), in one partition, with the run's event counts observed."""
    lines = _with_ranking(checked, ranked)
    single = F.col("first").isNull()
    won = (_rank() == F.col("first")) & (F.col("winner") == F.lit(day))
    mine = lines.where((F.col("event_date") == F.lit(day)) & (single | won))
    mine = mine.observe(
        seen,
        F.count("*").alias("events_written"),
        F.coalesce(F.sum(F.coalesce("copies", F.lit(1)) - 1), F.lit(0)).alias("duplicates"),
        F.count_if(F.col("file_idx") >= day_count).alias("late"),
    )
    # One output file: one task sorts the day (no range-partitioning pass to sample first).
    return mine.select(*EVENT_COLUMNS).repartition(1).sortWithinPartitions("ts", "event_id")


def cross_day_losers(checked: DataFrame, ranked: DataFrame) -> DataFrame:
    """Valid lines of folder D whose `event_id` was won by a copy dated another day."""
    lines = _with_ranking(checked, ranked)
    event = F.to_json(F.struct(*(F.col(name) for name in EVENT_COLUMNS)))
    return lines.where(F.col("in_day") & F.col("conflict") & (F.col("event_date") != F.col("winner"))).select(
        "file_idx",
        "line_number",
        F.format_string("duplicate event_id: first landed for %s", F.col("winner").cast("string")).alias("reason"),
        F.left(event, F.lit(RAW_LINE_CHARS)).alias("raw_line"),
    )


def quarantine_records(
    checked: DataFrame, losers: DataFrame, sources: list[str], lines_seen: Observation, seen: Observation
) -> DataFrame:
    """Malformed lines and unreadable files of folder D, then cross-day duplicates, by file and line."""
    # The line counts are observed on this scan of the cached lines: no pass of their own.
    counted = checked.observe(
        lines_seen,
        F.count_if(F.col("in_day") & (F.col("line_number") > 0)).alias("lines_read"),
        F.count_if(F.col("in_day") & F.col("reason").isNull()).alias("valid"),
    )
    bad = counted.where(F.col("in_day") & F.col("reason").isNotNull())
    records = bad.select("file_idx", "line_number", "reason", "raw_line").unionByName(losers)
    source: Column = F.lit(None).cast("string")
    if sources:
        source = F.try_element_at(F.array(*(F.lit(s) for s in sources)), F.col("file_idx") + 1)
    records = records.observe(
        seen,
        F.count("*").alias("malformed"),
        F.count_if(F.col("line_number") == 0).alias("unreadable_files"),
        F.count_if(F.col("reason").startswith("duplicate event_id")).alias("cross_day_duplicates"),
    )
    # One output file: one task sorts the records (a range-partitioning pass would sample them
    # first, another pass over the cached lines).
    ordered = records.repartition(1).sortWithinPartitions("file_idx", "line_number")
    return ordered.select(source.alias("source_file"), "line_number", "reason", "raw_line")
