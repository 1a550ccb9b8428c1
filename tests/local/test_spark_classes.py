"""The Spark driver's class-data archive: the installation's, written from a real clickstream
run, is mapped by a new driver; an archive a JVM cannot use is harmless."""

from __future__ import annotations

from pathlib import Path

from data_platform.local.spark_classes import archive_in_use, publish
from data_platform.resources.spark_classes import archive_options, archive_path


def test_the_installation_has_an_archive_its_drivers_map() -> None:
    """`make install` writes it from a clickstream run (`data-platform spark-classes`), and
    publishes it only once a new JVM has mapped it: nothing staged is left beside it."""
    archive = archive_path()
    assert archive_in_use(archive)
    assert archive.stat().st_size > 50 << 20  # Spark's, Hadoop's and Parquet's classes, parsed
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]


def test_a_jvm_that_cannot_use_an_archive_starts_without_it(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.jsa"
    foreign.write_bytes(b"an archive of another JVM build")
    assert archive_in_use(foreign) is False


def test_the_driver_is_given_an_archive_only_where_one_exists(tmp_path: Path) -> None:
    archive = tmp_path / "classes.jsa"
    assert archive_options(archive) == []
    archive.write_bytes(b"")
    assert f'"-XX:SharedArchiveFile={archive}"' in archive_options(archive)


def test_a_new_archive_replaces_the_archives_of_other_spark_releases(tmp_path: Path) -> None:
    """After a Spark upgrade the old release's archive is never mapped again: publishing the
    new one removes it, and leaves any other file alone."""
    old, kept = tmp_path / "spark-3.5.1-classes.jsa", tmp_path / "notes.txt"
    old.write_bytes(b"old release")
    kept.write_text("not an archive")
    staged, path = tmp_path / ".spark-4.0.0-classes.jsa.1", tmp_path / "spark-4.0.0-classes.jsa"
    staged.write_bytes(b"new release")
    publish(staged, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "spark-4.0.0-classes.jsa"]
    assert path.read_bytes() == b"new release"
