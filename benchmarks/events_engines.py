"""The clickstream step against plain engines on the same landing files, in one child process.

- `events_vs_minimal_spark`: ours ÷ a minimal Spark job (explicit schema, `DROPMALFORMED`,
  filter the day, `dropDuplicates`, write Parquet), same session, runs interleaved;
- `events_vs_minimal_one_file`: ours ÷ the same minimal job writing what a lake partition
  holds, one file sorted by (ts, event_id), where the minimal job writes a file per task
  (reported, no target);
- `events_vs_duckdb`: ours ÷ the same work in DuckDB (reported, no target);
- events/s of ours on `local[*]` and on a two-worker standalone cluster, side by side.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.child import run_child
from benchmarks.harness import Row, Timing, repeats

SCHEMA = ("event_id string, ts timestamp, user_id bigint, session_id string, event_type string, page string,"
          " channel string, experiments map<string,string>, user_agent string")  # fmt: skip


def run(lake: Path, day: date) -> list[Row]:
    report = run_child("benchmarks.events_engines", {}, {"lake": str(lake), "day": day.isoformat()})
    ours, minimal = Timing(tuple(report["ours"])), Timing(tuple(report["minimal"]))
    one_file = Timing(tuple(report["minimal_one_file"]))
    duckdb, cluster = Timing(tuple(report["duckdb"])), Timing(tuple(report["cluster"]))
    events = report["events"]
    return [
        Row("events_vs_minimal_spark", f"{events:,} events, local[*]", ours, minimal, "minimal Spark job"),
        Row("events_vs_minimal_one_file", "clickstream step, local[*]", ours, one_file, "minimal job, one sorted file"),
        Row("events_vs_duckdb", "clickstream step, local[*]", ours, duckdb, "DuckDB, one process"),
        Row("events_per_second_local", "clickstream step, local[*]", ours, value=events / ours.median,
            unit=" ev/s"),
        Row("events_per_second_cluster", "clickstream step, 2 workers", cluster, value=events / cluster.median,
            unit=" ev/s"),
    ]  # fmt: skip


def _session(master: str):
    from data_platform.resources.spark import spark_config, spark_session

    extra = {} if master.startswith("local") else {"spark.executor.memory": "512m", "spark.driver.host": "127.0.0.1",
                                                   "spark.driver.bindAddress": "127.0.0.1"}  # fmt: skip
    return spark_session({**spark_config(master), **extra})


def _files(lake: Path, day: date) -> list[list[str]]:
    folder = lake / "landing" / "clickstream"
    return [[f"file://{p}" for p in sorted((folder / f"date={d}").glob("*.jsonl.gz"))]
            for d in (day, date.fromordinal(day.toordinal() + 1))]  # fmt: skip


def _ours(spark, day: date, files: list[list[str]], out: Path) -> tuple[float, int]:
    from data_platform.assets.raw.clickstream.job import DayTargets, process_clickstream

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    result = process_clickstream(spark, day, *files, DayTargets(f"file://{out}/e", f"file://{out}/q"))
    return time.perf_counter() - started, result.counts["events_written"]


def _minimal(spark, day: date, files: list[list[str]], out: Path, one_file: bool = False) -> float:
    """The minimal job; `one_file`: its events as one file sorted like a lake partition's
    (one object per partition is what lets a rerun replace the partition atomically)."""
    from pyspark.sql import functions as F

    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    frame = spark.read.schema(SCHEMA).option("mode", "DROPMALFORMED").json(files[0] + files[1])
    events = frame.where(F.to_date("ts") == F.lit(day)).dropDuplicates(["event_id"])
    if one_file:
        events = events.repartition(1).sortWithinPartitions("ts", "event_id")
    events.write.parquet(f"file://{out}")
    return time.perf_counter() - started


def _duckdb(day: date, files: list[list[str]], out: Path) -> float:
    import duckdb

    paths = [f.removeprefix("file://") for f in files[0] + files[1]]
    started = time.perf_counter()
    # Paths and the day come from this benchmark's own scratch lake, not from input.
    duckdb.sql(f"""
        COPY (SELECT DISTINCT ON (event_id) * FROM read_json({paths!r}, ignore_errors = true, format = 'newline_delimited',
              columns = {{event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', user_id: 'BIGINT', session_id: 'VARCHAR',
                         event_type: 'VARCHAR', page: 'VARCHAR', channel: 'VARCHAR', experiments: 'JSON',
                         user_agent: 'VARCHAR'}})
              WHERE CAST(ts AT TIME ZONE 'UTC' AS DATE) = DATE '{day}')
        TO '{out}.parquet' (FORMAT PARQUET)""")  # noqa: S608
    return time.perf_counter() - started


def child(lake: str, day: str) -> dict:
    from data_platform.local.spark_cluster import standalone_cluster

    the_day, files = date.fromisoformat(day), _files(Path(lake), date.fromisoformat(day))
    report: dict = {"ours": [], "minimal": [], "minimal_one_file": [], "duckdb": [], "cluster": []}
    with tempfile.TemporaryDirectory(prefix="bench-events-") as scratch:
        out = Path(scratch)
        spark = _session("local[*]")
        _ours(spark, the_day, files, out / "warm")  # the first job pays for JIT and class loading
        for _ in range(repeats()):
            report["minimal"].append(_minimal(spark, the_day, files, out / "minimal"))
            report["minimal_one_file"].append(_minimal(spark, the_day, files, out / "minimal-one-file", one_file=True))
            seconds, report["events"] = _ours(spark, the_day, files, out / "ours")
            report["ours"].append(seconds)
            report["duckdb"].append(_duckdb(the_day, files, out / "duckdb"))
            print(json.dumps(report), file=sys.stderr, flush=True)  # progress, in the child's log
        spark.stop()
        with standalone_cluster(out / "cluster", workers=2) as master:
            spark = _session(master)
            _ours(spark, the_day, files, out / "warm-cluster")
            report["cluster"] = [_ours(spark, the_day, files, out / "ours-cluster")[0] for _ in range(repeats())]
            spark.stop()
    return report


if __name__ == "__main__":
    print(json.dumps(child(**json.loads(sys.argv[1]))))
