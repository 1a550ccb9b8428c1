"""The Spark session the platform's large conversions run on, configured on purpose.

Sized for the local deployment (2 cores, 24 GiB, about a million clickstream events a day)
and valid for a cluster master as well: only the master URL changes between environments.
"""

from __future__ import annotations

import os
import sys

from dagster import InitResourceContext
from dagster_pyspark import PySparkResource
from pyspark.sql import SparkSession

from data_platform.resources.spark_classes import archive_options

# Event dates and unzoned timestamps are UTC everywhere; a machine's local zone must never leak in.
SESSION_TIME_ZONE = "UTC"


def spark_config(master: str, class_archive: list[str] | None = None) -> dict[str, str]:
    """The Spark settings for `master` (`local[*]`, `local[2]` or a cluster URL).
    `class_archive`: the JVMs' class-data archive options, if not the installation's
    (`archive_options()`)."""
    # Spark generates one Java method per query stage; the clickstream checks make methods
    # past HotSpot's 8,000-byte limit, which it would otherwise never compile (they run
    # interpreted, several times slower). The driver and the executors map the installation's
    # class-data archive, when there is one (spark_classes.py): a new step process's session
    # starts ~3 s sooner, a cluster's first job ~4 s sooner. An executor on a machine without
    # the file (another install path) starts as before.
    archive = archive_options() if class_archive is None else class_archive
    java_options = " ".join(["-XX:-DontCompileHugeMethods", *archive])
    config = {
        "spark.master": master,
        "spark.app.name": "data-platform",
        "spark.sql.session.timeZone": SESSION_TIME_ZONE,
        # A day of events is a few hundred MB: the default 200 shuffle partitions would
        # mostly schedule empty tasks on two cores.
        "spark.sql.shuffle.partitions": "8",
        # In local mode the driver JVM is also the executor: 4 GiB holds a cached day of
        # parsed events with room for shuffles, a sixth of the machine.
        "spark.driver.memory": "4g",
        "spark.executor.memory": "4g",
        # Result sets leave the JVM as Arrow batches; failing loudly beats a slow row-by-row
        # fallback that would blow the Python process's memory.
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        # Readers must never drop a broken file silently; the clickstream step inspects
        # files itself and quarantines what cannot be read.
        "spark.sql.files.ignoreCorruptFiles": "false",
        "spark.sql.files.ignoreMissingFiles": "false",
        # Parquet timestamps as UTC microseconds (the legacy INT96 default is deprecated and
        # read back by Arrow/DuckDB/Redshift with extra conversions).
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": java_options,
        "spark.ui.enabled": "false",
        # Progress bars would interleave with run logs.
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": "WARN",
    }
    if master.startswith("local"):
        # Nothing outside this machine talks to a local driver: listen on loopback only.
        config["spark.driver.bindAddress"] = "127.0.0.1"
        config["spark.driver.host"] = "127.0.0.1"
    return config


# Spark reads and writes an `s3://` lake through Hadoop's s3a filesystem. pyspark bundles
# the Hadoop client but not hadoop-aws: the session fetches it (from Maven Central) when it
# starts. EMR and Databricks runtimes already ship it (see the README).
HADOOP_AWS = "org.apache.hadoop:hadoop-aws:3.5.0"


def lake_settings(lake_url: str, s3_endpoint_url: str | None, packages: str = HADOOP_AWS) -> dict[str, str]:
    """Spark settings for the lake: none for a `file://` lake; s3a for an `s3://` one, with
    credentials from the standard AWS chain (variables, profile, instance role)."""
    if not lake_url.startswith("s3://"):
        return {}
    settings = {
        "spark.hadoop.fs.s3a.aws.credentials.provider":
            "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
    }  # fmt: skip
    if packages:
        settings["spark.jars.packages"] = packages
    if s3_endpoint_url:
        settings |= {"spark.hadoop.fs.s3a.endpoint": s3_endpoint_url, "spark.hadoop.fs.s3a.path.style.access": "true"}
    return settings


def use_this_python() -> None:
    """Let Spark's Python workers run this interpreter unless `PYSPARK_PYTHON` says otherwise.
    Must happen before the session starts: a SparkContext reads it once."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def spark_session(config: dict[str, str]) -> SparkSession:
    """A session with `config` (`spark_config`) outside a Dagster run (tools, benchmarks): its
    Python workers run this interpreter, as the resource's do."""
    use_this_python()
    builder = SparkSession.builder
    for key, value in config.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class PlatformSparkResource(PySparkResource):
    """`PySparkResource` whose Python workers run this interpreter unless told otherwise
    (`PYSPARK_PYTHON`): the clickstream decoder runs in them and needs pyarrow."""

    def setup_for_execution(self, context: InitResourceContext) -> None:
        use_this_python()
        super().setup_for_execution(context)


def spark_resource(master: str, extra: dict[str, str] | None = None) -> PySparkResource:
    """A Spark resource for `master` (from `PLATFORM_SPARK_MASTER`) with the settings above,
    plus `extra` (e.g. the lake's S3 settings from `lake_settings`)."""
    return PlatformSparkResource(spark_config={**spark_config(master), **(extra or {})})
