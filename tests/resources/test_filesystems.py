from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_platform.resources.lake.filesystems import open_filesystem


def test_local_folder(tmp_path: Path) -> None:
    filesystem, base = open_filesystem(tmp_path.as_uri())
    pq.write_table(pa.table({"a": [1]}), f"{base}/x.parquet", filesystem=filesystem)
    assert (tmp_path / "x.parquet").exists()


def test_s3_compatible_server(s3_endpoint: str) -> None:
    filesystem, base = open_filesystem("s3://lake/prefix", s3_endpoint)
    assert base == "lake/prefix"
    pq.write_table(pa.table({"a": [1, 2]}), f"{base}/x.parquet", filesystem=filesystem)
    assert pq.read_table(f"{base}/x.parquet", filesystem=filesystem).num_rows == 2


def test_unknown_scheme_is_clear() -> None:
    with pytest.raises(ValueError, match="unsupported lake URL scheme 'ftp'"):
        open_filesystem("ftp://host/x")
