"""The whole partitioned graph for 30 simulated days at `--scale 1`, through Dagster.

A child process (its own environment pointing at scratch stores) runs the 30 days as
three single-run backfills of 10 days each, oldest first, as an operator catching up would.
Where the time goes, per partition: the Spark events step, the other raw steps (extracts and
warehouse loads), the summary layer (dbt), production, and the run's own time outside its
steps (Dagster's run start and event writes, resource set-up such as the Spark session).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta

import psycopg

from benchmarks.child import run_child
from benchmarks.harness import Row, Timing
from data_platform.simulator.run import SimulationConfig, simulate

START = date(2026, 1, 1)
# Where a partition's time goes: the Spark events step, then each layer's steps; "other" holds
# steps outside the layers (asset checks that run as steps of their own).
PHASES = ("spark", "raw", "summary", "production", "other")


def run(env: dict[str, str], app_db_url: str, lake_uri: str, days: int, chunks: int = 3,
        scale: float = 1) -> Row:
    # One more day: the last partition's late events arrive in the folder after it.
    simulate(SimulationConfig(start=START, days=days + 1, scale=scale), app_db_url, lake_uri)
    report = run_child("benchmarks.backfill", {**env, "PLATFORM_START_DATE": START.isoformat()},
                       {"days": days, "chunks": chunks})  # fmt: skip
    per_run = days / chunks
    timing = Timing(tuple(report["seconds"]))
    overhead = sorted(report["overhead_per_partition"])[len(report["overhead_per_partition"]) // 2]
    phases = {f"backfill_s_per_partition_{name}": seconds / days for name, seconds in report["phases"].items()}
    extra = {"backfill_dagster_overhead_s_per_partition": overhead,
             "backfill_events_per_second": _events(env) / sum(report["seconds"]), **phases}  # fmt: skip
    return Row("backfill_partitions_per_minute", f"{days} days as {chunks} runs of {per_run:g}",
               timing, value=per_run * 60 / timing.median, unit=" part/min", extra=extra)  # fmt: skip


def _events(env: dict[str, str]) -> int:
    with psycopg.connect(env["PLATFORM_WAREHOUSE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM raw.events").fetchone()[0]


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """Seconds spent inside each step (start to success or failure), from the run's event log."""
    started: dict[str, float] = {}
    inside: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and entry.step_key in started:
            inside[entry.step_key] = inside.get(entry.step_key, 0.0) + entry.timestamp - started.pop(entry.step_key)
    return inside


def _phase_of_step(defs) -> dict[str, str]:
    """Each asset step's phase: `spark` for the events step, else its asset group (layer)."""
    from dagster import AssetsDefinition

    phases = {}
    for assets in defs.assets:
        if isinstance(assets, AssetsDefinition) and assets.is_executable:
            group = next(iter(assets.group_names_by_key.values()))
            phase = "spark" if assets.node_def.name == "lake__events" else group
            phases[assets.node_def.name] = phase if phase in PHASES else "other"
    return phases


def child(days: int, chunks: int) -> dict:
    from dagster import AssetsDefinition, AssetSelection, DagsterInstance, materialize

    from data_platform.definitions import defs  # reads the scratch environment set by the parent

    partitioned = [key for a in defs.assets if isinstance(a, AssetsDefinition) and a.partitions_def
                   for key in a.keys]  # fmt: skip
    instance, size = DagsterInstance.ephemeral(), days // chunks
    seconds, overhead, phases, phase_of = [], [], dict.fromkeys(PHASES, 0.0), _phase_of_step(defs)
    for n in range(chunks):
        first, last = START + timedelta(days=n * size), START + timedelta(days=(n + 1) * size - 1)
        began = time.perf_counter()
        result = materialize(
            list(defs.assets), resources=defs.resources, instance=instance,
            selection=AssetSelection.assets(*partitioned),
            tags={"dagster/asset_partition_range_start": first.isoformat(),
                  "dagster/asset_partition_range_end": last.isoformat()},
        )  # fmt: skip
        seconds.append(time.perf_counter() - began)
        if not result.success:
            raise RuntimeError(f"backfill {first}..{last} failed")
        steps = _step_seconds(instance, result.run_id)
        overhead.append((seconds[-1] - sum(steps.values())) / size)
        for step, spent in steps.items():
            phases[phase_of.get(step, "other")] += spent
    return {"seconds": seconds, "overhead_per_partition": overhead, "phases": phases}


if __name__ == "__main__":
    print(json.dumps(child(**json.loads(sys.argv[1]))))
