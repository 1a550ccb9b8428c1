"""Failed dbt tests name their offending rows: a sample of what the test's SELECT returned.

A dbt test is a query returning the rows that break the rule; dbt only reports how many.
After the run, the compiled query of each failed test (from `run_results.json`) is run
again, read-only, and its first rows join the check's metadata, so the UI and the incident
report show e.g. which orders have no exchange rate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from dagster import AssetCheckResult, MetadataValue
from psycopg import sql

from data_platform.resources.warehouse.resource import WarehouseResource

SAMPLE_ROWS = 5


def failed_test_sql(target_path: Path) -> dict[str, str]:
    """Compiled SQL of every test that failed, by the test's name."""
    results = target_path / "run_results.json"
    if not results.exists():
        return {}
    failed = {}
    for result in json.loads(results.read_text()).get("results", []):
        unique_id = result.get("unique_id", "")
        if unique_id.startswith("test.") and result.get("status") == "fail" and result.get("compiled_code"):
            failed[unique_id.split(".")[2]] = result["compiled_code"]
    return failed


def sample(warehouse: WarehouseResource, query: str) -> str:
    """The first rows the test query returns, one per line with column names."""
    wrapped = sql.SQL("SELECT * FROM ({}) AS failing LIMIT {}").format(
        sql.SQL(query.replace("%", "%%")), sql.Literal(SAMPLE_ROWS)
    )
    with warehouse.get_connection() as conn:
        cursor = conn.execute(wrapped)
        names = [c.name for c in cursor.description]
        return "\n".join(", ".join(f"{n}={v}" for n, v in zip(names, row, strict=True)) for row in cursor)


def with_failing_rows(
    events: Iterable[object], warehouse: WarehouseResource, target_path: Path
) -> Iterator[object]:
    """The events, each failed check result carrying a sample of its failing rows."""
    failed = failed_test_sql(target_path)
    for event in events:
        if isinstance(event, AssetCheckResult) and not event.passed and event.check_name in failed:
            rows = sample(warehouse, failed[event.check_name])
            metadata = {**(event.metadata or {}), "failing_rows": MetadataValue.text(rows)}
            event = AssetCheckResult(
                asset_key=event.asset_key, check_name=event.check_name, passed=False,
                severity=event.severity, metadata=metadata, description=event.description,
            )  # fmt: skip
        yield event
