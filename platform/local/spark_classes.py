"""Write the Spark driver's class-data archive (resources/spark_classes.py) from a real run.

`build_archive` runs two fresh processes: a training one, whose JVM runs the clickstream
step on two small simulated landing folders and writes the classes it loaded when it exits
(`-XX:ArchiveClassesAtExit`), and a check, whose JVM must map the new file. Only then is
the file renamed into place, so a reader never maps a partial archive.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from data_platform.resources.spark import spark_config, spark_session
from data_platform.resources.spark_classes import ARCHIVE_NAME, archive_options

DAY = date(2026, 1, 1)
SCALE = 0.05  # a few hundred events a day: every stage of the step runs, in seconds
MAPPED, NOT_MAPPED = "archive mapped", "archive not mapped"


def _session(java_options: list[str]):
    return spark_session(spark_config("local[2]", java_options))


def _stop(spark) -> None:
    """Stop the session and wait for its JVM to exit: the archive is written on the way out."""
    from pyspark import SparkContext

    process = SparkContext._gateway.proc
    spark.stop()
    process.stdin.close()  # the gateway JVM exits when its stdin closes
    if process.wait(timeout=300) != 0:
        raise RuntimeError(f"the JVM exited with {process.returncode}")


def train(archive: str) -> None:
    """One clickstream run in a JVM that writes the classes it loaded to `archive` at exit."""
    from data_platform.assets.raw.clickstream.job import DayTargets, process_clickstream
    from data_platform.simulator.clickstream import PREFIX, ClickstreamWriter
    from data_platform.simulator.delivery import carry_of, deliver_day

    with tempfile.TemporaryDirectory(prefix="spark-classes-") as scratch:
        lake = Path(scratch)
        writer, arriving = ClickstreamWriter(lake.as_uri()), carry_of(7, SCALE, DAY - timedelta(days=1))
        days = (DAY, DAY + timedelta(days=1))
        for day in days:
            arriving = deliver_day(writer, 7, SCALE, day, arriving).carry
        files = [[f"file://{p}" for p in sorted((lake / PREFIX / f"date={d}").glob("*.jsonl.gz"))] for d in days]
        # An archive is written from a JVM that maps none but the JDK's own.
        spark = _session([f'"-XX:ArchiveClassesAtExit={archive}"'])
        targets = DayTargets((lake / "out" / "events").as_uri(), (lake / "out" / "quarantine").as_uri())
        process_clickstream(spark, DAY, *files, targets)
        _stop(spark)


def check(archive: str) -> None:
    """Print whether a JVM started with `archive` maps it (it starts either way)."""
    spark = _session(archive_options(Path(archive)))
    jvm = spark._jvm
    bean = jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    mapped = jvm.java.lang.management.ManagementFactory.getPlatformMXBean(bean).getVMOption("UseSharedSpaces")
    in_use = mapped.getValue() == "true"
    _stop(spark)
    print(MAPPED if in_use else NOT_MAPPED)


def archive_in_use(archive: Path) -> bool:
    """Whether a new driver JVM maps `archive` (a fresh process: a JVM's options are fixed at
    start). Raises if that JVM does not start at all."""
    run = subprocess.run([sys.executable, "-m", __name__, "check", str(archive)], capture_output=True, text=True,
                         timeout=600)  # fmt: skip
    answer = run.stdout.strip().splitlines()[-1:] if run.returncode == 0 else []
    if answer not in ([MAPPED], [NOT_MAPPED]):
        raise RuntimeError(f"a JVM given {archive} did not start (exit {run.returncode}):\n{run.stderr[-3000:]}")
    return answer == [MAPPED]


def build_archive(path: Path) -> Path:
    """Write the archive at `path`, replacing the one there only once the new one is checked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        training = subprocess.run([sys.executable, "-m", __name__, "train", str(staged)], capture_output=True,
                                  text=True, timeout=900)  # fmt: skip
        if training.returncode != 0 or not staged.is_file():
            raise RuntimeError(f"the training run wrote no archive:\n{training.stderr[-3000:]}")
        if not archive_in_use(staged):
            raise RuntimeError(f"a new JVM does not map the archive written at {staged}")
        publish(staged, path)
    finally:
        staged.unlink(missing_ok=True)
    return path


def publish(staged: Path, path: Path) -> None:
    """Rename the checked archive onto `path`, then delete the archives of other Spark releases
    beside it: after an upgrade no driver of this environment maps them any more, and each
    holds some 180 MiB."""
    os.replace(staged, path)
    for other in path.parent.glob(ARCHIVE_NAME.format(release="*")):
        if other != path:
            other.unlink(missing_ok=True)


if __name__ == "__main__":
    {"train": train, "check": check}[sys.argv[1]](sys.argv[2])
