"""No secret in run logs, compute logs, metadata, incident reports or health output.

Real credentials: a PostgreSQL role that must authenticate with its password (scram over
the unix socket) and a Redis ACL user with a password. The raw layer runs through them,
then fails on purpose with a wrong password and with a malformed URL whose password the
driver quotes back, and every byte the platform wrote is searched for the secrets.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
import redis
from dagster import AssetSelection, DagsterInstance, build_run_status_sensor_context, materialize
from psycopg import sql

from data_platform.assets.partitions import daily_partitions
from data_platform.assets.raw import raw_definitions
from data_platform.health import report, run_checks
from data_platform.resources.environment import build_resources
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.settings import PlatformSettings
from data_platform.resources.slack import SlackWebhookResource
from data_platform.sensors.incidents import build_incident_sensor
from data_platform.simulator.run import SimulationConfig, simulate

DAY = date(2026, 1, 1)
ROLE = "leak_probe"
SOURCES = AssetSelection.assets(["lake", "users"], ["raw", "users"], ["lake", "exchange_rates"], ["raw", "exchange_rates"])


def with_credentials(url: str, user: str, password: str) -> str:
    """`postgresql://postgres@/db?host=...` → `postgresql://user:password@/db?host=...`."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest.split('@', 1)[1]}"


@pytest.fixture(scope="module")
def secret_stack(stack_env, make_database) -> Iterator[dict[str, str]]:
    """A password-checked PostgreSQL role and Redis user; their URLs and secrets."""
    password, wrong, spaced = (f"Pw{secrets.token_hex(8)}" for _ in range(3))
    server = stack_env["PLATFORM_WAREHOUSE_URL"]
    with psycopg.connect(server, autocommit=True) as conn:
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
            sql.Identifier(ROLE), sql.Literal(password)))  # fmt: skip
        original = hba.read_text()
        hba.write_text(f"local all {ROLE} scram-sha-256\nhost all {ROLE} 127.0.0.1/32 scram-sha-256\n" + original)
        conn.execute("SELECT pg_reload_conf()")
    port = int(stack_env["PLATFORM_REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    admin = redis.Redis(host="127.0.0.1", port=port)
    admin.acl_setuser(ROLE, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"])
    warehouse, app = make_database("sec_wh"), make_database("sec_app")
    try:
        yield {
            "password": password, "wrong": wrong, "spaced": spaced,
            "warehouse": with_credentials(warehouse, ROLE, password),
            "app": with_credentials(app, ROLE, password),
            "app_wrong": with_credentials(app, ROLE, wrong),
            "app_malformed": with_credentials(app, ROLE, spaced[:6] + " " + spaced[6:]),
            "redis": f"redis://{ROLE}:{password}@127.0.0.1:{port}/0",
        }  # fmt: skip
    finally:
        hba.write_text(original)
        admin.acl_deluser(ROLE)
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")


def test_credentials_are_really_checked(secret_stack) -> None:
    with psycopg.connect(secret_stack["app"]) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == ROLE
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(secret_stack["app_wrong"])
    assert redis.Redis.from_url(secret_stack["redis"]).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(secret_stack["redis"].replace(secret_stack["password"], secret_stack["wrong"])).ping()


def everything_written(root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_no_secret_in_logs_metadata_reports_or_health(secret_stack, tmp_path: Path, monkeypatch, capfd) -> None:
    lake_dir, home = tmp_path / "lake", tmp_path / "home"
    home.mkdir()
    for name, key in (("PLATFORM_WAREHOUSE_URL", "warehouse"), ("PLATFORM_APP_DB_URL", "app"), ("PLATFORM_REDIS_URL", "redis")):
        monkeypatch.setenv(name, secret_stack[key])
    monkeypatch.setenv("PLATFORM_LAKE_URL", lake_dir.as_uri())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    simulate(SimulationConfig(start=DAY, days=1, scale=0.05), secret_stack["app"], lake_dir.as_uri())
    settings = PlatformSettings.from_env()
    raw = raw_definitions(daily_partitions(settings.start_date))
    assets = [*raw.assets, *raw.asset_checks]
    lake = LakeResource(url=lake_dir.as_uri())
    sensor = build_incident_sensor("http://127.0.0.1:3000")
    with DagsterInstance.local_temp(str(home)) as instance:
        def run(expect_success: bool):
            result = materialize(assets, resources=build_resources(settings), instance=instance, selection=SOURCES,
                                 partition_key=DAY.isoformat(), raise_on_error=False)  # fmt: skip
            assert result.success is expect_success
            if not expect_success:  # the incident report of the failure, as the sensor writes it
                context = build_run_status_sensor_context(
                    sensor_name="incident_report_sensor", dagster_instance=instance, dagster_run=result.dagster_run,
                    dagster_event=result.get_run_failure_event(), resources={"lake": lake, "slack": SlackWebhookResource()},
                ).for_run_failure()  # fmt: skip
                sensor(context)
            return result

        run(expect_success=True)
        for broken in ("app_wrong", "app_malformed"):
            monkeypatch.setenv("PLATFORM_APP_DB_URL", secret_stack[broken])
            failed = run(expect_success=False)
            errors = [e.step_failure_data.error.to_string() for e in failed.all_events if e.is_step_failure]
            assert errors and all("app DB" in text for text in errors)
        health = report(run_checks(PlatformSettings.from_env(), "http://127.0.0.1:1"))
        logs = [str(entry) for run_id in [r.dagster_run.run_id for r in instance.get_run_records()]
                for entry in instance.all_logs(run_id)]  # fmt: skip
    incidents = lake.list_files("incidents", suffix=".json")
    assert len(incidents) == 2
    searched = {
        "instance files (run and event storage, compute logs)": everything_written(home),
        "lake (incident reports, quarantine, data)": everything_written(lake_dir),
        "event log entries with metadata": "\n".join(logs).encode(),
        "health report": str(health).encode(),
        "process output": "".join(capfd.readouterr()).encode(),
    }
    assert len(logs) > 50 and b"app DB unreachable" in searched["lake (incident reports, quarantine, data)"]
    for secret in (secret_stack[k] for k in ("password", "wrong", "spaced")):
        for part in {secret, secret[:6], secret[6:]} if secret == secret_stack["spaced"] else {secret}:
            leaks = [where for where, text in searched.items() if part.encode() in text]
            assert not leaks, f"a secret appears in: {leaks}"
