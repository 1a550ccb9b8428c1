"""How long each warehouse table keeps its days before they move to the lake's archive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from data_platform.resources.warehouse.sql import TableRef

# The column that dates each row, per table that may be archived by day.
DAY_COLUMNS = {
    "raw.events": "event_date",
    "raw.exchange_rates": "rate_date",
    "analytics.channel_summary": "event_date",
    "analytics.daily_revenue": "order_date",
}
# Clickstream is the bulk of the warehouse; the rest is small and stays. Rates stay forever
# because old orders are converted with the rate of their own day.
DEFAULT_RETENTION_DAYS = {"raw.events": 90}
ARCHIVE_PREFIX = "archive"
# The schema the summary layer owns: its days are archived and restored as the transformer.
TRANSFORMED = "analytics"


@dataclass(frozen=True)
class RetentionRule:
    """Keep `days` days of `table` in the warehouse, dated by `column`; older days are archived."""

    table: TableRef
    column: str
    days: int

    def cutoff(self, as_of: date) -> date:
        """The first day kept: days before it are archived (as of `as_of`, kept days end there)."""
        return as_of - timedelta(days=self.days)


def table_ref(name: str) -> TableRef:
    schema, _, table = name.partition(".")
    if not schema or not table:
        raise ValueError(f"a table is named schema.table, not {name!r}")
    return TableRef(schema, table)


def rule_for(name: str, days: int) -> RetentionRule:
    if name not in DAY_COLUMNS:
        raise ValueError(f"no day column known for {name}; archivable tables: {sorted(DAY_COLUMNS)}")
    if days < 1:
        raise ValueError(f"retention of {name} must keep at least one day, not {days}")
    return RetentionRule(table_ref(name), DAY_COLUMNS[name], days)


def rules_from(retention_days: Mapping[str, int]) -> list[RetentionRule]:
    """Rules from a `{"schema.table": days}` mapping (asset config)."""
    return [rule_for(name, days) for name, days in sorted(retention_days.items())]


def archive_folder(ref: TableRef, day: date) -> str:
    """The lake folder of one archived day: `archive/<schema>/<table>/date=D`."""
    return f"{ARCHIVE_PREFIX}/{ref.schema}/{ref.table}/date={day.isoformat()}"


def archive_file(ref: TableRef, day: date) -> str:
    return f"{archive_folder(ref, day)}/part-00000.parquet"
