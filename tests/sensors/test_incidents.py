"""Incident reports from a run that really failed: lake file, redaction, Slack post."""

import json
import os
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    DagsterInstance,
    EnvVar,
    Failure,
    MetadataValue,
    asset,
    asset_check,
    build_run_status_sensor_context,
    instance_for_test,
    materialize,
)

from data_platform.assets.partitions import daily_partitions
from data_platform.resources.environment import build_resources
from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.settings import PlatformSettings
from data_platform.resources.slack import SlackWebhookResource
from data_platform.sensors.incidents import SENSOR_NAME, build_incident_sensor

PASSWORD = "Hunter2-not-for-reports"
WAREHOUSE_URL = f"postgresql://etl:{PASSWORD}@db.internal:5432/warehouse"
UI_URL = "http://ui.example:3000"


@asset(key=["raw", "broken"], partitions_def=daily_partitions(date(2026, 1, 1)))
def broken(context: AssetExecutionContext) -> None:
    """Fails the way a lost database connection does, with the URL in the message."""
    raise ConnectionError(f"could not connect to {os.environ['PLATFORM_WAREHOUSE_URL']} "
                          f"(partition {context.partition_key}); password {PASSWORD} rejected")


class Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Webhook.received.append(json.loads(body))
        self.send_response(Webhook.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Webhook)
    Webhook.received, Webhook.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/B000/XXXX"
    server.shutdown()


@pytest.fixture
def failed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DagsterInstance, object]]:
    monkeypatch.setenv("PLATFORM_WAREHOUSE_URL", WAREHOUSE_URL)
    with instance_for_test() as instance:
        result = materialize([broken], instance=instance, partition_key="2026-01-05", raise_on_error=False)
        assert not result.success
        yield instance, result


def report_after(failed, lake: LakeResource, slack: str | SlackWebhookResource | None) -> tuple[dict, str]:
    instance, result = failed
    slack = slack if isinstance(slack, SlackWebhookResource) else SlackWebhookResource(url=slack)
    context = build_run_status_sensor_context(
        sensor_name=SENSOR_NAME, dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(), resources={"lake": lake, "slack": slack},
    ).for_run_failure()
    build_incident_sensor(UI_URL)(context)
    files = lake.list_files("incidents", suffix=".json")
    assert len(files) == 1
    text = Path(lake.uri(files[0]).removeprefix("file://")).read_text()
    return json.loads(text), text


def test_a_failed_run_writes_a_redacted_report(failed, tmp_path: Path) -> None:
    lake = LakeResource(url=(tmp_path / "lake").as_uri())
    report, text = report_after(failed, lake, None)
    run = failed[1].dagster_run
    assert report["run_id"] == run.run_id
    assert report["partition"] == "2026-01-05"
    assert report["failed_steps"] == ["raw__broken"]
    assert "ConnectionError" in report["errors"][0]["error"] and "db.internal" in report["errors"][0]["error"]
    assert report["run_url"] == f"{UI_URL}/runs/{run.run_id}"
    assert report["assets"] == report["failed_assets"] == ["raw/broken"]
    assert lake.list_files("incidents") == [f"incidents/date={report['failed_at'][:10]}/{run.run_id}.json"]
    assert PASSWORD not in text and "***" in text


def test_a_second_evaluation_rewrites_the_same_report(failed, tmp_path: Path) -> None:
    lake = LakeResource(url=(tmp_path / "lake").as_uri())
    first, _ = report_after(failed, lake, None)
    second, _ = report_after(failed, lake, None)
    assert first == second


def test_the_report_is_posted_to_slack(failed, tmp_path: Path, webhook: str, monkeypatch) -> None:
    monkeypatch.setenv("PLATFORM_SLACK_WEBHOOK_URL", webhook)
    report, _ = report_after(failed, LakeResource(url=(tmp_path / "lake").as_uri()), webhook)
    assert len(Webhook.received) == 1
    text = Webhook.received[0]["text"]
    assert report["run_id"][:8] in text and "2026-01-05" in text and report["run_url"] in text
    assert PASSWORD not in text


def test_the_webhook_reaches_the_sensor_as_an_env_var(failed, tmp_path: Path, webhook: str, monkeypatch) -> None:
    """The platform's resources carry the variable's name, resolved only when the sensor runs."""
    monkeypatch.setenv("PLATFORM_SLACK_WEBHOOK_URL", webhook)
    slack = build_resources(PlatformSettings.from_env())["slack"]
    assert isinstance(slack.url, EnvVar) and slack.url.env_var_name == "PLATFORM_SLACK_WEBHOOK_URL"
    report_after(failed, LakeResource(url=(tmp_path / "lake").as_uri()), slack)
    assert len(Webhook.received) == 1
    monkeypatch.delenv("PLATFORM_SLACK_WEBHOOK_URL")
    assert build_resources(PlatformSettings.from_env())["slack"].enabled is False


def test_a_slack_outage_still_leaves_the_report(failed, tmp_path: Path, webhook: str) -> None:
    Webhook.status = 500
    report, _ = report_after(failed, LakeResource(url=(tmp_path / "lake").as_uri()), webhook)
    assert report["partition"] == "2026-01-05" and len(Webhook.received) == 1


@asset(key=["lake", "checked"])
def checked() -> int:
    """Writes fine; its blocking check then finds bad rows."""
    return 1


@asset_check(asset=checked, name="input_contract", blocking=True)
def checked_contract() -> AssetCheckResult:
    return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR, description="- status = 'cancelled'",
                            metadata={"offending_order_ids": MetadataValue.json([7, 9])})  # fmt: skip


@asset(key=["raw", "after_checked"], deps=[checked])
def after_checked() -> None:
    """Never runs: the blocking check above fails."""


def test_a_failed_blocking_check_is_in_the_report(tmp_path: Path) -> None:
    with instance_for_test() as instance:
        result = materialize([checked, checked_contract, after_checked], instance=instance, raise_on_error=False)
        assert not result.success
        report, _ = report_after((instance, result), LakeResource(url=(tmp_path / "lake").as_uri()), None)
    assert report["failed_checks"] == [{
        "asset": "lake/checked", "check": "input_contract", "partition": None,
        "description": "- status = 'cancelled'", "metadata": {"offending_order_ids": "[7, 9]"},
    }]  # fmt: skip


@asset(key=["raw", "audited"])
def audited() -> None:
    """Fails the way a write whose audit found bad rows does."""
    raise Failure(description="raw.audited not published", metadata={
        "check": "primary_key_unique", "partition": "[2026-01-05, 2026-01-06)",
        "offending_keys": MetadataValue.json([3, 4]),
    })  # fmt: skip


def test_a_failed_audit_is_in_the_report(tmp_path: Path) -> None:
    with instance_for_test() as instance:
        result = materialize([audited], instance=instance, raise_on_error=False)
        report, _ = report_after((instance, result), LakeResource(url=(tmp_path / "lake").as_uri()), None)
    assert report["errors"][0]["metadata"] == {
        "check": "primary_key_unique", "partition": "[2026-01-05, 2026-01-06)", "offending_keys": "[3, 4]",
    }  # fmt: skip
