"""A backfill on two celery workers equals the in-process run; a dead broker or instance
database is named in one line, password hidden.

Each side gets its own lake, warehouse and instance database; both read the same simulated
app DB and rates API. The workers are real `data-platform worker` processes, stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from celery import Celery
from psycopg import sql

from data_platform.local.processes import free_port, stop_pid, wait_until
from data_platform.simulator.run import SimulationConfig, simulate

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START, DAYS = date(2026, 1, 1), 3
SELECT = "lake/exchange_rates,raw/exchange_rates,lake/users,raw/users,lake/orders,raw/orders"
TABLES = ("exchange_rates", "users", "orders")
WORKERS = ("worker-a", "worker-b")


@pytest.fixture(scope="module")
def app_db(make_database, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = make_database("celery_app")
    simulate(SimulationConfig(start=START, days=DAYS, scale=0.05), url, tmp_path_factory.mktemp("sources").as_uri())
    return url


def side(name: str, app_db: str, make_database, stack_env, tmp_path_factory, **extra: str) -> dict[str, str]:
    """The environment of one deployment: its own lake, warehouse, instance and DAGSTER_HOME."""
    home = tmp_path_factory.mktemp(f"{name}-home")
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLATFORM_")}
    env.update(stack_env, DAGSTER_HOME=str(home), PLATFORM_START_DATE=START.isoformat(),
               PLATFORM_LAKE_URL=tmp_path_factory.mktemp(f"{name}-lake").as_uri(),
               PLATFORM_WAREHOUSE_URL=make_database(f"{name}_wh"), PLATFORM_APP_DB_URL=app_db,
               PLATFORM_DAGSTER_PG_URL=make_database(f"{name}_dagster"), **extra)  # fmt: skip
    return env


def backfill(env: dict[str, str]) -> subprocess.CompletedProcess:
    last = date.fromordinal(START.toordinal() + DAYS - 1)
    command = [str(BIN / "dagster"), "asset", "materialize", "-m", "data_platform.definitions",
               "--select", SELECT, "--partition-range", f"{START}...{last}"]  # fmt: skip
    return subprocess.run(command, env=env, cwd=env["DAGSTER_HOME"], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def celery_env(app_db, make_database, stack_env, tmp_path_factory) -> dict[str, str]:
    broker = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/11"  # a Redis db of its own
    return side("celery", app_db, make_database, stack_env, tmp_path_factory,
                PLATFORM_EXECUTOR="celery", PLATFORM_CELERY_BROKER_URL=broker)  # fmt: skip


@pytest.fixture(scope="module")
def workers(celery_env: dict[str, str]) -> Iterator[list[subprocess.Popen]]:
    logs = Path(celery_env["DAGSTER_HOME"])
    started = []
    try:
        for name in WORKERS:
            with open(logs / f"{name}.log", "wb") as log:
                started.append(subprocess.Popen(
                    [str(BIN / "data-platform"), "worker", "--name", name, "--concurrency", "1"],
                    env=celery_env, cwd=celery_env["DAGSTER_HOME"], stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                ))  # fmt: skip
        control = Celery(broker=celery_env["PLATFORM_CELERY_BROKER_URL"]).control
        answering = lambda: len(control.ping(timeout=1.0)) == len(WORKERS)  # noqa: E731
        wait_until(answering, "two celery workers", timeout=120)
        yield started
    finally:
        for process in started:
            stop_pid(process.pid)


def table_rows(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier("raw", table))
        return conn.execute(query).fetchall()


def step_workers(env: dict[str, str]) -> dict[str, str]:
    """Which celery worker ran each step, from the engine events the workers wrote."""
    from dagster import DagsterEventType, DagsterInstance, EventRecordsFilter

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLATFORM_DAGSTER_PG_URL", env["PLATFORM_DAGSTER_PG_URL"])
        with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            records = instance.get_event_records(EventRecordsFilter(DagsterEventType.ENGINE_EVENT))
    ran = {}
    for record in records:
        event = record.event_log_entry.dagster_event
        worker = event.event_specific_data.metadata.get("Celery worker") if event.event_specific_data else None
        if worker is not None:
            ran[event.step_key] = worker.value
    return ran


def test_a_backfill_on_two_workers_equals_the_in_process_run(
    workers, celery_env, app_db, make_database, stack_env, tmp_path_factory
) -> None:
    on_workers = backfill(celery_env)
    assert on_workers.returncode == 0, on_workers.stderr[-3000:]
    in_process_env = side("inproc", app_db, make_database, stack_env, tmp_path_factory, PLATFORM_EXECUTOR="in_process")
    in_process = backfill(in_process_env)
    assert in_process.returncode == 0, in_process.stderr[-3000:]
    for table in TABLES:
        expected = table_rows(in_process_env["PLATFORM_WAREHOUSE_URL"], table)
        assert expected and table_rows(celery_env["PLATFORM_WAREHOUSE_URL"], table) == expected
    ran = step_workers(celery_env)
    assert {"lake__users", "raw__users", "lake__orders", "raw__orders"} <= set(ran)
    assert {name.split("@")[0] for name in ran.values()} == set(WORKERS)  # both workers took steps


def test_a_dead_broker_fails_the_run_naming_it(app_db, make_database, stack_env, tmp_path_factory) -> None:
    dead = f"redis://:broker-pw-secret@127.0.0.1:{free_port()}/0"
    env = side("deadbroker", app_db, make_database, stack_env, tmp_path_factory,
               PLATFORM_EXECUTOR="celery", PLATFORM_CELERY_BROKER_URL=dead)  # fmt: skip
    failed = backfill(env)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert f"the celery broker at {dead.replace('broker-pw-secret', '***')} is unreachable" in output
    assert "broker-pw-secret" not in output
    with psycopg.connect(env["PLATFORM_WAREHOUSE_URL"]) as conn:  # no step ran: nothing written
        assert conn.execute("SELECT to_regclass('raw.exchange_rates')").fetchone() == (None,)


def test_a_worker_refuses_to_start_without_the_instance_database(celery_env: dict[str, str]) -> None:
    dead = f"postgresql://dagster:instance-pw-secret@127.0.0.1:{free_port()}/dagster"
    env = {**celery_env, "PLATFORM_DAGSTER_PG_URL": dead}
    done = subprocess.run([str(BIN / "data-platform"), "worker"], env=env, cwd=env["DAGSTER_HOME"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert f"the Dagster instance database at {dead.replace('instance-pw-secret', '***')} is unreachable" in done.stderr
    assert "instance-pw-secret" not in done.stdout + done.stderr
