"""PLATFORM_ENV selects something real: `prod` names every system and refuses the embedded stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_platform.definitions import build_definitions
from data_platform.resources.settings import PROD_REQUIRED, PlatformSettings

PRODUCTION = {
    "PLATFORM_ENV": "prod",
    "PLATFORM_LAKE_URL": "s3://company-lake/platform",
    "PLATFORM_WAREHOUSE_URL": "redshift://loader:pw@warehouse.example.com:5439/dw",
    "PLATFORM_APP_DB_URL": "postgresql://reader:pw@app-db.example.com:5432/app",
    "PLATFORM_REDIS_URL": "rediss://:pw@features.example.com:6379/0",
    "PLATFORM_RATES_API_URL": "https://rates.example.com",
    "PLATFORM_UI_URL": "https://dagster.example.com",
    "PLATFORM_SPARK_MASTER": "spark://spark.example.com:7077",
    "PLATFORM_START_DATE": "2026-01-01",
}


def test_a_complete_production_environment_loads() -> None:
    settings = PlatformSettings.from_env(PRODUCTION)
    assert settings.env == "prod" and settings.lake_url == "s3://company-lake/platform"
    assert build_definitions(settings).resolve_asset_graph() is not None


def test_production_refuses_missing_variables_and_names_them() -> None:
    with pytest.raises(ValueError) as raised:
        PlatformSettings.from_env({"PLATFORM_ENV": "prod"})
    assert all(f"{name} is not set" in str(raised.value) for name in PROD_REQUIRED)


def test_production_refuses_the_embedded_stack(tmp_path: Path) -> None:
    data = tmp_path / ".data"
    local = {
        **PRODUCTION,
        "PLATFORM_DATA_DIR": str(data),
        "PLATFORM_LAKE_URL": (data / "lake").as_uri(),
        "PLATFORM_WAREHOUSE_URL": f"postgresql://postgres@/warehouse?host={data}/run",
        "PLATFORM_REDIS_URL": "redis://127.0.0.1:6390/0",
        "PLATFORM_UI_URL": "http://localhost:3000",
    }
    with pytest.raises(ValueError) as raised:
        PlatformSettings.from_env(local)
    for name in ("PLATFORM_LAKE_URL", "PLATFORM_WAREHOUSE_URL", "PLATFORM_REDIS_URL", "PLATFORM_UI_URL"):
        assert f"{name} points at the local stack" in str(raised.value)
    assert "PLATFORM_APP_DB_URL" not in str(raised.value)


def test_local_keeps_its_defaults(tmp_path: Path) -> None:
    settings = PlatformSettings.from_env({"PLATFORM_DATA_DIR": str(tmp_path)})
    assert settings.env == "local" and settings.lake_url == (tmp_path / "lake").as_uri()
    assert settings.spark_master == "local[*]"


def test_urls_reach_resources_as_env_vars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster import EnvVar

    from data_platform.resources.environment import build_resources

    monkeypatch.setenv("PLATFORM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PLATFORM_LAKE_URL", raising=False)
    local = build_resources(PlatformSettings.from_env())["lake"]
    assert local.url == (tmp_path / "lake").as_uri() and not isinstance(local.url, EnvVar)
    monkeypatch.setenv("PLATFORM_LAKE_URL", "s3://company-lake/platform")
    monkeypatch.setenv("PLATFORM_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    lake = build_resources(PlatformSettings.from_env())["lake"]
    assert isinstance(lake.url, EnvVar) and lake.url.env_var_name == "PLATFORM_LAKE_URL"
    assert isinstance(lake.s3_endpoint_url, EnvVar)
