"""dbt's profile follows the warehouse URL the platform already uses: target, host, credentials."""

from __future__ import annotations

import os
from pathlib import Path

from data_platform.assets.summary.dbt_env import (
    PASSWORD,
    TARGET_PATH,
    WINDOW_END,
    WINDOW_START,
    dbt_environment,
    parse_folder,
    profile_env,
)


def test_redshift_url_selects_the_prod_target_with_its_credentials():
    env = profile_env("redshift://etl:s%40cret@cluster.example.com:5439/analytics")
    assert env["PLATFORM_DBT_TARGET"] == "prod"
    assert (env["PLATFORM_DBT_HOST"], env["PLATFORM_DBT_PORT"]) == ("cluster.example.com", "5439")
    assert (env["PLATFORM_DBT_USER"], env["PLATFORM_DBT_DBNAME"], env[PASSWORD]) == ("etl", "analytics", "s@cret")


def test_local_socket_url_selects_postgres_and_the_socket_directory():
    env = profile_env("postgresql://platform_transformer:@/warehouse?host=/tmp/stack/postgres")
    assert env["PLATFORM_DBT_TARGET"] == "local"
    assert (env["PLATFORM_DBT_HOST"], env["PLATFORM_DBT_PORT"]) == ("/tmp/stack/postgres", "5432")
    assert (env["PLATFORM_DBT_USER"], env["PLATFORM_DBT_DBNAME"], env[PASSWORD]) == ("platform_transformer", "warehouse", "")
    assert env["PGTZ"] == "UTC"


def test_variables_are_set_only_while_dbt_starts(monkeypatch):
    monkeypatch.delenv("PLATFORM_DBT_HOST", raising=False)
    monkeypatch.setenv("PGTZ", "Asia/Seoul")
    with dbt_environment("postgresql://u:p@db.example.com:6543/w"):
        assert (os.environ["PLATFORM_DBT_HOST"], os.environ[PASSWORD], os.environ["PGTZ"]) == ("db.example.com", "p", "UTC")
    assert "PLATFORM_DBT_HOST" not in os.environ and os.environ["PGTZ"] == "Asia/Seoul"


def test_the_window_is_set_for_a_partitioned_run_and_unset_otherwise(monkeypatch):
    monkeypatch.setenv(WINDOW_START, "2020-01-01")
    with dbt_environment("postgresql://u:p@db.example.com:6543/w", ("2026-01-10", "2026-01-12")):
        assert (os.environ[WINDOW_START], os.environ[WINDOW_END]) == ("2026-01-10", "2026-01-12")
    with dbt_environment("postgresql://u:p@db.example.com:6543/w", None):
        assert WINDOW_START not in os.environ and WINDOW_END not in os.environ
    assert os.environ[WINDOW_START] == "2020-01-01" and WINDOW_END not in os.environ


def test_each_warehouse_connection_keeps_its_parse_in_a_folder_of_its_own(monkeypatch):
    project = Path("/srv/dbt_project")
    folder = parse_folder(project, "postgresql://u:p@db.example.com:6543/w")
    assert folder.parent == project / "target"
    assert parse_folder(project, "postgresql://u:other@db.example.com:6543/w") == folder  # dbt ignores the password
    others = ["postgresql://u:p@db.example.com:6543/w2", "postgresql://v:p@db.example.com:6543/w",
              "postgresql://u:p@db2.example.com:6543/w", "redshift://u:p@db.example.com:6543/w"]  # fmt: skip
    assert len({folder, *(parse_folder(project, url) for url in others)}) == 1 + len(others)
    monkeypatch.setenv(TARGET_PATH, "/elsewhere")
    with dbt_environment("postgresql://u:p@db.example.com:6543/w", None, project):
        assert os.environ[TARGET_PATH] == str(folder)
    with dbt_environment("postgresql://u:p@db.example.com:6543/w"):
        assert TARGET_PATH not in os.environ
    assert os.environ[TARGET_PATH] == "/elsewhere"
