"""The real servers for end-to-end tests: dagster-webserver and dagster-daemon on 127.0.0.1.

They run against a temporary DAGSTER_HOME (the repo's dagster.yaml, so the instance lives in a
fresh PostgreSQL database of the test stack), a fresh warehouse and app database pair, and a temporary lake holding simulated sources. The newest day's landing
folder is held back so a test can drop it in and watch the sensors react.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance
from e2e_servers import ARTIFACTS, REPO, Platform, Servers, answers, wait_for

from data_platform.local.processes import free_port, stop_group
from data_platform.simulator.run import SimulationConfig, simulate


@pytest.fixture(scope="module")
def platform(make_database, stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Platform:
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(4, 0, -1)]  # the four days before today
    lake = tmp_path_factory.mktemp("e2e-lake")
    warehouse_url, app_db_url = make_database("e2e_wh"), make_database("e2e_app")
    simulate(SimulationConfig(start=days[0], days=len(days), scale=0.05), app_db_url, lake.as_uri())
    held_back = tmp_path_factory.mktemp("e2e-held-back") / "landing"
    platform = Platform(days, days[0] - timedelta(days=1), lake, held_back, {})
    shutil.move(platform.landing_folder(days[-1]), held_back)
    platform.env = {
        **stack_env,
        "PLATFORM_LAKE_URL": lake.as_uri(),
        "PLATFORM_WAREHOUSE_URL": warehouse_url,
        "PLATFORM_APP_DB_URL": app_db_url,
        "PLATFORM_DAGSTER_PG_URL": make_database("e2e_dagster"),
        "PLATFORM_START_DATE": platform.empty_day.isoformat(),
        "PLATFORM_SPARK_MASTER": "local[1]",
        # A Redis database of its own: production writes feature versions and the pointer.
        "PLATFORM_REDIS_URL": stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/13",
        "PLATFORM_SENSOR_INTERVAL_SECONDS": "5",
        # One process per run: a process per step costs more than the steps on two cores.
        "PLATFORM_EXECUTOR": "in_process",
    }
    return platform


@pytest.fixture(scope="module")
def servers(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    home = tmp_path_factory.mktemp("dagster-home")
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLATFORM_")}
    env.update(platform.env, DAGSTER_HOME=str(home), PLATFORM_UI_URL=f"http://127.0.0.1:{port}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent  # the environment the tests run in
    commands = {
        "webserver": [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                      "-w", str(REPO / "workspace.yaml")],
        "daemon": [sys.executable, str(Path(__file__).with_name("polling_daemon.py")), "run",
                   "-w", str(REPO / "workspace.yaml")],
    }
    # Create the instance's storage first: two servers creating it at once race on its schema.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLATFORM_DAGSTER_PG_URL", platform.env["PLATFORM_DAGSTER_PG_URL"])
        with DagsterInstance.from_config(str(home)):
            pass
    running = Servers(port, home)
    try:
        for name, command in commands.items():
            # cwd outside the repo: no `.env` of a local deployment leaks into the test.
            with open(ARTIFACTS / f"{name}.log", "wb") as log:
                running.processes.append(subprocess.Popen(
                    command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        wait_for(lambda: answers(running.url), "the webserver's /server_info", timeout=90, every=1)
        yield running
    finally:
        for process in running.processes:
            stop_group(process)


