"""`raw.events`: clickstream landing files → Spark (validate, deduplicate) → lake → warehouse.

Partition D holds the events whose UTC date is D. They arrive in landing folders D and
D+1 (late events), so D depends on both landing partitions through a partition mapping;
until D+1 lands, D is built from what exists and marked incomplete in its metadata.
"""


import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetSpec,
    MetadataValue,
    Output,
    TimeWindowPartitionMapping,
)
from dagster_pyspark import PySparkResource

from data_platform.assets import conventions
from data_platform.assets.partitions import partition_days
from data_platform.assets.raw import shapes as c
from data_platform.assets.raw.clickstream import process_clickstream
from data_platform.resources.lake.resource import LakeResource

LANDING_KEY = ["lake", "clickstream_landing"]
LANDING_PREFIX = "landing/clickstream"
QUARANTINE_PREFIX = "quarantine/clickstream"
# Malformed lines are normal in small numbers; above WARN someone should look, above ERROR
# the shipper is broken and the day must not flow downstream.
MALFORMED_WARN_SHARE = 0.01
MALFORMED_ERROR_SHARE = 0.05

# Folder D and folder D+1 both feed partition D.
LATE_ARRIVALS = TimeWindowPartitionMapping(
    start_offset=0, end_offset=1, allow_nonexistent_upstream_partitions=True
)


def landing_folder(day: date) -> str:
    return f"{LANDING_PREFIX}/date={day.isoformat()}"


LANDING = AssetSpec(
    key=LANDING_KEY,
    description=(
        "Clickstream files delivered by the log shipper: gzipped JSON lines under "
        f"`{LANDING_PREFIX}/date=YYYY-MM-DD/` (at-least-once, some malformed, some late)."
    ),
    group_name=conventions.RAW,
    owners=conventions.OWNERS,
    kinds={"s3", "json"},
)

@c.lake_asset(
    "events",
    deps=[AssetDep(LANDING_KEY, partition_mapping=LATE_ARRIVALS)],
    kinds={"spark", "parquet", "s3"},
    metadata={"partition_expr": "event_date"},
    check_specs=[AssetCheckSpec("malformed_share", asset=["lake", "events"], blocking=True)],
)
def lake_events(
    context: AssetExecutionContext, spark: PySparkResource, lake: LakeResource
) -> Iterator[Output | AssetCheckResult]:
    """Valid clickstream events of the day, deduplicated by `event_id`, as Parquet.

    Malformed lines go to the lake's `quarantine/` with a reason and are counted.
    """
    tables, totals, incomplete = [], {"lines_read": 0, "malformed": 0}, []
    for day in partition_days(context):
        result = _process_day(spark, lake, day)
        tables.append(result.events)
        lake.write_parquet(f"{QUARANTINE_PREFIX}/date={day}/part-00000.parquet", result.quarantine)
        context.log.info(f"events {day}: {result.counts}")
        for name, value in result.counts.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
        if not result.counts["complete"]:
            incomplete.append(day.isoformat())
    events = pa.concat_tables(tables) if tables else None
    share = totals["malformed"] / totals["lines_read"] if totals["lines_read"] else 0.0
    metadata = {**totals, "malformed_share": share, "complete": not incomplete}
    if incomplete:
        metadata["incomplete_days"] = MetadataValue.text(", ".join(incomplete))
    yield Output(events, metadata=metadata)
    yield _malformed_check(share, totals)


raw_events = c.warehouse_loader(
    "events",
    "Valid, deduplicated clickstream events: one row per `event_id` in the whole table.",
    {"write_mode": "partition", "partition_expr": "event_date", "json_columns": ["experiments"],
     "not_null": ["event_id", "ts", "event_date", "user_id", "session_id", "event_type"]},
)


def _process_day(spark: PySparkResource, lake: LakeResource, day: date):
    with tempfile.TemporaryDirectory(prefix="clickstream-") as tmp:
        day_files = _local_copies(lake, landing_folder(day), Path(tmp) / "d0")
        next_files = _local_copies(lake, landing_folder(day + timedelta(days=1)), Path(tmp) / "d1")
        return process_clickstream(spark.spark_session, day, day_files, next_files)


def _local_copies(lake: LakeResource, folder: str, target: Path) -> list[str]:
    """Local paths of a landing folder's files: the files themselves on a local lake,
    downloaded copies on S3 (Spark here reads local files; a cluster would read S3)."""
    files = lake.list_files(folder, suffix=".jsonl.gz")
    if lake.uri(folder).startswith("file://"):
        return [lake.uri(name).removeprefix("file://") for name in files]
    return [str(lake.download(name, target / Path(name).name)) for name in files]


def _malformed_check(share: float, totals: dict[str, int]) -> AssetCheckResult:
    passed = share <= MALFORMED_WARN_SHARE
    severity = AssetCheckSeverity.ERROR if share > MALFORMED_ERROR_SHARE else AssetCheckSeverity.WARN
    return AssetCheckResult(
        check_name="malformed_share",
        passed=passed,
        severity=severity,
        description=f"malformed lines ≤ {MALFORMED_WARN_SHARE:.0%} (warn) and ≤ {MALFORMED_ERROR_SHARE:.0%} (error)",
        metadata={"malformed_share": share, "malformed": totals["malformed"], "lines_read": totals["lines_read"]},
    )
