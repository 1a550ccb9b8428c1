"""The class-data archive the Spark JVMs start from: the driver's, and on this installation
a standalone cluster's master, workers and executors.

A new step process starts a new JVM, which loads and verifies some ten thousand Spark, Hadoop
and Parquet classes from jars before the first task runs. HotSpot's class-data sharing
(dynamic CDS, Java 13+) keeps those classes parsed and verified in an archive file that later
JVMs map into memory: `data-platform spark-classes` (run by `make install`) writes it from a
real clickstream run (`data_platform.local.spark_classes`).

A JVM of another build, or a Spark of another classpath, ignores the archive and loads from
the jars as before; only a truncated file would crash the JVM, which is why an archive is
published by a rename, after a JVM has mapped it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyspark

# An archive is named by the Spark release whose jars it holds.
ARCHIVE_NAME = "spark-{release}-classes.jsa"


def archive_path() -> Path:
    """Where this installation keeps the archive of its Spark release: inside the Python environment."""
    return Path(sys.prefix) / "share" / "data-platform" / ARCHIVE_NAME.format(release=pyspark.__version__)


def archive_options(path: Path | None = None) -> list[str]:
    """A JVM's options to map the archive at `path` (default `archive_path()`);
    none when there is no archive. The JVM's messages about an unusable archive are off:
    such a JVM simply loads its classes from the jars."""
    path = path or archive_path()
    if not path.is_file():
        return []
    return [f'"-XX:SharedArchiveFile={path}"', "-Xshare:auto", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
