"""A small simulated shop for fault injection: its own app DB, warehouse and lake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
import pytest
from dagster import (
    AssetSelection,
    DagsterInstance,
    ExecuteInProcessResult,
    build_run_status_sensor_context,
    materialize,
)
from psycopg import sql

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions
from data_platform.resources.environment import build_resources
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.settings import PlatformSettings
from data_platform.resources.slack import SlackWebhookResource
from data_platform.sensors.incidents import build_incident_sensor
from data_platform.simulator.run import SimulationConfig, simulate

START = date(2026, 1, 1)
DAY = date(2026, 1, 2)


@dataclass
class Shop:
    lake: Path
    warehouse_url: str
    app_db_url: str
    env: dict[str, str]
    instance: DagsterInstance = field(default_factory=DagsterInstance.ephemeral)

    def run(self, *keys: list[str], resources: dict | None = None, day: date = DAY) -> ExecuteInProcessResult:
        """Materialize `keys` for `day` on a fresh instance with the platform's resources."""
        settings = PlatformSettings.from_env()
        raw = raw_definitions(daily_partitions(settings.start_date))
        return materialize(
            [*raw.assets, *raw.asset_checks],
            resources={**build_resources(settings), **(resources or {})},
            instance=self.instance, selection=AssetSelection.assets(*keys),
            partition_key=day.isoformat(), raise_on_error=False,
        )  # fmt: skip

    def incident(self, result: ExecuteInProcessResult) -> str:
        """The incident report the failure sensor writes for a failed run, as text."""
        lake = LakeResource(url=self.lake.as_uri())
        context = build_run_status_sensor_context(
            sensor_name="incident_report_sensor", dagster_instance=self.instance,
            dagster_run=result.dagster_run, dagster_event=result.get_run_failure_event(), resources={"lake": lake, "slack": SlackWebhookResource()},
        ).for_run_failure()  # fmt: skip
        build_incident_sensor("http://127.0.0.1:3000")(context)
        path = next(p for p in lake.list_files("incidents") if result.run_id in p)
        return (self.lake / path).read_text()

    def rows(self, url: str, schema: str, table: str) -> list[tuple]:
        with psycopg.connect(url) as conn:
            return conn.execute(sql.SQL("SELECT * FROM {} ORDER BY 1, 2").format(sql.Identifier(schema, table))).fetchall()


@pytest.fixture(scope="module")
def shop(make_database, tmp_path_factory: pytest.TempPathFactory, stack_env) -> Iterator[Shop]:
    lake = tmp_path_factory.mktemp("faults-lake")
    home = tmp_path_factory.mktemp("faults-home")
    warehouse_url, app_db_url = make_database("faults_wh"), make_database("faults_app")
    env = {
        "PLATFORM_LAKE_URL": lake.as_uri(), "PLATFORM_WAREHOUSE_URL": warehouse_url,
        "PLATFORM_APP_DB_URL": app_db_url, "PLATFORM_START_DATE": START.isoformat(),
        "PLATFORM_SPARK_MASTER": "local[1]", "DAGSTER_HOME": str(home),
    }  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        simulate(SimulationConfig(start=START, days=3, scale=0.05), app_db_url, lake.as_uri())
        yield Shop(lake, warehouse_url, app_db_url, {**stack_env, **env})
