"""The failed checks of a run, for incident reports: which check, which partition, what.

A blocking check that fails stops downstream assets; its metadata (e.g. the offending keys
of an input contract) is the most useful part of the incident, so the report carries it.
An audit that fails inside a write fails its step with the same facts as `Failure` metadata.
"""

from __future__ import annotations

from collections.abc import Callable

from dagster import DagsterEvent, DagsterEventType, DagsterInstance

MAX_VALUE_CHARS = 2000


def failed_checks(instance: DagsterInstance, run_id: str, clean: Callable[[str], str] = str) -> list[dict]:
    """Each failed check evaluation of the run: asset, check, partition, description, metadata
    (texts passed through `clean`, e.g. a redaction)."""
    found = []
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data if record.dagster_event else None
        if evaluation is None or evaluation.passed:
            continue
        found.append({
            "asset": evaluation.asset_key.to_user_string(),
            "check": evaluation.check_name,
            "partition": evaluation.partition,
            "description": clean(evaluation.description or ""),
            "metadata": {name: clean(str(value.value)[:MAX_VALUE_CHARS]) for name, value in evaluation.metadata.items()},
        })  # fmt: skip
    return found


def failure_metadata(event: DagsterEvent, clean: Callable[[str], str] = str) -> dict[str, str]:
    """The metadata a step failure carries (`Failure(metadata=...)`, e.g. a failed audit)."""
    data = event.step_failure_data.user_failure_data if event.step_failure_data else None
    if data is None:
        return {}
    return {name: clean(str(value.value)[:MAX_VALUE_CHARS]) for name, value in data.metadata.items()}
