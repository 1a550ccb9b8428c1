"""Bringing archived days back from the lake into the warehouse.

Each day is a partition write (delete the day, load the archive, one transaction), so a
restore can be repeated or interrupted and rerun. A restored day is older than its
retention: the next retention run archives it again unless the retention is raised first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from data_platform.assets.maintenance.archive import read_archive
from data_platform.assets.maintenance.retention_rules import (
    DAY_COLUMNS,
    TRANSFORMED,
    RetentionRule,
    table_ref,
)
from data_platform.assets.partitions import day_window
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.settings import PlatformSettings
from data_platform.resources.warehouse.read import JSON_TYPES, table_columns
from data_platform.resources.warehouse.resource import WarehouseResource


@dataclass
class RestoreReport:
    """Rows restored per day, and the days of the range that have no archive."""

    restored: dict[date, int] = field(default_factory=dict)
    missing: list[date] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.restored.values())


def json_columns(warehouse: WarehouseResource, rule: RetentionRule) -> list[str]:
    """The table's JSON columns: the archive holds them as text, the load parses them again."""
    with warehouse.get_connection() as conn:
        return [c.name for c in table_columns(conn, rule.table) if c.data_type.lower() in JSON_TYPES]


def restore_rule(table: str, start: date, end: date) -> RetentionRule:
    """The table's day column; refuses a reversed range or a table the archive does not hold."""
    if end < start:
        raise ValueError(f"restore range ends ({end}) before it starts ({start})")
    if table not in DAY_COLUMNS:
        raise ValueError(f"no day column known for {table}; archivable tables: {sorted(DAY_COLUMNS)}")
    return RetentionRule(table_ref(table), DAY_COLUMNS[table], days=1)


def restore_days(
    warehouse: WarehouseResource, lake: LakeResource, table: str, start: date, end: date
) -> RestoreReport:
    """Load the archived days `start`..`end` (inclusive) of `table` back into the warehouse."""
    rule = restore_rule(table, start, end)
    engine, json = warehouse.engine(), json_columns(warehouse, rule)
    report = RestoreReport()
    day = start
    while day <= end:
        rows = read_archive(lake, rule, day)
        if rows is None:
            report.missing.append(day)
        else:
            engine.write_partition(rule.table.schema, rule.table.table, rows, rule.column, *day_window(day),
                                   json_columns=json)  # fmt: skip
            report.restored[day] = rows.num_rows
        day += timedelta(days=1)
    return report


def restore_from_settings(settings: PlatformSettings, table: str, start: date, end: date) -> RestoreReport:
    """`restore_days` against the warehouse and lake the environment points at."""
    restore_rule(table, start, end)  # a bad request is refused before anything connects
    if not settings.warehouse_url:
        raise ValueError("PLATFORM_WAREHOUSE_URL is not set")
    summary = table.startswith(f"{TRANSFORMED}.") and settings.warehouse_transform_url
    warehouse = WarehouseResource(
        url=settings.warehouse_transform_url if summary else settings.warehouse_url, iam_role=settings.redshift_iam_role,
        staging_url=settings.redshift_staging_url, s3_endpoint_url=settings.s3_endpoint_url,
    )  # fmt: skip
    lake = LakeResource(url=settings.lake_url, s3_endpoint_url=settings.s3_endpoint_url)
    return restore_days(warehouse, lake, table, start, end)
