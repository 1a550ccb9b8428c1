"""The Spark driver's class-data archive: written from a real clickstream run, published only
once a new JVM maps it, mapped by the drivers of this installation, and harmless when a JVM
cannot use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_platform.local.spark_classes import archive_in_use, build_archive
from data_platform.resources.spark_classes import archive_options, archive_path


@pytest.mark.slow
def test_an_archive_is_written_from_a_run_and_published_once_a_new_driver_maps_it(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "classes.jsa")  # raises unless a new JVM maps it
    assert archive.stat().st_size > 50 << 20  # Spark's, Hadoop's and Parquet's classes, parsed
    assert [p.name for p in tmp_path.iterdir()] == ["classes.jsa"]  # nothing staged is left


def test_the_installation_has_an_archive_its_drivers_map() -> None:
    """`make install` writes it (`data-platform spark-classes`)."""
    assert archive_in_use(archive_path())


def test_a_jvm_that_cannot_use_an_archive_starts_without_it(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.jsa"
    foreign.write_bytes(b"an archive of another JVM build")
    assert archive_in_use(foreign) is False


def test_the_driver_is_given_an_archive_only_where_one_exists(tmp_path: Path) -> None:
    archive = tmp_path / "classes.jsa"
    assert archive_options(archive) == []
    archive.write_bytes(b"")
    assert f'"-XX:SharedArchiveFile={archive}"' in archive_options(archive)
