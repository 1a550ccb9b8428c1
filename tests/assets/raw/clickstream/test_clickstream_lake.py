"""Staging and publishing a day's Spark output in the lake: only finished writes are published,
stale prefixes of killed runs are removed, and Spark gets lake URIs."""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_platform.assets.raw.clickstream.lake import (
    STAGING_PREFIX,
    day_staging,
    remove_stale,
    spark_uri,
)
from data_platform.resources.lake.resource import LakeResource

DAY = date(2026, 1, 10)


def spark_write(folder: Path, rows: int, finished: bool = True) -> None:
    """What Spark leaves in a target folder: one part file, its checksum, and `_SUCCESS` at the end."""
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"n": list(range(rows))}), folder / "part-00000-1f2e-c000.snappy.parquet")
    (folder / ".part-00000-1f2e-c000.snappy.parquet.crc").write_bytes(b"crc")
    if finished:
        (folder / "_SUCCESS").write_bytes(b"")


def test_a_finished_write_is_published_and_its_staging_removed(tmp_path: Path) -> None:
    lake = LakeResource(url=tmp_path.as_uri())
    with day_staging(lake, DAY) as staging:
        assert staging.targets.events == f"file://{tmp_path}/{staging.prefix}/events"
        spark_write(tmp_path / staging.prefix / "events", rows=3)
        info = staging.publish("events", "raw/events/date=2026-01-10/part-00000.parquet")
    assert (info.rows, info.path) == (3, f"file://{tmp_path}/raw/events/date=2026-01-10/part-00000.parquet")
    assert pq.read_table(tmp_path / "raw/events/date=2026-01-10/part-00000.parquet").num_rows == 3
    assert list((tmp_path / STAGING_PREFIX / f"date={DAY}").iterdir()) == []


def test_an_unfinished_write_is_never_published(tmp_path: Path) -> None:
    lake = LakeResource(url=tmp_path.as_uri())
    old = tmp_path / "raw/events/date=2026-01-10/part-00000.parquet"
    old.parent.mkdir(parents=True)
    pq.write_table(pa.table({"n": [1]}), old)
    with pytest.raises(RuntimeError, match="did not finish"), day_staging(lake, DAY) as staging:
        spark_write(tmp_path / staging.prefix / "events", rows=5, finished=False)
        staging.publish("events", "raw/events/date=2026-01-10/part-00000.parquet")
    assert pq.read_table(old).num_rows == 1


def test_stale_prefixes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    lake = LakeResource(url=tmp_path.as_uri())
    day_prefix = f"{STAGING_PREFIX}/date={DAY}"
    spark_write(tmp_path / day_prefix / "killed" / "events", rows=2, finished=False)
    spark_write(tmp_path / day_prefix / "live" / "events", rows=2, finished=False)
    a_day_ago = time.time() - 86_400
    for path in (tmp_path / day_prefix / "killed").rglob("*"):
        os.utime(path, (a_day_ago, a_day_ago))
    assert remove_stale(lake, day_prefix) == ["killed"]
    assert sorted(p.name for p in (tmp_path / day_prefix).iterdir()) == ["live"]


def test_spark_gets_s3a_uris_for_an_s3_lake() -> None:
    lake = LakeResource(url="s3://bucket/prefix", s3_endpoint_url="http://127.0.0.1:1")
    assert spark_uri(lake, "landing/clickstream/date=2026-01-10/a.jsonl.gz") == (
        "s3a://bucket/prefix/landing/clickstream/date=2026-01-10/a.jsonl.gz"
    )


def test_an_s3_lake_configures_s3a_and_a_local_lake_nothing() -> None:
    from data_platform.resources.spark import HADOOP_AWS, lake_settings

    assert lake_settings("file:///data/lake", None) == {}
    settings = lake_settings("s3://bucket/prefix", "http://127.0.0.1:9000")
    assert settings["spark.jars.packages"] == HADOOP_AWS
    assert settings["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert settings["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert "spark.jars.packages" not in lake_settings("s3://bucket/prefix", None, packages="")
