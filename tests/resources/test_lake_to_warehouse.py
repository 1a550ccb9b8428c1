"""Raw warehouse loads read the lake files the lake asset wrote, where they lie.

PostgreSQL streams them in batches; Redshift COPYs the lake's own S3 objects (checked as a
plan, without a cluster). The files' URIs are the `source` metadata of the warehouse asset.

No `from __future__ import annotations`: Dagster reads asset annotations at definition time.
"""

import uuid
from datetime import UTC, datetime

import dagster as dg
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster._core.types.dagster_type import resolve_dagster_type

from data_platform.assets.partitions import on_calendar
from data_platform.assets.raw.shapes import lake_asset, warehouse_loader
from data_platform.resources.lake.files import LakeFiles
from data_platform.resources.lake.io_manager import LakeIOManager
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.warehouse.io_manager import WarehouseIOManager
from data_platform.resources.warehouse.plan import WriteSpec, plan_partition_write
from data_platform.resources.warehouse.resource import WarehouseResource
from data_platform.resources.warehouse.source import LakeFilesSource
from data_platform.resources.warehouse.sql import REDSHIFT, TableRef

DAILY = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")
DAYS = ["2026-01-01", "2026-01-02", "2026-01-03"]
ROLE = "arn:aws:iam::123456789012:role/copy"


def day_rows(day: str, offset: int = 0, count: int = 4) -> pa.Table:
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return pa.table({
        "probe_id": pa.array([f"{day}-{offset + i}" for i in range(count)]),
        "probe_date": pa.array([start.date()] * count, pa.date32()),
        "ts": pa.array([start.replace(hour=offset + i) for i in range(count)], pa.timestamp("ns", "UTC")),
        "attrs": pa.array([f'{{"n": {offset + i}}}' for i in range(count)]),
    })  # fmt: skip


@lake_asset("probes", metadata={"partition_expr": "probe_date"})
def lake_probes(context: dg.AssetExecutionContext) -> pa.Table:
    """Four rows a day."""
    return pa.concat_tables(day_rows(day) for day in context.partition_keys)


raw_probes = warehouse_loader(
    "probes", "Probes in the warehouse.", {"write_mode": "partition", "partition_expr": "probe_date", "json_columns": ["attrs"]}
)
lake_probes, raw_probes = on_calendar(DAILY, [lake_probes, raw_probes])


@pytest.fixture
def lake(tmp_path) -> LakeResource:
    return LakeResource(url=(tmp_path / "lake").as_uri())


@pytest.fixture
def resources(lake: LakeResource, make_database) -> dict:
    warehouse = WarehouseResource(url=make_database("lake_load"))
    return {"lake_io_manager": LakeIOManager(lake=lake), "warehouse_io_manager": WarehouseIOManager(warehouse=warehouse)}


def materialize_range(assets, resources, first: str, last: str, instance) -> dg.ExecuteInProcessResult:
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    return dg.materialize(assets, resources=resources, tags=tags, instance=instance)


def warehouse_rows(resources: dict) -> list[tuple]:
    with resources["warehouse_io_manager"].warehouse.get_connection() as conn:
        return conn.execute("SELECT probe_id, ts, attrs::text FROM raw.probes ORDER BY 1").fetchall()


def lake_file_rows(paths) -> list[tuple]:
    tables = [pq.read_table(path.removeprefix("file://")) for path in paths]
    table = pa.concat_tables(tables).sort_by("probe_id")
    return [(r["probe_id"], r["ts"], r["attrs"]) for r in table.to_pylist()]


def test_the_load_reads_the_files_the_lake_asset_recorded(resources: dict) -> None:
    result = materialize_range([lake_probes, raw_probes], resources, DAYS[0], DAYS[-1], dg.DagsterInstance.ephemeral())
    assert result.success
    written = result.asset_materializations_for_node(lake_probes.op.name)
    loaded = result.asset_materializations_for_node(raw_probes.op.name)
    assert sorted(m.partition for m in loaded) == DAYS
    lake_paths = written[0].metadata["paths"].value
    assert len(lake_paths) == 3 and all(m.metadata["loaded_from"].value == lake_paths for m in loaded)
    assert warehouse_rows(resources) == lake_file_rows(lake_paths)
    assert len(warehouse_rows(resources)) == 12


def test_spark_style_partitions_load_published_files_only(resources: dict, lake: LakeResource) -> None:
    """Several part files per day load; markers, hidden files and unfinished writes never do."""
    folder = "raw/probes/date=2026-01-02"
    lake.write_parquet(f"{folder}/part-00000-a1.snappy.parquet", day_rows(DAYS[1], 0))
    lake.write_parquet(f"{folder}/part-00001-a1.snappy.parquet", day_rows(DAYS[1], 4))
    lake.write_bytes(f"{folder}/_SUCCESS", b"")
    lake.write_parquet(f"{folder}/_temporary/0/part-00002.snappy.parquet", day_rows(DAYS[1], 8))
    lake.write_parquet(f"{folder}/_stale-part.parquet", day_rows(DAYS[1], 12))
    result = dg.materialize([lake_probes, raw_probes], resources=resources, partition_key=DAYS[1],
                            selection=[raw_probes.key])  # fmt: skip
    assert result.success
    published = [lake.uri(f"{folder}/part-0000{i}-a1.snappy.parquet") for i in (0, 1)]
    assert [row[0] for row in warehouse_rows(resources)] == sorted(f"{DAYS[1]}-{i}" for i in range(8))
    [event] = result.asset_materializations_for_node(raw_probes.op.name)
    assert event.metadata["loaded_from"].value == published


