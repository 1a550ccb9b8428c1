"""`raw.events`: clickstream landing files → Spark (validate, deduplicate) → lake → warehouse.

Partition D holds the events whose UTC date is D. They arrive in landing folders D and
D+1 (late events), so D depends on both landing partitions through a partition mapping;
until D+1 lands, D is built from what exists and marked incomplete in its metadata.
"""


from datetime import date, timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    TimeWindowPartitionMapping,
)
from dagster_pyspark import PySparkResource

from data_platform.assets import conventions
from data_platform.assets.partitions import partition_days
from data_platform.assets.raw import shapes as c
from data_platform.assets.raw.clickstream.files import LANDING_SUFFIX
from data_platform.assets.raw.clickstream.job import process_clickstream
from data_platform.assets.raw.clickstream.lake import day_staging, spark_uri
from data_platform.resources.lake.io_manager import PART_FILE, LakeParquetEngine
from data_platform.resources.lake.resource import LakeResource, WriteInfo

LANDING_KEY = ["lake", "clickstream_landing"]
EVENTS_KEY = AssetKey(["lake", "events"])
LANDING_PREFIX = "landing/clickstream"
QUARANTINE_PREFIX = "quarantine/clickstream"
# Malformed lines are normal in small numbers; above WARN someone should look, above ERROR
# the shipper is broken and the day must not flow downstream.
MALFORMED_WARN_SHARE = 0.01
MALFORMED_ERROR_SHARE = 0.05

# How many days either side of D a copy of D's events can have been published for.
NEIGHBOURS = 2

# Folder D and folder D+1 both feed partition D.
LATE_ARRIVALS = TimeWindowPartitionMapping(
    start_offset=0, end_offset=1, allow_nonexistent_upstream_partitions=True
)


def neighbour_days(day: date) -> list[date]:
    """The other partitions whose published events partition D's ids are checked against.

    A copy lands in its date's folder or the next one, and partition E reads folders E and
    E+1: copies that landed in one folder or in adjacent folders are decided by partitions at
    most `NEIGHBOURS` days apart. An id dated on days further apart is a shipper fault this
    step does not look for (it would read the whole history every day); the warehouse's key
    check on `raw.events` finds it.
    """
    return [day + timedelta(days=n) for n in range(-NEIGHBOURS, NEIGHBOURS + 1) if n]


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

# Which copy of an event_id wins depends on the days already published beside D: two days
# decided at the same moment could each keep one. One slot in this pool (dagster.yaml's
# `concurrency.pools.default_limit: 1`) makes the days' decisions one after another, whatever
# runs they are in; a range of days in one run is decided in order anyway.
EVENTS_POOL = "clickstream_days"


@c.lake_asset(
    "events",
    deps=[AssetDep(LANDING_KEY, partition_mapping=LATE_ARRIVALS)],
    pool=EVENTS_POOL,
    kinds={"spark", "parquet", "s3"},
    metadata={"partition_expr": "event_date"},
    check_specs=[AssetCheckSpec("malformed_share", asset=["lake", "events"], blocking=True)],
)
def lake_events(context: AssetExecutionContext, spark: PySparkResource, lake: LakeResource) -> MaterializeResult:
    """Valid clickstream events of the day, deduplicated by `event_id`, as Parquet.

    Spark's executors read the landing files from the lake and write the day's Parquet
    back to it; malformed lines and cross-day duplicate `event_id`s go to the lake's
    `quarantine/` with a reason and are counted.
    """
    infos, totals, incomplete = {}, {"lines_read": 0, "malformed": 0}, []
    for day in partition_days(context):
        infos[day.isoformat()], counts = _process_day(spark, lake, day)
        context.log.info(f"events {day}: {counts}")
        for name, value in counts.items():
            if isinstance(value, int) and not isinstance(value, bool):
                totals[name] = totals.get(name, 0) + value
        if not counts["complete"]:
            incomplete.append(day.isoformat())
    share = totals["malformed"] / totals["lines_read"] if totals["lines_read"] else 0.0
    metadata = {**totals, **_write_metadata(infos), "malformed_share": share, "complete": not incomplete}
    if incomplete:
        metadata["incomplete_days"] = MetadataValue.text(", ".join(incomplete))
    return MaterializeResult(metadata=metadata, check_results=[_malformed_check(share, totals)])


raw_events = c.warehouse_loader(
    "events",
    "Valid, deduplicated clickstream events: one row per `event_id` in the whole table.",
    {"write_mode": "partition", "partition_expr": "event_date", "json_columns": ["experiments"],
     "not_null": ["event_id", "ts", "event_date", "user_id", "session_id", "event_type"]},
)


def _process_day(spark: PySparkResource, lake: LakeResource, day: date) -> tuple[WriteInfo, dict]:
    """Partition D through Spark into the lake: staged, then published (events last, so a
    published events file always has its quarantine beside it)."""
    day_files, next_files = (
        [spark_uri(lake, name) for name in lake.list_files(landing_folder(d), suffix=LANDING_SUFFIX)]
        for d in (day, day + timedelta(days=1))
    )
    engine = LakeParquetEngine(lake)
    events_file = engine.partition_file(EVENTS_KEY, day.isoformat())
    nearby = (engine.partition_file(EVENTS_KEY, d.isoformat()) for d in neighbour_days(day))
    published = [spark_uri(lake, name) for name in nearby if lake.exists(name)]
    with day_staging(lake, day) as staging:
        result = process_clickstream(
            spark.spark_session, day, day_files, next_files, staging.targets, published
        )
        staging.publish("quarantine", f"{QUARANTINE_PREFIX}/date={day}/{PART_FILE}")
        info = staging.publish("events", events_file)
    return info, {**result.counts, "cross_day_duplicates": result.cross_day_duplicates}


def _write_metadata(infos: dict[str, WriteInfo]) -> dict[str, object]:
    """Where the partitions went, as the lake IO manager reports it: the warehouse load and
    the UI find each partition's lake file here."""
    metadata: dict[str, object] = {
        "rows": sum(info.rows for info in infos.values()),
        "bytes": sum(info.bytes for info in infos.values()),
    }
    if len(infos) == 1:
        (key, info), = infos.items()
        metadata |= {"path": MetadataValue.path(info.path), "partition": key}
    else:
        metadata |= {
            "paths": MetadataValue.json([info.path for info in infos.values()]),
            "rows_by_partition": MetadataValue.json({k: i.rows for k, i in infos.items()}),
            "partitions": MetadataValue.json(list(infos)),
            "partition_count": len(infos),
        }
    return metadata


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
