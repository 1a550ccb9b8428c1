"""LakeResource on a local folder and on the S3-compatible server: the same behaviour on both."""

from __future__ import annotations

from pathlib import Path

import boto3
import pyarrow as pa
import pytest

from data_platform.resources.lake.resource import LakeResource


def stored_names(lake: LakeResource) -> list[str]:
    """Every object really stored under the lake root, hidden temporary files included."""
    filesystem, base = lake.get_filesystem()
    if lake.url.startswith("s3://"):
        client = boto3.client("s3", endpoint_url=lake.s3_endpoint_url)
        prefix = base.split("/", 1)[1] + "/"
        listed = client.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", [])
        return sorted(item["Key"][len(prefix) :] for item in listed)
    return sorted(p.relative_to(base).as_posix() for p in Path(base).rglob("*") if p.is_file())


def test_parquet_round_trip_and_write_info(lake: LakeResource) -> None:
    table = pa.table({"id": [1, 2, 3], "name": ["a", "b", "c"]})
    info = lake.write_parquet("raw/t/part-00000.parquet", table)
    assert info.rows == 3 and info.bytes > 0
    assert info.path == lake.uri("raw/t/part-00000.parquet")
    assert info.path.startswith("s3://lake/" if lake.url.startswith("s3") else "file:///")
    assert lake.read_parquet("raw/t/part-00000.parquet").equals(table)


def test_rewrite_replaces_the_file(lake: LakeResource) -> None:
    lake.write_parquet("raw/t/part-00000.parquet", pa.table({"id": [1, 2, 3]}))
    lake.write_parquet("raw/t/part-00000.parquet", pa.table({"id": [9]}))
    assert lake.read_parquet("raw/t/part-00000.parquet").column("id").to_pylist() == [9]
    assert stored_names(lake) == ["raw/t/part-00000.parquet"]


def test_failed_write_keeps_the_old_file_and_leaves_no_trace(lake: LakeResource) -> None:
    old = pa.table({"id": [1, 2]})
    lake.write_parquet("raw/t/part-00000.parquet", old)
    # Parquet has no interval type: the writer fails after it has started on the file.
    unwritable = pa.table({"span": pa.array([(1, 2, 3)], pa.month_day_nano_interval())})
    with pytest.raises(pa.ArrowNotImplementedError):
        lake.write_parquet("raw/t/part-00000.parquet", unwritable)
    assert lake.read_parquet("raw/t/part-00000.parquet").equals(old)
    assert stored_names(lake) == ["raw/t/part-00000.parquet"]


def test_bytes_listing_exists_download_and_delete(lake: LakeResource, tmp_path: Path) -> None:
    lake.write_bytes("quarantine/x/date=2026-01-02/bad.jsonl", b'{"cut"\n')
    lake.write_bytes("quarantine/x/date=2026-01-01/bad.jsonl", b"one\n")
    lake.write_bytes("quarantine/x/date=2026-01-01/reason.txt", b"why")
    assert lake.list_files("quarantine/x", ".jsonl") == [
        "quarantine/x/date=2026-01-01/bad.jsonl",
        "quarantine/x/date=2026-01-02/bad.jsonl",
    ]
    assert lake.list_files("nothing/here") == []
    assert lake.exists("quarantine/x/date=2026-01-01/reason.txt")
    copy = lake.download("quarantine/x/date=2026-01-02/bad.jsonl", tmp_path / "dl" / "bad.jsonl")
    assert copy.read_bytes() == b'{"cut"\n' and sorted(p.name for p in copy.parent.iterdir()) == [
        "bad.jsonl"
    ]
    lake.delete_prefix("quarantine/x/date=2026-01-01")
    lake.delete_prefix("quarantine/never")
    assert lake.list_files("quarantine") == ["quarantine/x/date=2026-01-02/bad.jsonl"]
    assert not lake.exists("quarantine/x/date=2026-01-01/bad.jsonl")


def test_missing_file_names_its_uri(lake: LakeResource) -> None:
    with pytest.raises(FileNotFoundError, match=r"raw/absent/part-00000\.parquet"):
        lake.read_parquet("raw/absent/part-00000.parquet")


def test_list_files_after_a_cursor(tmp_path, s3_endpoint: str) -> None:
    from data_platform.resources.lake.resource import LakeResource

    for lake in (LakeResource(url=tmp_path.as_uri()), LakeResource(url="s3://lake/cursor-test", s3_endpoint_url=s3_endpoint)):
        for name in ("date=2026-01-01/a.gz", "date=2026-01-01/b.gz", "date=2026-01-02/a.gz", "date=2026-01-02/x.txt"):
            lake.write_bytes(f"landing/{name}", b"x")
        everything = lake.list_files_after("landing", suffix=".gz")
        assert everything == ["landing/date=2026-01-01/a.gz", "landing/date=2026-01-01/b.gz", "landing/date=2026-01-02/a.gz"]
        assert lake.list_files_after("landing", after=everything[1], suffix=".gz") == everything[2:]
        assert lake.list_files_after("landing", after=everything[2], suffix=".gz") == []
