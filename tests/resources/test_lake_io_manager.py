"""LakeIOManager through real runs (`materialize`) on a local folder and on the S3-compatible server."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest
from dagster_aws.s3 import S3Resource

from data_platform.resources.lake.io_manager import LakeIOManager
from data_platform.resources.lake.resource import LakeResource

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-08")
SEEN: dict[str, object] = {}


class Version(dg.Config):
    """Which content the test asset writes: a number stamped on every row, or a broken frame."""

    version: int = 1
    broken: bool = False


@dg.asset(
    key=["lake", "events"],
    partitions_def=DAILY,
    metadata={"partition_column": "ts"},
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def events(context: dg.AssetExecutionContext, config: Version) -> pd.DataFrame:
    """Two events per day of the run's window, the second at 23:30 UTC, skipping 2026-01-05."""
    window = context.partition_time_window
    days = pd.date_range(window.start, window.end, freq="D", inclusive="left")
    days = [d for d in days if d.date().isoformat() != "2026-01-05"]
    if config.broken:
        # Mixed ints and text in one column: the conversion to Arrow fails.
        return pd.DataFrame({"ts": [days[0]] * 2, "version": [1, "not a number"], "n": [0, 1]})
    stamps = [t for d in days for t in (d, d + timedelta(hours=23, minutes=30))]
    return pd.DataFrame({"ts": stamps, "version": config.version, "n": range(len(stamps))})


def next_day_events(**metadata: object) -> dict[str, dg.AssetIn]:
    """The input `events`: days D and D+1 of `lake/events`."""
    mapping = dg.TimeWindowPartitionMapping(start_offset=0, end_offset=1)
    return {"events": dg.AssetIn(key=["lake", "events"], partition_mapping=mapping, metadata=metadata or None)}


@dg.asset(partitions_def=DAILY, ins=next_day_events())
def next_day_window(events: pa.Table) -> None:
    """Reads D and D+1 of the events, as Arrow."""
    SEEN["window"] = events


@dg.asset(partitions_def=DAILY, ins=next_day_events(allow_missing_partitions=True))
def tolerant_window(events: pd.DataFrame) -> None:
    """Reads D and D+1 of the events as pandas, skipping days never written."""
    SEEN["tolerant"] = events


@dg.asset(ins={"events": dg.AssetIn(key=["lake", "events"])})
def all_events(events: pd.DataFrame) -> None:
    """An unpartitioned reader: every written day."""
    SEEN["all"] = events


def run(lake: LakeResource, selection: list, **kwargs) -> dg.ExecuteInProcessResult:
    assets = [events, next_day_window, tolerant_window, all_events]
    resources = {"io_manager": LakeIOManager(lake=lake)}
    return dg.materialize(assets, selection=selection, resources=resources, **kwargs)


def write_day(
    lake: LakeResource, day: str, version: int = 1, **kwargs
) -> dg.ExecuteInProcessResult:
    config = {"ops": {"lake__events": {"config": {"version": version}}}}
    return run(lake, [events], partition_key=day, run_config=config, **kwargs)


def day_file(day: str) -> str:
    return f"raw/events/date={day}/part-00000.parquet"


def test_partition_round_trip_and_metadata(lake: LakeResource) -> None:
    result = write_day(lake, "2026-01-02")
    metadata = result.asset_materializations_for_node("lake__events")[0].metadata
    assert metadata["rows"].value == 2 and metadata["bytes"].value > 0
    assert metadata["path"].value == lake.uri(day_file("2026-01-02"))
    assert metadata["partition"].value == "2026-01-02"
    table = lake.read_parquet(day_file("2026-01-02"))
    assert table.column("n").to_pylist() == [0, 1]
    assert {t.date().isoformat() for t in table.column("ts").to_pylist()} == {"2026-01-02"}


def test_rerun_replaces_the_partition(lake: LakeResource) -> None:
    write_day(lake, "2026-01-02", version=1)
    write_day(lake, "2026-01-02", version=2)
    assert lake.read_parquet(day_file("2026-01-02")).column("version").to_pylist() == [2, 2]
    assert lake.list_files("raw/events") == [day_file("2026-01-02")]


def test_failed_write_leaves_the_old_partition(lake: LakeResource) -> None:
    write_day(lake, "2026-01-02", version=7)
    before = lake.read_parquet(day_file("2026-01-02"))
    broken = {"ops": {"lake__events": {"config": {"broken": True}}}}
    result = run(
        lake, [events], partition_key="2026-01-02", run_config=broken, raise_on_error=False
    )
    assert not result.success
    assert lake.read_parquet(day_file("2026-01-02")).equals(before)
    assert lake.list_files("raw/events") == [day_file("2026-01-02")]


