"""Chaos: days pass with the real daemon while runs, steps, the daemon, PostgreSQL and Redis are
killed -9 at seeded moments; once the faults stop and the platform settles by itself, every
table and the served Redis features equal a rebuild from scratch.

`make chaos SEED=N` runs it (not part of `make test`: ~30–50 min). Days: the first
`CLEAN_DAYS` load without faults, then a fault every 40–90 s until the last day's runs are
done, each server or the daemon back 10–30 s after it died. Each day the simulator writes the
sources, then the daily job is launched as its schedule's tick would launch it (retried while
the instance database is down, as the next tick would); the landing sensor, the corrections
sensor, automation, the run watchdog and run retries do the rest. Nobody reruns anything.
The report (faults by kind, runs failed and retried, minutes to settle, rows compared and
differing) is printed and written to test-artifacts/chaos-<seed>.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter, instance_for_test
from faults import Chaos, Supervised
from harness import compare_platforms

from data_platform.local.processes import stop_group
from data_platform.resources.settings import PlatformSettings
from data_platform.simulator.run import SimulationConfig, simulate

SEED = int(os.environ.get("CHAOS_SEED", "1"))
DAYS, CLEAN_DAYS, SCALE = 4, 2, 0.3
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
START = YESTERDAY - timedelta(days=DAYS - 1)
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUIET_SECONDS = 300  # no run queued or going, none created: longer than the corrections sensor's retry pauses
DAY_BOUND_SECONDS = 30 * 60  # a day's runs get this long before the next day's sources arrive
SETTLE_BOUND_SECONDS = 30 * 60  # the stated bound: faults over, the platform settles within it
GOING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


def patiently(action, what: str, attempts: int = 60, pause: float = 10):
    """Retry `action` while a server is down (the supervisor brings it back)."""
    for attempt in range(attempts):
        try:
            return action()
        except Exception as error:
            if attempt == attempts - 1:
                raise AssertionError(f"{what} kept failing: {error}") from error
            time.sleep(pause)
    return None


def platform_env(make_database, stack_env: dict[str, str], lake: Path, redis_db: int) -> dict[str, str]:
    url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + f"/{redis_db}"
    redis.Redis.from_url(url).flushdb()
    return {
        **stack_env,
        "PLATFORM_LAKE_URL": lake.as_uri(),
        "PLATFORM_WAREHOUSE_URL": make_database("chaos_wh"),
        "PLATFORM_APP_DB_URL": make_database("chaos_app"),
        "PLATFORM_DAGSTER_PG_URL": make_database("chaos_dagster"),
        "PLATFORM_REDIS_URL": url,
        "PLATFORM_START_DATE": START.isoformat(),
        "PLATFORM_SPARK_MASTER": "local[1]",
        "PLATFORM_EXECUTOR": "multiprocess",  # step processes to kill
        "PLATFORM_SENSOR_INTERVAL_SECONDS": "10",
    }  # fmt: skip


def dagster_home(home: Path) -> None:
    """The repo's instance settings, run monitoring polling every 10 s instead of 60."""
    settings = yaml.safe_load((REPO / "dagster.yaml").read_text())
    settings["run_monitoring"]["poll_interval_seconds"] = 10
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings))


