"""Benchmarks make scratch databases even when `.env` connects as the platform's roles."""

from benchmarks.scratch import database_creator_url, scratch_database
from data_platform.local import roles
from data_platform.local.stack import LocalStack


def test_a_role_url_falls_back_to_the_stack_administrator(stack: LocalStack, stack_env, monkeypatch) -> None:
    monkeypatch.setenv("PLATFORM_DATA_DIR", str(stack.data_dir))
    admin = stack_env["PLATFORM_WAREHOUSE_URL"]
    assert database_creator_url(admin) == admin
    loader = roles.role_url(admin, roles.LOADER)
    assert database_creator_url(loader) == stack.admin_urls()["PLATFORM_WAREHOUSE_URL"]
    with scratch_database(database_creator_url(loader)) as url:
        assert "/bench_" in url