def test_window_of_partitions_loads_d_and_d_plus_one(lake: LakeResource) -> None:
    write_day(lake, "2026-01-02", version=1)
    write_day(lake, "2026-01-03", version=2)
    run(lake, [next_day_window], partition_key="2026-01-02")
    window = SEEN.pop("window")
    assert isinstance(window, pa.Table)
    assert window.column("version").to_pylist() == [1, 1, 2, 2]


def test_missing_partition_errors_unless_allowed(lake: LakeResource) -> None:
    write_day(lake, "2026-01-03")
    with pytest.raises(
        FileNotFoundError, match=r"partition 2026-01-04 of lake/events .*date=2026-01-04"
    ):
        run(lake, [next_day_window], partition_key="2026-01-03")
    instance = dg.DagsterInstance.ephemeral()
    result = run(lake, [tolerant_window], partition_key="2026-01-03", instance=instance)
    tolerant = SEEN.pop("tolerant")
    assert isinstance(tolerant, pd.DataFrame) and len(tolerant) == 2
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("skipped missing partitions of lake/events: ['2026-01-04']" in m for m in messages)


def test_partition_range_in_one_run_writes_each_day(lake: LakeResource, s3_endpoint: str) -> None:
    tags = {
        "dagster/asset_partition_range_start": "2026-01-03",
        "dagster/asset_partition_range_end": "2026-01-06",
    }
    result = run(lake, [events], tags=tags)
    metadata = result.asset_materializations_for_node("lake__events")[0].metadata
    assert metadata["rows"].value == 6 and metadata["partition_count"].value == 4
    assert metadata["rows_by_partition"].value == {
        "2026-01-03": 2,
        "2026-01-04": 2,
        "2026-01-05": 0,
        "2026-01-06": 2,
    }
    days = ["2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06"]
    assert lake.list_files("raw/events") == [day_file(d) for d in days]
    # The empty day is materialized: a file with the schema and no rows.
    empty = lake.read_parquet(day_file("2026-01-05"))
    assert empty.num_rows == 0 and empty.schema.names == ["ts", "version", "n"]
    run(lake, [all_events])
    assert len(SEEN.pop("all")) == 6
    if lake.url.startswith("s3://"):
        prefix = lake.url.removeprefix("s3://lake/") + "/raw/events/"
        client = S3Resource(endpoint_url=s3_endpoint).get_client()
        listed = client.list_objects_v2(Bucket="lake", Prefix=prefix)["Contents"]
        assert sorted(o["Key"].removeprefix(prefix) for o in listed) == [
            f"date={d}/part-00000.parquet" for d in days
        ]


def test_range_rows_outside_the_range_are_refused(tmp_path: Path) -> None:
    manager = LakeIOManager(lake=LakeResource(url=tmp_path.as_uri()))
    late = pa.table({"ts": [datetime(2026, 1, 9, tzinfo=UTC)]})
    context = dg.build_output_context(
        asset_key=["lake", "events"],
        asset_partitions_def=DAILY,
        asset_partition_key_range=dg.PartitionKeyRange("2026-01-02", "2026-01-03"),
        definition_metadata={"partition_column": "ts"},
    )
    with pytest.raises(
        ValueError, match="1 rows have a 'ts' outside partitions 2026-01-02..2026-01-03"
    ):
        manager.handle_output(context, late)
    assert not (tmp_path / "raw").exists()


def test_unpartitioned_asset_of_another_key_shape(tmp_path: Path) -> None:
    manager = LakeIOManager(lake=LakeResource(url=tmp_path.as_uri()))
    frame = pd.DataFrame({"user_id": [3, 1]}, index=[10, 11])
    manager.handle_output(dg.build_output_context(asset_key=["raw", "users"]), frame)
    assert (tmp_path / "raw/users/part-00000.parquet").exists()
    loaded = manager.load_input(dg.build_input_context(asset_key=["raw", "users"]))
    assert list(loaded.columns) == ["user_id"] and loaded["user_id"].tolist() == [3, 1]


def test_nested_lake_resource_from_environment_in_definitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_LAKE_URL", tmp_path.as_uri())
    lake = LakeResource(url=dg.EnvVar("TEST_LAKE_URL"))
    defs = dg.Definitions(
        assets=[events], resources={"lake": lake, "io_manager": LakeIOManager(lake=lake)}
    )
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(partition_key="2026-01-04").success
    assert (tmp_path / day_file("2026-01-04")).exists()


def test_relative_lake_path_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute path"):
        LakeResource(url="LAKE_URL").exists("x")
