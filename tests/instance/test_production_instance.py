"""The production dagster.yaml files load, with placeholder values, exactly as deployed.

Storage is a fresh database of the test stack, S3 and ECS are the local S3-compatible
server (boto3 follows AWS_ENDPOINT_URL, as it would any other endpoint).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import boto3
import pytest
import yaml
from dagster import DagsterInstance, asset, materialize
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_postgres import PostgresRunStorage

REPO = Path(__file__).resolve().parents[2]
WORKERS, ECS = REPO / "deploy" / "dagster.prod.yaml", REPO / "deploy" / "dagster.prod-ecs.yaml"
DEPLOYMENT_ONLY = {"storage", "compute_logs", "run_launcher"}  # what production sets differently


@asset
def hello() -> int:
    """Prints a line, so the step has compute logs to upload."""
    print("hello from a production-configured step")
    return 1


@pytest.fixture
def production(make_database, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Placeholder values for every variable the production files read."""
    values = {
        "PLATFORM_DAGSTER_PG_URL": make_database("prod_instance"),
        "PLATFORM_COMPUTE_LOGS_BUCKET": "lake",
        "PLATFORM_COMPUTE_LOGS_PREFIX": f"compute-logs/{uuid.uuid4().hex}",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def home_with(settings: Path, tmp_path: Path) -> str:
    home = tmp_path / settings.stem
    home.mkdir()
    shutil.copyfile(settings, home / "dagster.yaml")
    return str(home)


@pytest.mark.parametrize("settings", [WORKERS, ECS], ids=["workers", "ecs"])
def test_production_settings_equal_local_ones_outside_the_deployment(settings: Path) -> None:
    local, prod = yaml.safe_load((REPO / "dagster.yaml").read_text()), yaml.safe_load(settings.read_text())
    assert {k: v for k, v in prod.items() if k not in DEPLOYMENT_ONLY} == {
        k: v for k, v in local.items() if k not in DEPLOYMENT_ONLY
    }
    assert prod["storage"] == local["storage"] == {"postgres": {"postgres_url": {"env": "PLATFORM_DAGSTER_PG_URL"}}}


def test_the_workers_instance_loads_and_ships_compute_logs_to_s3(production, tmp_path: Path) -> None:
    with DagsterInstance.from_config(home_with(WORKERS, tmp_path)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        result = materialize([hello], instance=instance)
        assert result.success
    prefix = production["PLATFORM_COMPUTE_LOGS_PREFIX"]
    s3 = boto3.client("s3", endpoint_url=production["AWS_ENDPOINT_URL"])
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="lake", Prefix=prefix).get("Contents", [])]
    logs = [s3.get_object(Bucket="lake", Key=key)["Body"].read() for key in keys if key.endswith(".out")]
    assert any(b"hello from a production-configured step" in log for log in logs), keys


def test_the_ecs_instance_launches_runs_as_the_task_definition(production, tmp_path: Path, monkeypatch) -> None:
    ecs = boto3.client("ecs", endpoint_url=production["AWS_ENDPOINT_URL"])
    arn = ecs.register_task_definition(
        family="data-platform-run",
        containerDefinitions=[{"name": "run", "image": "data-platform:latest", "memory": 512}],
    )["taskDefinition"]["taskDefinitionArn"]
    monkeypatch.setenv("PLATFORM_ECS_TASK_DEFINITION", arn)
    with DagsterInstance.from_config(home_with(ECS, tmp_path)) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, EcsRunLauncher)
        assert (launcher.task_definition, launcher.container_name) == (arn, "run")
        assert isinstance(instance.run_storage, PostgresRunStorage)
