"""One fixture module starts the local stack: real PostgreSQL, Redis and the rates API."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from data_platform.local.processes import free_port
from data_platform.local.stack import LocalStack
from data_platform.resources.settings import PlatformSettings

# The longest files (seconds of a `make test TEST_PROCESSES=2` run on 2 cores), run first.
# pytest-xdist hands out whole files in collection order (`--dist loadfile
# --no-loadscope-reorder`): the long ones start at once and the short ones fill in around
# them, instead of the longest starting last and running alone.
LONGEST_FIRST = {
    "tests/sensors/test_days_passing.py": 420,
    "tests/e2e/test_ui_journeys.py": 388,
    "tests/benchmarks/test_bench_smoke.py": 253,
    "tests/resources/test_spark_cluster.py": 102,
    "tests/workers/test_celery_workers.py": 93,
    "tests/assets/lake_sql/test_lake_sql_platform.py": 88,
    "tests/assets/raw/test_raw_pipeline.py": 86,
    "tests/assets/summary/test_dbt_project.py": 63,
    "tests/assets/summary/test_models.py": 58,
    "tests/e2e/test_cli_backfill.py": 44,
}
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest files first (`LONGEST_FIRST`), the rest in their usual order; a file's tests stay
    together and in order."""
    if missing := [path for path in LONGEST_FIRST if not (ROOT / path).exists()]:
        raise pytest.UsageError(f"LONGEST_FIRST names files that do not exist: {missing}")
    items.sort(key=lambda item: -LONGEST_FIRST.get(item.path.relative_to(ROOT).as_posix(), 0))


def pytest_configure(config: pytest.Config) -> None:
    """The session reads no `.env` but its own (empty): a developer's local stack, start date
    or DAGSTER_HOME from `make demo` never reaches the tests or the processes they start."""
    os.environ["PLATFORM_ENV_FILE"] = str(Path(tempfile.mkdtemp(prefix="platform-env-")) / ".env")


@pytest.fixture(autouse=True)
def no_dangling_instance_state() -> Iterator[None]:
    """Each test starts with no "current" Dagster definitions-state storage.

    A new DagsterInstance makes its state storage the process-wide current one until it is
    disposed; an instance a test drops without disposing would leave every later definitions
    load in the session reading through a dead instance.
    """
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A local stack of its own for the test session, on free ports, stopped at the end."""
    data_dir = Path(tmp_path_factory.mktemp("stack"))
    local = LocalStack(data_dir, ports={"redis": free_port(), "rates": free_port()})
    local.up()
    yield local
    local.down()


@pytest.fixture(scope="session")
def stack_env(stack: LocalStack) -> Iterator[dict[str, str]]:
    """The PLATFORM_* variables of the test stack, set in this process for the session.

    Database URLs connect as the server's superuser, because tests build their fixtures'
    schemas by hand; `stack.urls()` (what `.env` holds) connects as the platform's roles."""
    values = stack.admin_urls()
    with pytest.MonkeyPatch.context() as env:
        for key, value in values.items():
            env.setenv(key, value)
        yield values


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str]) -> PlatformSettings:
    return PlatformSettings.from_env(stack_env)


@pytest.fixture(scope="session")
def make_database(stack_env: dict[str, str]) -> Iterator[Callable[[str], str]]:
    """Create an empty database on the stack's PostgreSQL server and return its URL.

    Test modules that write fixed schemas (`raw`, `analytics`, `public`) each take their own
    database, so they never see each other's rows. All are dropped at the end.
    """
    server_url = stack_env["PLATFORM_WAREHOUSE_URL"]
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return server_url.replace("/warehouse?", f"/{name}?")

    yield make
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3-compatible HTTP server (moto's server mode) on 127.0.0.1 with bucket `lake`."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    credentials = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        for key, value in credentials.items():
            env.setenv(key, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="lake")
        yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def simulated_platform(make_database, tmp_path_factory: pytest.TempPathFactory, stack_env) -> object:
    """Four simulated days at a small scale, every asset materialized once (one backfill run)."""
    import redis
    from harness import SimulatedPlatform

    from data_platform.simulator.run import SimulationConfig, simulate

    lake = tmp_path_factory.mktemp("platform-lake")
    redis_url = stack_env["PLATFORM_REDIS_URL"].rsplit("/", 1)[0] + "/12"
    redis.Redis.from_url(redis_url).flushdb()
    platform = SimulatedPlatform({
        "PLATFORM_LAKE_URL": lake.as_uri(),
        "PLATFORM_WAREHOUSE_URL": make_database("e2e_wh"),
        "PLATFORM_APP_DB_URL": make_database("e2e_app"),
        "PLATFORM_REDIS_URL": redis_url,
        "PLATFORM_START_DATE": SimulatedPlatform.START.isoformat(),
        "PLATFORM_SPARK_MASTER": "local[2]",
    })  # fmt: skip
    config = SimulationConfig(start=platform.START, days=platform.DAYS, scale=0.1)
    simulate(config, platform.app_db_url, lake.as_uri())
    platform.materialize(platform.START, platform.last)
    return platform
