"""The lake IO manager against `pyarrow.parquet.write_table`, and against dagster-aws's pickles.

Ours writes one partition's Parquet file atomically (temporary file, then rename). The
baseline writes the same table to the same kind of disk with pyarrow alone. The pickle
comparison stores the same data on an S3 server through both IO managers.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_aws.s3 import S3PickleIOManager, S3Resource

from benchmarks.data import DAY
from benchmarks.harness import Row, measure
from data_platform.resources.lake.io_manager import LakeIOManager
from data_platform.resources.lake.resource import PARQUET_OPTIONS, LakeResource

ASSET_KEY = ["lake", "order_lines"]
PARTITIONS = dg.DailyPartitionsDefinition(start_date=DAY.isoformat())


def _context() -> dg.OutputContext:
    return dg.build_output_context(asset_key=ASSET_KEY, partition_key=DAY.isoformat(),
                                   asset_partitions_def=PARTITIONS)  # fmt: skip


def _input_context() -> dg.InputContext:
    return dg.build_input_context(asset_key=dg.AssetKey(ASSET_KEY), partition_key=DAY.isoformat(),
                                  asset_partitions_def=PARTITIONS, dagster_type=dg.DagsterType(
                                      lambda _, v: True, "Table", typing_type=pa.Table))  # fmt: skip


def bench_vs_pyarrow(lake: Path, data: pa.Table) -> Row:
    manager = LakeIOManager(lake=LakeResource(url=lake.as_uri()))
    target = lake / "baseline.parquet"
    ours = measure(lambda context: manager.handle_output(context, data), _context)
    baseline = measure(lambda: pq.write_table(data, target, **PARQUET_OPTIONS))
    return Row("lake_vs_pyarrow", f"lake IO manager, {len(data):,} rows", ours, baseline,
               f"pq.write_table, {len(data):,}")  # fmt: skip


def compare_with_pickle(s3_endpoint: str, data: pa.Table) -> dict[str, dict[str, float]]:
    """Write and read seconds (medians) and stored bytes of the same table through both managers."""
    ours = LakeIOManager(lake=LakeResource(url="s3://lake/parquet", s3_endpoint_url=s3_endpoint))
    pickles = S3PickleIOManager(s3_resource=S3Resource(endpoint_url=s3_endpoint),
                                s3_bucket="lake", s3_prefix="pickle")  # fmt: skip
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    results = {}
    for name, manager, prefix in (("lake Parquet", ours, "parquet/"), ("S3 pickle", pickles, "pickle/")):
        write = measure(lambda context, m=manager: m.handle_output(context, data), _context)
        read = measure(lambda context, m=manager: m.load_input(context), _input_context)
        listed = s3.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", [])
        results[name] = {"write_s": write.median, "read_s": read.median,
                         "bytes": sum(item["Size"] for item in listed)}  # fmt: skip
    return results


def pickle_table(results: dict[str, dict[str, float]]) -> str:
    lines = [f"{'same table on S3 (moto)':24} {'write s':>9} {'read s':>9} {'stored MB':>10}"]
    for name, r in results.items():
        lines.append(f"{name:24} {r['write_s']:9.3f} {r['read_s']:9.3f} {r['bytes'] / 1e6:10.1f}")
    return "\n".join(lines)
