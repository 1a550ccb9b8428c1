"""A report for every incident: each failed run writes one to the lake's `incidents/`.

The report says what failed, which partition, the error and when, with a link to the run;
when `PLATFORM_SLACK_WEBHOOK_URL` is set it is posted there too. Errors are redacted so no
credential leaves in a report.
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

from data_platform.resources.lake import LakeResource
from data_platform.resources.redaction import redact


def incident_report(context: RunFailureSensorContext, ui_url: str) -> dict:
    run = context.dagster_run
    steps = context.get_step_failure_events()
    errors = [
        {"step": event.step_key, "error": redact(event.step_failure_data.error.to_string())}
        for event in steps
        if event.step_failure_data and event.step_failure_data.error
    ]
    if not errors and context.failure_event.message:
        errors = [{"step": None, "error": redact(context.failure_event.message)}]
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": run.tags.get("dagster/partition"),
        "partition_range": [run.tags.get("dagster/asset_partition_range_start"),
                            run.tags.get("dagster/asset_partition_range_end")],
        "assets": sorted("/".join(key.path) for key in (run.asset_selection or [])),
        "failed_steps": [error["step"] for error in errors],
        "errors": errors,
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_url": f"{ui_url.rstrip('/')}/runs/{run.run_id}",
    }


def build_incident_sensor(ui_url: str, slack_webhook_url: str | None) -> SensorDefinition:
    @run_failure_sensor(
        name="incident_report_sensor",
        description="Writes an incident report to the lake for every failed run (and posts it to Slack).",
        monitor_all_code_locations=True,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def incident_report_sensor(context: RunFailureSensorContext, lake: LakeResource) -> None:
        report = incident_report(context, ui_url)
        day = report["failed_at"][:10]
        written = lake.write_bytes(
            f"incidents/date={day}/{report['run_id']}.json", json.dumps(report, indent=2).encode()
        )
        context.log.info(f"incident report for run {report['run_id']} at {written.path}")
        if slack_webhook_url:
            text = (f":rotating_light: run `{report['run_id'][:8]}` of `{report['job']}` failed "
                    f"(partition {report['partition']}): {report['errors'][0]['error'][:300] if report['errors'] else ''}"
                    f" — {report['run_url']}")
            requests.post(slack_webhook_url, json={"text": text}, timeout=10).raise_for_status()

    return incident_report_sensor
