"""Least privilege on the local stack: each role can do its job and nothing more.

The stack's `warehouse` and `app` databases carry the roles; a database made for a test
gets the same grants from the same functions.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from data_platform.local import roles
from data_platform.local.stack import LocalStack


@pytest.fixture(scope="module")
def urls(stack: LocalStack, make_database) -> dict[str, str]:
    """The stack's role URLs, pointed at fresh warehouse and app databases with the grants."""
    admin = {"warehouse": make_database("roles_wh"), "app": make_database("roles_app")}
    with psycopg.connect(admin["warehouse"], autocommit=True) as conn:
        roles.grant_warehouse(conn)
    with psycopg.connect(admin["app"], autocommit=True) as conn:
        roles.grant_app(conn)
    role = lambda db, name: roles.role_url(admin[db], name)  # noqa: E731
    return {
        "loader": role("warehouse", roles.LOADER), "transformer": role("warehouse", roles.TRANSFORMER),
        "analyst": role("warehouse", roles.ANALYST), "app": role("app", roles.APP),
        "server": role("app", roles.SERVER),
    }  # fmt: skip


REPO = Path(__file__).resolve().parents[2]


def run(url: str, *statements: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        result: list[tuple] = []
        for statement in statements:
            cursor = conn.execute(statement)
            result = cursor.fetchall() if cursor.description else []
        return result


def denied(url: str, statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run(url, statement)


def test_the_env_urls_connect_as_roles_none_a_superuser(stack: LocalStack) -> None:
    urls = stack.urls()
    expected = {
        "PLATFORM_WAREHOUSE_URL": roles.LOADER, "PLATFORM_WAREHOUSE_TRANSFORM_URL": roles.TRANSFORMER,
        "PLATFORM_WAREHOUSE_ANALYST_URL": roles.ANALYST, "PLATFORM_APP_DB_URL": roles.APP,
        "PLATFORM_APP_SERVER_URL": roles.SERVER, "PLATFORM_DAGSTER_PG_URL": roles.DAGSTER,
    }  # fmt: skip
    for variable, role in expected.items():
        assert run(urls[variable], "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user") == [
            (role, False)
        ], variable


def test_loader_writes_raw_and_transformer_reads_it(urls) -> None:
    run(urls["loader"], "CREATE TABLE raw.orders (order_id bigint)", "INSERT INTO raw.orders VALUES (1)")
    assert run(urls["transformer"], "SELECT order_id FROM raw.orders") == [(1,)]
    assert run(urls["analyst"], "SELECT order_id FROM raw.orders") == [(1,)]
    denied(urls["transformer"], "INSERT INTO raw.orders VALUES (2)")
    denied(urls["transformer"], "CREATE TABLE raw.mine (a int)")


def test_transformer_writes_analytics_analyst_only_reads(urls) -> None:
    run(urls["transformer"], "CREATE TABLE analytics.daily (d date)", "INSERT INTO analytics.daily VALUES ('2026-01-01')")
    assert run(urls["analyst"], "SELECT count(*) FROM analytics.daily") == [(1,)]
    assert run(urls["loader"], "SELECT count(*) FROM analytics.daily") == [(1,)]  # production serves from it
    denied(urls["analyst"], "INSERT INTO analytics.daily VALUES ('2026-01-02')")
    denied(urls["analyst"], "CREATE TABLE analytics.mine (a int)")
    denied(urls["analyst"], "DELETE FROM raw.orders")


def test_a_model_run_as_the_transformer_cannot_write_files_on_the_host(urls) -> None:
    """Finding 4: a 'one SELECT' model calling the large-object functions."""
    denied(urls["transformer"], "SELECT lo_from_bytea(0, 'malicious'::bytea)")
    denied(urls["transformer"], "SELECT lo_export(lo_from_bytea(0, 'x'::bytea), '/tmp/owned')")
    denied(urls["loader"], "SELECT lo_from_bytea(0, 'malicious'::bytea)")
    denied(urls["transformer"], "COPY (SELECT 1) TO '/tmp/owned'")


def test_the_app_owns_its_database_and_the_server_reads_serving(urls) -> None:
    run(urls["app"], "CREATE TABLE public.orders (order_id bigint)",
        "CREATE TABLE serving.channel_summary (channel text)", "INSERT INTO serving.channel_summary VALUES ('ads')")  # fmt: skip
    assert run(urls["server"], "SELECT channel FROM serving.channel_summary") == [("ads",)]
    denied(urls["server"], "INSERT INTO serving.channel_summary VALUES ('x')")
    denied(urls["server"], "SELECT * FROM public.orders")


def test_the_loader_reads_summaries_by_grant_and_writes_none(urls) -> None:
    run(urls["transformer"], "CREATE TABLE analytics.revenue (d date)")
    assert run(urls["loader"], f"SELECT pg_has_role('{roles.LOADER}', '{roles.TRANSFORMER}', 'MEMBER')") == [(False,)]
    assert run(urls["loader"], "SELECT count(*) FROM analytics.revenue") == [(0,)]
    denied(urls["loader"], "INSERT INTO analytics.revenue VALUES ('2026-01-01')")
    denied(urls["loader"], "DELETE FROM analytics.revenue")
    denied(urls["loader"], "CREATE TABLE analytics.mine (a int)")


def test_the_dagster_instance_runs_as_its_own_role(stack: LocalStack, make_database, tmp_path, monkeypatch) -> None:
    """On a database of its own with the stack's grants (the stack's `dagster` database also
    holds tables other tests make as the administrator)."""
    from dagster import DagsterInstance, asset, materialize

    @asset
    def probe() -> int:
        return 1

    admin = make_database("roles_dagster")
    with psycopg.connect(admin, autocommit=True) as conn:
        roles.grant_dagster(conn)
    url = roles.role_url(admin, roles.DAGSTER)
    (tmp_path / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    monkeypatch.setenv("PLATFORM_DAGSTER_PG_URL", url)
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert materialize([probe], instance=instance).success
    assert run(url, "SELECT tableowner FROM pg_tables WHERE tablename = 'runs'") == [(roles.DAGSTER,)]
    assert run(url, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == [(False,)]
    denied(roles.role_url(stack.admin_urls()["PLATFORM_WAREHOUSE_URL"], roles.DAGSTER), "CREATE TABLE raw.mine (a int)")
