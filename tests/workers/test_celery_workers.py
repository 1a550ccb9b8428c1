"""A backfill on two celery workers equals the in-process run; a step whose worker process
dies is re-queued and the run completes; a dead broker or instance database is named in one
line, password hidden.

Each side gets its own lake, warehouse and instance database; both read the same simulated
app DB and rates API. The workers are real `data-platform worker` processes, stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import psutil
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


def backfill_command(select: str = SELECT, days: int = DAYS) -> list[str]:
    last = date.fromordinal(START.toordinal() + days - 1)
    return [str(BIN / "dagster"), "asset", "materialize", "-m", "data_platform.definitions",
            "--select", select, "--partition-range", f"{START}...{last}"]  # fmt: skip


def backfill(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(backfill_command(), env=env, cwd=env["DAGSTER_HOME"], capture_output=True, text=True,
                          timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def in_process_env(app_db, make_database, stack_env, tmp_path_factory) -> dict[str, str]:
    """The same backfill with Dagster's in-process executor: the reference for the workers."""
    env = side("inproc", app_db, make_database, stack_env, tmp_path_factory, PLATFORM_EXECUTOR="in_process")
    done = backfill(env)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


@pytest.fixture(scope="module")
def celery_env(app_db, make_database, stack_env, tmp_path_factory) -> dict[str, str]:
    broker = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/11"  # a Redis db of its own
    return side("celery", app_db, make_database, stack_env, tmp_path_factory,
                PLATFORM_EXECUTOR="celery", PLATFORM_CELERY_BROKER_URL=broker)  # fmt: skip


@contextmanager
def workers_for(env: dict[str, str]) -> Iterator[list[subprocess.Popen]]:
    """`data-platform worker` processes named WORKERS, answering on the broker; stopped by PID."""
    started = []
    try:
        for name in WORKERS:
            with open(Path(env["DAGSTER_HOME"]) / f"{name}.log", "wb") as log:
                started.append(subprocess.Popen(
                    [str(BIN / "data-platform"), "worker", "--name", name, "--concurrency", "1"],
                    env=env, cwd=env["DAGSTER_HOME"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                ))  # fmt: skip
        control = Celery(broker=env["PLATFORM_CELERY_BROKER_URL"]).control
        answering = lambda: len(control.ping(timeout=1.0)) == len(WORKERS)  # noqa: E731
        wait_until(answering, "two celery workers", timeout=120)
        yield started
    finally:
        for process in started:
            stop_pid(process.pid)


@pytest.fixture(scope="module")
def workers(celery_env: dict[str, str]) -> Iterator[list[subprocess.Popen]]:
    with workers_for(celery_env) as started:
        yield started


def table_rows(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        query = sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier("raw", table))
        return conn.execute(query).fetchall()


def step_workers(env: dict[str, str]) -> dict[str, list[str]]:
    """Which celery workers started each step, in order, from the engine events they wrote."""
    from dagster import DagsterEventType, DagsterInstance, EventRecordsFilter

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLATFORM_DAGSTER_PG_URL", env["PLATFORM_DAGSTER_PG_URL"])
        with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            records = instance.get_event_records(EventRecordsFilter(DagsterEventType.ENGINE_EVENT))
    ran: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        event = record.event_log_entry.dagster_event
        worker = event.event_specific_data.metadata.get("Celery worker") if event.event_specific_data else None
        if worker is not None:
            ran.setdefault(event.step_key, []).append(worker.value.split("@")[0])
    return ran


def test_a_backfill_on_two_workers_equals_the_in_process_run(workers, celery_env, in_process_env) -> None:
    on_workers = backfill(celery_env)
    assert on_workers.returncode == 0, on_workers.stderr[-3000:]
    for table in TABLES:
        expected = table_rows(in_process_env["PLATFORM_WAREHOUSE_URL"], table)
        assert expected and table_rows(celery_env["PLATFORM_WAREHOUSE_URL"], table) == expected
    ran = step_workers(celery_env)
    assert {"lake__users", "raw__users", "lake__orders", "raw__orders"} <= set(ran)
    assert {name for names in ran.values() for name in names} == set(WORKERS)  # both workers took steps


def test_a_step_whose_worker_process_dies_is_rerun_and_the_run_completes(
    app_db, make_database, stack_env, tmp_path_factory, in_process_env
) -> None:
    """The orders extract blocks on a lock held here; its worker process is killed meanwhile
    (what the OOM killer does); the step goes back on the queue and the run completes."""
    env = side("lost", app_db, make_database, stack_env, tmp_path_factory, PLATFORM_EXECUTOR="celery",
               PLATFORM_CELERY_BROKER_URL=stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/12")  # fmt: skip
    with workers_for(env) as started, psycopg.connect(app_db) as lock:
        lock.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        run = subprocess.Popen(backfill_command(), env=env, cwd=env["DAGSTER_HOME"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
        try:
            wait_until(lambda: "lake__orders" in step_workers(env), "the orders extract on a worker", timeout=120)
            (first,) = step_workers(env)["lake__orders"]
            worker = psutil.Process(started[WORKERS.index(first)].pid)
            for child in worker.children(recursive=True):  # the pool process running the step
                child.kill()
            lock.rollback()
            output, _ = run.communicate(timeout=300)
        finally:
            run.kill()
    assert run.returncode == 0, output[-3000:]
    assert len(step_workers(env)["lake__orders"]) == 2  # started twice: the lost try and the rerun
    for table in TABLES:
        assert table_rows(env["PLATFORM_WAREHOUSE_URL"], table) == table_rows(in_process_env["PLATFORM_WAREHOUSE_URL"], table)


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
