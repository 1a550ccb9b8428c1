"""The warehouse retention asset: days past each table's retention move to the lake's archive."""

# No `from __future__ import annotations`: Dagster resolves the config class from the
# annotation at definition time.


from datetime import UTC, date, datetime

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from data_platform.assets import conventions
from data_platform.assets.maintenance.archive import ArchivedDay, archive_day, days_before
from data_platform.assets.maintenance.retention_rules import (
    DEFAULT_RETENTION_DAYS,
    TRANSFORMED,
    RetentionRule,
    rules_from,
)
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.read import table_columns
from data_platform.resources.warehouse.resource import WarehouseResource

ARCHIVE_KEY = ["lake", "warehouse_archive"]


class RetentionConfig(Config):
    retention_days: dict[str, int] = Field(
        default=DEFAULT_RETENTION_DAYS,
        description='Days each table keeps in the warehouse, e.g. {"raw.events": 90}.',
    )
    as_of: str | None = Field(
        default=None, description="ISO date retention counts back from (default: today, UTC)."
    )
    max_days_per_run: int = Field(
        default=60, description="Upper bound of days archived per table in one run (catching up in steps)."
    )


def expired_days(warehouse: WarehouseResource, rule: RetentionRule, as_of: date) -> list[date]:
    """Days of the table past its retention; none when the table does not exist yet."""
    with warehouse.get_connection() as conn:
        if not table_columns(conn, rule.table):
            return []
        return days_before(conn, rule, rule.cutoff(as_of))


@asset(
    key=ARCHIVE_KEY,
    group_name=conventions.MAINTENANCE,
    owners=conventions.OWNERS,
    kinds={"postgres", "redshift", "parquet", "s3"},
    deps=[["raw", "events"]],
)
def warehouse_archive(
    context: AssetExecutionContext, config: RetentionConfig, warehouse: WarehouseResource,
    transform_warehouse: WarehouseResource, lake: LakeResource,
) -> MaterializeResult:  # fmt: skip
    """Warehouse days past their table's retention, as Parquet under the lake's `archive/`.

    Each day is exported, its row count checked against the warehouse, then deleted from the
    warehouse in one transaction; `data-platform restore` loads archived days back.
    """
    as_of = date.fromisoformat(config.as_of) if config.as_of else datetime.now(UTC).date()
    done: list[tuple[RetentionRule, ArchivedDay]] = []
    for rule in rules_from(config.retention_days):
        owner = transform_warehouse if rule.table.schema == TRANSFORMED else warehouse  # who may delete its days
        days = expired_days(owner, rule, as_of)[: config.max_days_per_run]
        context.log.info(f"{rule.table.name}: keeping {rule.days} days from {rule.cutoff(as_of)}; archiving {len(days)}")
        for day in days:
            archived = archive_day(owner, lake, rule, day)
            context.log.info(f"{rule.table.name} {day}: {archived.rows} rows archived to {archived.path}")
            done.append((rule, archived))
    lines = [f"| {rule.table.name} | {a.day} | {a.rows} | {a.path} |" for rule, a in done]
    table = "\n".join(["| table | day | rows | archive |", "|---|---|---|---|", *lines])
    return MaterializeResult(metadata={
        "as_of": as_of.isoformat(),
        "days_archived": len(done),
        "rows_archived": sum(a.rows for _, a in done),
        "retention_days": MetadataValue.json(dict(config.retention_days)),
        "archived": MetadataValue.md(table if done else "nothing past its retention"),
    })  # fmt: skip
