"""The warehouse IO manager through Dagster: materialize, Definitions, partitions and ranges.

No `from __future__ import annotations`: Dagster reads asset annotations at definition time.
"""


from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.resource import WarehouseResource

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-06")


def build_assets(schema: str) -> list[dg.AssetsDefinition]:
    """A daily partitioned table, a merged table and a full refresh, under a schema of the test's own."""

    @dg.asset(
        key=[schema, "events"], partitions_def=DAILY, backfill_policy=dg.BackfillPolicy.single_run(),
        metadata={"write_mode": "partition", "partition_column": "ts", "json_columns": ["attrs"]},
    )  # fmt: skip
    def events(context: dg.AssetExecutionContext) -> pd.DataFrame:
        window = context.partition_time_window
        hours = range(0, int((window.end - window.start).total_seconds() // 3600), 6)
        return pd.DataFrame({
            "event_id": [f"{window.start:%m%d}-{h}" for h in hours],
            "ts": [window.start + timedelta(hours=h) for h in hours],
            "attrs": [{"hour": h} for h in hours],
        })  # fmt: skip

    @dg.asset(
        key=[schema, "users"], partitions_def=DAILY,
        metadata={"write_mode": "merge", "partition_column": "modified_at", "primary_key": ["user_id"],
                  "version_column": "modified_at"},
    )  # fmt: skip
    def users(context: dg.AssetExecutionContext) -> pa.Table:
        start = context.partition_time_window.start
        return pa.table({"user_id": [1, 2], "modified_at": pa.array([start, start], pa.timestamp("us", "UTC"))})

    @dg.asset(key=[schema, "event_counts"], ins={"events": dg.AssetIn(key=[schema, "events"])},
              partitions_def=DAILY, metadata={"write_mode": "replace"})  # fmt: skip
    def event_counts(events: pa.Table) -> pd.DataFrame:
        return pd.DataFrame({"events": [events.num_rows], "first_ts": [min(events.column("ts").to_pylist())]})

    @dg.asset(key=[schema, "all_events"], ins={"events": dg.AssetIn(key=[schema, "events"])})
    def all_events(events: pd.DataFrame) -> None:
        assert isinstance(events, pd.DataFrame)
        assert events["event_id"].is_unique and len(events) == 12  # the three days written above

    return [events, users, event_counts, all_events]


@pytest.fixture
def io_manager(stack_env: dict[str, str]) -> WarehouseIOManager:
    return WarehouseIOManager(warehouse=WarehouseResource(url=dg.EnvVar("PLATFORM_WAREHOUSE_URL")))


@pytest.fixture
def engine(stack_env: dict[str, str]):
    return WarehouseResource(url=stack_env["PLATFORM_WAREHOUSE_URL"]).engine()


def output_metadata(result: dg.ExecuteInProcessResult, key: list[str]) -> dict:
    """The metadata of the asset's materialization (one per partition of a range: all the same)."""
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key)]
    return events[-1].materialization.metadata


def test_materialize_a_partition_and_read_it_back(io_manager: WarehouseIOManager, engine, schema: str) -> None:
    events, _, event_counts, _ = build_assets(schema)
    for _ in range(2):  # a rerun of the day replaces it
        result = dg.materialize([events, event_counts], partition_key="2026-01-02",
                                resources={"io_manager": io_manager})  # fmt: skip
        assert result.success
    metadata = output_metadata(result, [schema, "events"])
    assert metadata["rows"].value == 4 and metadata["table"].value == f"{schema}.events"
    assert metadata["window"].value == "[2026-01-02T00:00:00+00:00, 2026-01-03T00:00:00+00:00)"
    assert "event_id" in metadata["preview"].value and metadata["seconds"].value >= 0
    stored = engine.read(schema, "events")
    assert stored.num_rows == 4 and stored.column("attrs")[1].as_py() == '{"hour": 6}'
    counts = engine.read(schema, "event_counts").to_pylist()
    assert counts == [{"events": 4, "first_ts": datetime(2026, 1, 2, tzinfo=UTC)}]


def test_single_run_backfill_writes_the_whole_range(io_manager: WarehouseIOManager, engine, schema: str) -> None:
    events, *_ , all_events = build_assets(schema)
    defs = dg.Definitions(assets=[events, all_events], resources={"io_manager": io_manager})
    job = defs.resolve_implicit_global_asset_job_def()
    tags = {"dagster/asset_partition_range_start": "2026-01-01", "dagster/asset_partition_range_end": "2026-01-03"}
    result = job.execute_in_process(tags=tags, asset_selection=[dg.AssetKey([schema, "events"])])
    assert result.success
    assert len(result.get_asset_materialization_events()) == 3  # one per day of the range
    window = output_metadata(result, [schema, "events"])["window"].value
    assert window == "[2026-01-01T00:00:00+00:00, 2026-01-04T00:00:00+00:00)"
    assert engine.read(schema, "events").num_rows == 12
    assert dg.materialize([events, all_events], resources={"io_manager": io_manager},
                          selection=[dg.AssetKey([schema, "all_events"])]).success  # fmt: skip


def test_merge_partition_refuses_rows_outside_its_window(io_manager: WarehouseIOManager, engine, schema: str) -> None:
    _, users, _, _ = build_assets(schema)
    assert dg.materialize([users], partition_key="2026-01-03", resources={"io_manager": io_manager}).success
    rows = engine.read(schema, "users").num_rows
    assert rows == 2

    @dg.asset(key=[schema, "users"], partitions_def=DAILY, metadata=users.metadata_by_key[users.key])
    def late_users() -> pa.Table:
        return pa.table({"user_id": [3], "modified_at": pa.array([datetime(2026, 1, 9, tzinfo=UTC)])})

    with pytest.raises(ValueError, match="outside the window"):
        dg.materialize([late_users], partition_key="2026-01-03", resources={"io_manager": io_manager})
