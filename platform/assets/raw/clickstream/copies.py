"""Which copy of an `event_id` wins, and the day's two outputs built from that ranking.

An `event_id` belongs to one day only. Its copies are ranked by where they landed (folder,
file, line): a copy already published for another day comes first, then the earliest copy
in the folders read. A copy of folder D dated on another day than the winner is
quarantined as a duplicate; the day whose date the winner carries keeps the event.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F

from data_platform.assets.raw.clickstream.validate import RAW_LINE_CHARS

PAYLOAD = ("user_id", "session_id", "event_type", "page", "channel", "experiments", "user_agent")
EVENT_COLUMNS = ("event_id", "ts", "event_date", *PAYLOAD)


def first_copies(checked: DataFrame, day: date, known: DataFrame | None) -> DataFrame:
    """One row per valid `event_id`: its first copy, the date that copy carries (`winner`),
    and how many copies dated D were seen."""
    is_day = F.col("event_date") == F.lit(day)
    payload = F.when(is_day, F.struct(*PAYLOAD))
    copy = F.struct("file_idx", "line_number", "event_date", "ts", payload.alias("payload"))
    per_id = (
        checked.where(F.col("reason").isNull())
        .groupBy("event_id")
        .agg(
            F.min(copy).alias("first"),
            F.count_if(is_day).alias("copies"),
            (F.min("event_date") != F.max("event_date")).alias("mixed"),
        )
    )
    if known is None:
        return per_id.withColumns({"winner": F.col("first.event_date"), "known": F.lit(False)})
    other = known.groupBy("event_id").agg(F.min("event_date").alias("published"))
    return per_id.join(other, "event_id", "left").withColumns(
        {
            "winner": F.coalesce("published", "first.event_date"),
            "known": F.col("published").isNotNull(),
        }
    ).drop("published")


def day_events(per_id: DataFrame, day: date, day_count: int, seen: Observation) -> DataFrame:
    """Day D's events sorted by (ts, event_id), with the run's event counts observed."""
    mine = per_id.where(F.col("winner") == F.lit(day))
    mine = mine.observe(
        seen,
        F.count("*").alias("events_written"),
        F.coalesce(F.sum(F.col("copies") - 1), F.lit(0)).alias("duplicates"),
        F.count_if(F.col("first.file_idx") >= day_count).alias("late"),
    )
    columns = [F.col("event_id"), F.col("first.ts").alias("ts"), F.col("first.event_date").alias("event_date")]
    columns += [F.col(f"first.payload.{name}").alias(name) for name in PAYLOAD]
    return mine.select(*columns).orderBy("ts", "event_id")


def cross_day_losers(checked: DataFrame, per_id: DataFrame) -> DataFrame:
    """Valid lines of folder D whose `event_id` was won by a copy dated another day."""
    conflicts = per_id.where(F.col("mixed") | F.col("known")).select("event_id", "winner")
    lines = checked.where(F.col("in_day") & F.col("reason").isNull())
    event = F.to_json(F.struct(*(F.col(name) for name in EVENT_COLUMNS)))
    return (
        lines.join(conflicts, "event_id")
        .where(F.col("event_date") != F.col("winner"))
        .select(
            "file_idx",
            "line_number",
            F.format_string("duplicate event_id: first landed for %s", F.col("winner").cast("string")).alias("reason"),
            F.left(event, F.lit(RAW_LINE_CHARS)).alias("raw_line"),
        )
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
    ordered = records.orderBy("file_idx", "line_number")
    return ordered.select(source.alias("source_file"), "line_number", "reason", "raw_line")
