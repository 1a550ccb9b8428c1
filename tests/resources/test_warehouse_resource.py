"""The warehouse resource: dialects, connections, and passwords kept out of error messages."""

from __future__ import annotations

import psycopg
import pytest

from data_platform.resources.redaction import redact
from data_platform.resources.warehouse.resource import WarehouseResource, conninfo


def test_dialect_from_the_url() -> None:
    assert WarehouseResource(url="postgresql://u@h/db").dialect == "postgres"
    assert WarehouseResource(url="redshift://u:p@cluster:5439/dev").dialect == "redshift"
    assert conninfo("redshift://u:p@cluster:5439/dev") == "postgresql://u:p@cluster:5439/dev"
    with pytest.raises(ValueError, match="postgresql:// or redshift://"):
        WarehouseResource(url="mysql://u@h/db").dialect  # noqa: B018


def test_connection_is_utc_and_autocommit(stack_env: dict[str, str]) -> None:
    with WarehouseResource(url=stack_env["PLATFORM_WAREHOUSE_URL"]).get_connection() as conn:
        assert conn.autocommit
        assert conn.execute("SHOW TIME ZONE").fetchone()[0] == "UTC"


def test_redact_hides_passwords() -> None:
    url = "redshift://loader:p%40ss@cluster:5439/dev"
    message = f'could not use "{url}" nor "host=h password=p@ss" nor raw p@ss'
    redacted = redact(message, url)
    assert "p@ss" not in redacted and "p%40ss" not in redacted
    assert "redshift://loader:***@cluster:5439/dev" in redacted and "password=***" in redacted


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://loader:Sup3rSecret@127.0.0.1:1/warehouse?connect_timeout=2",  # refused
        "postgresql://loader:Sup3rSecret@127.0.0.1:notaport/warehouse",  # rejected by libpq
    ],
)
def test_connection_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(psycopg.Error) as caught:
        with WarehouseResource(url=url).get_connection():
            pass
    assert "Sup3rSecret" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
