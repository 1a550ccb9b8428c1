"""Runs whose worker died: failed, so Dagster's run retries start them again.

Dagster's run monitoring notices a dead run worker only where the run launcher can check its
workers (ECS, Kubernetes, Docker). The default launcher starts each run as a process on the
daemon's own host and cannot: a run killed there (OOM, `kill -9`, a reboot) would stay
STARTED for ever, its partitions neither done nor retried. Like Airflow's zombie-task check,
this sensor looks at each started run's worker process (the pid of its RUN_START event, on
this host) and, when it is gone, reports the run failed with the reason in one line; the run
retry daemon then retries it. It acts only when the instance uses the default launcher, so
a worker on another host is never taken for dead.
"""

from __future__ import annotations

import psutil
from dagster import (
    DagsterEventType,
    DagsterRunStatus,
    DefaultRunLauncher,
    DefaultSensorStatus,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

SENSOR_NAME = "run_worker_watchdog"
PID_REUSE_SLACK_SECONDS = 5.0  # a process started after its run did cannot be that run's worker


def worker_alive(pid: int, started_at: float) -> bool:
    """The process `pid` exists and is old enough to be the worker that started at `started_at`."""
    try:
        return psutil.Process(pid).create_time() <= started_at + PID_REUSE_SLACK_SECONDS
    except psutil.NoSuchProcess:
        return False


def dead_workers(instance) -> list[tuple[object, int]]:
    """(run, worker pid) of every started run whose worker process is gone."""
    dead = []
    for record in instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED])):
        run = record.dagster_run
        starts = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_START).records
        if starts:
            entry = starts[0].event_log_entry
            pid = entry.dagster_event.pid if entry.dagster_event else None
            if pid is not None and not worker_alive(pid, entry.timestamp):
                dead.append((run, pid))
    return dead


def evaluate(context: SensorEvaluationContext) -> SkipReason:
    instance = context.instance
    if not isinstance(instance.run_launcher, DefaultRunLauncher):
        return SkipReason("this launcher's workers are checked by Dagster's run monitoring")
    dead = dead_workers(instance)
    for run, pid in dead:
        message = f"run worker (pid {pid}) died without finishing the run (killed, out of memory or rebooted)"
        context.log.warning(f"run {run.run_id}: {message}; marked failed for run retries")
        instance.report_run_failed(run, message)
    return SkipReason(f"failed {len(dead)} run(s) whose worker died" if dead else "every started run's worker is alive")


def build_run_watchdog(interval_seconds: int = 30) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        description="Fails started runs whose worker process died, so run retries start them again.",
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def run_worker_watchdog(context: SensorEvaluationContext) -> SkipReason:
        return evaluate(context)

    return run_worker_watchdog