class Platform:
    def __init__(self, env: dict[str, str], home: Path, logs: Path) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")}
        self.env, self.home, self.logs = {**base, **env, "DAGSTER_HOME": str(home)}, home, logs

    def daemon(self) -> subprocess.Popen:
        log = (self.logs / "daemon.log").open("ab")
        command = [str(BIN / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")]
        return subprocess.Popen(command, cwd=self.home, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip

    def dagster(self, *args: str) -> None:
        command = [str(BIN / "dagster"), *args, "-w", str(REPO / "workspace.yaml")]
        done = subprocess.run(command, cwd=self.home, env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"{args} failed")

    def launch(self, job: str, tags: dict[str, str]) -> None:
        """What the job's schedule does at its tick: submit one run to the queue."""
        self.dagster("job", "launch", "-j", job, "--tags", json.dumps({"dagster/schedule_name": f"{job}_schedule", **tags}))


def runs(instance: DagsterInstance, statuses=None) -> list:
    return patiently(lambda: list(instance.get_run_records(RunsFilter(statuses=statuses) if statuses else None)), "reading runs")


def missing_partitions(instance: DagsterInstance, defs) -> dict[str, list[str]]:
    """Days up to yesterday of each partitioned data asset that no run materialized."""
    days = {(START + timedelta(days=n)).isoformat() for n in range(DAYS)}
    graph, missing = defs.resolve_asset_graph(), {}
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        if node.is_partitioned and node.group_name != "maintenance":
            done = patiently(lambda k=key: instance.get_materialized_partitions(k), "reading partitions")
            if gone := sorted(days - done):
                missing[key.to_user_string()] = gone
    return missing


def quiet_for(instance: DagsterInstance, seconds: float, bound: float) -> float:
    """Wait until no run is queued or going and none was created for `seconds`; returns the wait."""
    began = time.monotonic()
    while time.monotonic() - began < bound:
        newest = max((r.create_timestamp.timestamp() for r in runs(instance)), default=0)
        if not runs(instance, GOING) and time.time() - newest >= seconds:
            return time.monotonic() - began
        time.sleep(10)
    raise AssertionError(f"the platform did not settle within {bound / 60:.0f} min: {len(runs(instance, GOING))} runs going")


@pytest.mark.chaos
@pytest.mark.timeout(4 * 3600)
def test_chaos_while_days_pass(stack, make_database, stack_env, tmp_path: Path, monkeypatch) -> None:
    from data_platform.definitions import build_definitions
    from data_platform.demo import materialize_everything

    artifacts = REPO / "test-artifacts"
    logs = artifacts / f"chaos-{SEED}"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    live = platform_env(make_database, stack_env, tmp_path / "live", 12)
    home = tmp_path / "dagster_home"
    home.mkdir()
    dagster_home(home)
    platform = Platform(live, home, logs)
    with monkeypatch.context() as patch:
        patch.setenv("PLATFORM_DAGSTER_PG_URL", live["PLATFORM_DAGSTER_PG_URL"])
        instance = DagsterInstance.from_config(str(home))
    daemon = Supervised(platform.daemon)
    chaos = Chaos(stack, daemon, SEED, str(home))
    began = time.monotonic()
    try:
        platform.dagster("sensor", "start", "clickstream_landing_sensor")  # off by default, on in production
        daemon.up()
        for n, day in enumerate(START + timedelta(days=i) for i in range(DAYS)):
            if n == CLEAN_DAYS:
                chaos.start()
            config, tags = SimulationConfig(start=day, days=1, scale=SCALE), {"dagster/partition": day.isoformat()}
            patiently(lambda c=config: simulate(c, live["PLATFORM_APP_DB_URL"], live["PLATFORM_LAKE_URL"]), f"simulating {day}")
            patiently(lambda t=tags: platform.launch("daily_sources", t), f"launching {day}")
            patiently(lambda: platform.launch("nps_refresh", {}), "launching the NPS refresh")
            try:
                quiet_for(instance, 60, DAY_BOUND_SECONDS)
            except AssertionError:
                if n < CLEAN_DAYS:
                    raise  # without faults a day must settle
            print(f"{day}: {len(runs(instance))} runs, {time.monotonic() - began:.0f} s", flush=True)
        chaos.stop()
        faults_over = time.monotonic()
        settled = quiet_for(instance, QUIET_SECONDS, SETTLE_BOUND_SECONDS)
        all_runs = runs(instance)
        missing = missing_partitions(instance, build_definitions(PlatformSettings.from_env(live)))
    finally:
        chaos._stop.set()
        if daemon.process:
            stop_group(daemon.process)
        instance.dispose()

    statuses = [r.dagster_run.status for r in all_runs]
    report = {
        "seed": SEED, "days": DAYS, "days_with_faults": DAYS - CLEAN_DAYS,
        "faults": dict(chaos.injected), "fault_log": chaos.log,
        "runs": len(all_runs), "runs_failed": statuses.count(DagsterRunStatus.FAILURE),
        "runs_retried": sum("dagster/parent_run_id" in r.dagster_run.tags for r in all_runs),
        "minutes_to_settle": round((time.monotonic() - faults_over) / 60, 1),
        "quiet_wait_minutes": round(settled / 60, 1), "missing_partitions": missing,
    }  # fmt: skip
    (artifacts / f"chaos-{SEED}.json").write_text(json.dumps(report, indent=2))  # before a comparison that may fail
    assert not missing, f"partitions never materialized after settling: {report}"

    scratch = platform_env(make_database, stack_env, tmp_path / "scratch", 11)
    for name, value in scratch.items():
        monkeypatch.setenv(name, value)
    simulate(SimulationConfig(start=START, days=DAYS, scale=SCALE), scratch["PLATFORM_APP_DB_URL"], scratch["PLATFORM_LAKE_URL"])
    with instance_for_test() as rebuild:
        results = materialize_everything(build_definitions(PlatformSettings.from_env()), rebuild, START.isoformat(), YESTERDAY.isoformat())
    assert all(result.success for result in results)
    compared = compare_platforms(live, scratch)
    report.update({"rows_compared": compared.rows, "rows_differing": sum(compared.differing.values()),
                   "differing": compared.differing, "redis_versions": [compared.live_version, compared.scratch_version]})  # fmt: skip
    (artifacts / f"chaos-{SEED}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report), flush=True)
    assert sum(chaos.injected.values()) > 0, chaos.log
    assert compared.live_version == compared.scratch_version == YESTERDAY.isoformat()
    assert compared.differing == dict.fromkeys(compared.differing, 0), compared.details