def test_a_missing_lake_partition_is_named(resources: dict, lake: LakeResource) -> None:
    result = dg.materialize([lake_probes, raw_probes], resources=resources, partition_key=DAYS[2], raise_on_error=False,
                            selection=[raw_probes.key])  # fmt: skip
    assert not result.success
    error = result.failure_data_for_node(raw_probes.op.name).error
    message = error.cause.message if error.cause else error.message
    assert "partition 2026-01-03 of lake/probes was never written" in message
    assert lake.uri("raw/probes/date=2026-01-03") in message


def test_lake_files_stream_in_batches(lake: LakeResource) -> None:
    lake.write_parquet("raw/probes/date=2026-01-01/part-00000.parquet", day_rows(DAYS[0], count=10))
    files = LakeFiles((lake.uri("raw/probes/date=2026-01-01/part-00000.parquet"),))
    batches = list(files.tables(["probe_id", "ts"], batch_rows=3))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert batches[0].column_names == ["probe_id", "ts"]
    assert files.num_rows() == 10
    assert files.schema().field("ts").type == pa.timestamp("us", "UTC")  # written Redshift-readable


@pytest.fixture
def s3_lake(s3_endpoint: str) -> LakeResource:
    return LakeResource(url=f"s3://lake/{uuid.uuid4().hex}", s3_endpoint_url=s3_endpoint)


def bucket_keys(lake: LakeResource) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=lake.s3_endpoint_url)
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket="lake").get("Contents", []))


def lake_input(lake: LakeResource, key: str) -> LakeFiles:
    context = dg.build_input_context(
        asset_key=["lake", "probes"], partition_key=key, asset_partitions_def=DAILY,
        dagster_type=resolve_dagster_type(LakeFiles),
    )  # fmt: skip
    return LakeIOManager(lake=lake).load_input(context)


def test_redshift_copies_the_lake_objects_without_staging(s3_lake: LakeResource, stack_env) -> None:
    for offset in (0, 4):
        s3_lake.write_parquet(f"raw/probes/date=2026-01-02/part-0000{offset // 4}.parquet", day_rows(DAYS[1], offset))
    s3_lake.write_bytes("raw/probes/date=2026-01-02/_SUCCESS", b"")
    files = lake_input(s3_lake, DAYS[1])
    assert isinstance(files, LakeFiles) and files.partitions == (DAYS[1],)
    before = bucket_keys(s3_lake)
    source = LakeFilesSource(files, ["attrs"])
    ref = TableRef("raw", "probes")
    with source.s3_objects(ref, staging_url=None, endpoint=s3_lake.s3_endpoint_url) as uris:
        spec = WriteSpec(ref, source.schema, REDSHIFT, ("attrs",), ("probe_id",), True, tuple(uris), ROLE)
        start, end = datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 3, tzinfo=UTC)
        plan = plan_partition_write(spec, "probe_date", start, end)
    assert bucket_keys(s3_lake) == before  # nothing staged, nothing removed
    lake_objects = [s3_lake.uri(f"raw/probes/date=2026-01-02/part-0000{i}.parquet") for i in (0, 1)]
    with psycopg.connect(stack_env["PLATFORM_WAREHOUSE_URL"]) as conn:  # PostgreSQL renders the quoting
        prepare = [step.query.as_string(conn) for step in plan.prepare]
    copies = [step for step in prepare if step.startswith("COPY")]
    assert copies == [
        f"""COPY "probes__incoming" FROM '{uri}' IAM_ROLE '{ROLE}' FORMAT AS PARQUET""" for uri in lake_objects
    ]
    assert source.num_rows == 8


def test_redshift_refuses_lake_files_it_cannot_copy(lake: LakeResource, s3_lake: LakeResource) -> None:
    lake.write_parquet("raw/probes/date=2026-01-01/part-00000.parquet", day_rows(DAYS[0]))
    local = LakeFilesSource(lake_input(lake, DAYS[0]), ["attrs"])
    with pytest.raises(ValueError, match="not on s3://"):
        local.s3_objects(TableRef("raw", "probes"), None, None)
    nanos = day_rows(DAYS[0])
    path = s3_lake.uri("raw/probes/date=2026-01-01/part-00000.parquet").removeprefix("s3://")
    filesystem = s3_lake.get_filesystem()[0]
    pq.write_table(nanos, path, filesystem=filesystem, version="2.6")  # a foreign writer's nanoseconds
    with pytest.raises(ValueError, match="nanosecond timestamps"):
        LakeFilesSource(lake_input(s3_lake, DAYS[0]), ["attrs"]).s3_objects(TableRef("raw", "probes"), None, None)
