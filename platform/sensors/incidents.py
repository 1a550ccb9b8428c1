"""A report for every incident: each failed run writes one to the lake's `incidents/`.

The report says what failed, which partition, the error and when, with a link to the run;
when `PLATFORM_SLACK_WEBHOOK_URL` is set it is posted there too (the `slack` resource).
Errors are redacted (`resources.redaction`) so no credential leaves in a report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import requests
from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    SensorDefinition,
    run_failure_sensor,
)

from data_platform.resources.lake.resource import LakeResource
from data_platform.resources.redaction import redact
from data_platform.resources.slack import SlackWebhookResource
from data_platform.sensors.check_failures import failed_checks, failure_metadata

SENSOR_NAME = "incident_report_sensor"


def failed_at(context: RunFailureSensorContext) -> datetime:
    """When the run ended (stable across sensor retries), else now."""
    record = context.instance.get_run_record_by_id(context.dagster_run.run_id)
    if record and record.end_time:
        return datetime.fromtimestamp(record.end_time, UTC)
    return datetime.now(UTC)


def run_assets(context: RunFailureSensorContext, failed_steps: set[str]) -> tuple[list[str], list[str]]:
    """The run's assets, and those of its failed steps, from the run's execution plan."""
    selected, failed = planned_assets(context.instance, context.dagster_run, failed_steps)
    return sorted(k.to_user_string() for k in selected), sorted(k.to_user_string() for k in failed)


def planned_assets(instance, run, failed_steps: set[str] = frozenset()) -> tuple[set, set]:
    """The asset keys a run set out to materialize (a job's whole selection included), and
    those of its `failed_steps`, from its execution plan."""
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id) if run.execution_plan_snapshot_id else None
    selected, failed = set(run.asset_selection or []), set()
    for step in plan.steps if plan else []:
        keys = {output.properties.asset_key for output in step.outputs
                if output.properties and output.properties.asset_key}
        if step.key in plan.step_keys_to_execute:
            selected |= keys
        if step.key in failed_steps:
            failed |= keys
    return selected, failed


def incident_report(context: RunFailureSensorContext, ui_url: str) -> dict:
    """What failed (job, assets, steps), which partition, the errors, when, and a link."""
    run = context.dagster_run
    errors = [
        {"step": event.step_key, "error": redact(event.step_failure_data.error.to_string()),
         "metadata": failure_metadata(event, redact)}
        for event in context.get_step_failure_events()
        if event.step_failure_data and event.step_failure_data.error
    ]
    if not errors and context.failure_event.message:
        errors = [{"step": None, "error": redact(context.failure_event.message)}]
    assets, failed_assets = run_assets(context, {error["step"] for error in errors if error["step"]})
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition"),
        "partition_range": [run.tags.get("dagster/asset_partition_range_start"),
                            run.tags.get("dagster/asset_partition_range_end")],
        "assets": assets,
        "failed_assets": failed_assets,
        "failed_steps": [error["step"] for error in errors],
        "errors": errors,
        "failed_checks": failed_checks(context.instance, run.run_id, redact),
        "failed_at": failed_at(context).isoformat(timespec="seconds"),
        "run_url": f"{ui_url.rstrip('/')}/runs/{run.run_id}",
    }


def report_path(report: dict) -> str:
    """One file per failed run, under the day it failed: rewriting it is idempotent."""
    return f"incidents/date={report['failed_at'][:10]}/{report['run_id']}.json"


def slack_text(report: dict) -> str:
    partition = report["partition"] or "...".join(p for p in report["partition_range"] if p) or "none"
    error = report["errors"][0]["error"].strip().splitlines()[0][:300] if report["errors"] else "no error message"
    return (f":rotating_light: run `{report['run_id'][:8]}` of `{report['job']}` failed "
            f"(partition {partition}): {error} — {report['run_url']}")


def build_incident_sensor(ui_url: str, interval_seconds: int = 30) -> SensorDefinition:
    @run_failure_sensor(
        name=SENSOR_NAME,
        description="Writes an incident report to the lake for every failed run (and posts it to Slack).",
        monitor_all_code_locations=True,
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def incident_report_sensor(
        context: RunFailureSensorContext, lake: LakeResource, slack: SlackWebhookResource
    ) -> None:
        report = incident_report(context, ui_url)
        written = lake.write_bytes(report_path(report), json.dumps(report, indent=2).encode())
        context.log.info(f"incident report for run {report['run_id']} at {written.path}")
        if slack.enabled:
            try:
                slack.post(slack_text(report))
            except requests.RequestException as exc:
                # The report is in the lake; a Slack outage must not stall reports of later failures.
                context.log.error(f"incident report not posted to Slack: {redact(str(exc))}")

    return incident_report_sensor
