"""Dagster's own ticks, evaluated in this process: the real schedules, sensors and automation
conditions of a code location, with their run requests executed here against one instance.

`make demo` uses it to catch up the way the daemon would (no "materialize everything"), and
the days-passing test to move the clock day by day with nothing but schedules, sensors and
automation acting. Cursors are carried between ticks exactly like the daemon carries them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
    evaluate_automation_conditions,
    materialize,
)

from data_platform.sensors.corrections import RANGE_END, RANGE_START, contiguous
from data_platform.sensors.corrections import SENSOR_NAME as CORRECTIONS
from data_platform.sensors.freshness import is_freshness

CURSORS_KEY = "data_platform/local_ticks"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


class Ticker:
    """Ticks of one code location against one instance, and the runs they asked for."""

    def __init__(self, defs: Definitions, instance: DagsterInstance) -> None:
        self.defs, self.instance = defs, instance
        self.cursors: dict[str, str | None] = {}
        self.automation_cursor = None
        self.runs: list[tuple[list[AssetKey], list[str | None], bool]] = []  # (assets, partitions, success)
        self._assets = [*(defs.assets or []), *(c for c in defs.asset_checks or [] if not is_freshness(c))]

    def load_cursors(self) -> None:
        """The cursors a previous process saved in the instance (see `save_cursors`)."""
        from dagster._serdes import deserialize_value

        stored = self.instance.run_storage.get_cursor_values({CURSORS_KEY})
        if CURSORS_KEY in stored:
            state = json.loads(stored[CURSORS_KEY])
            self.cursors = state["sensors"]
            if state["automation"]:
                self.automation_cursor = deserialize_value(state["automation"])

    def save_cursors(self) -> None:
        """Keep the cursors in the instance, so the next catch-up starts where this one stopped."""
        from dagster._serdes import serialize_value

        automation = serialize_value(self.automation_cursor) if self.automation_cursor else None
        state = json.dumps({"sensors": self.cursors, "automation": automation})
        self.instance.run_storage.set_cursor_values({CURSORS_KEY: state})

    def schedule(self, name: str, at: datetime) -> int:
        """The schedule's tick at `at`; returns the number of runs it started."""
        context = build_schedule_context(instance=self.instance, scheduled_execution_time=at)
        data = self.defs.get_schedule_def(name).evaluate_tick(context)
        for request in data.run_requests or []:
            self.execute(request, self.defs.get_schedule_def(name).job_name)
        return len(data.run_requests or [])

    def sensor(self, name: str) -> int:
        """One tick of the sensor with its stored cursor; runless events are recorded."""
        with build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(name), definitions=self.defs,
            resources=self.defs.resources,
        ) as context:  # fmt: skip
            data = self.defs.get_sensor_def(name).evaluate_tick(context)
        self.cursors[name] = data.cursor
        for event in data.asset_events or []:
            self.instance.report_runless_asset_event(event)
        for request in data.run_requests or []:
            self.execute(request)
        return len(data.run_requests or [])

    def automation(self) -> int:
        """One evaluation of every automation condition; requested partitions run by asset and range."""
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.automation_cursor
        )
        self.automation_cursor = result.cursor
        graph, count = self.defs.resolve_asset_graph(), 0
        for key in sorted(graph.materializable_asset_keys, key=AssetKey.to_user_string):
            partitions = result.get_requested_partitions(key)
            if not partitions:
                continue
            node = graph.get(key)
            groups = contiguous(list(partitions), node.partitions_def) if node.is_partitioned else [[None]]
            for days in groups:
                tags = {RANGE_START: days[0], RANGE_END: days[-1]} if len(days) > 1 else {}
                self.execute(RunRequest(asset_selection=[key], partition_key=days[0] if len(days) == 1 else None, tags=tags))
                count += 1
        return count

    def settle(self, max_rounds: int = 10) -> None:
        """Tick the corrections sensor and the automation until neither asks for anything."""
        for _ in range(max_rounds):
            if not (self.sensor(CORRECTIONS) + self.automation()):
                return
        raise RuntimeError(f"automation still requesting runs after {max_rounds} rounds")

    def execute(self, request: RunRequest, job_name: str | None = None) -> bool:
        """Run one request here, as the daemon would launch it."""
        from dagster._core.storage.defs_state.base import set_defs_state_storage

        # Runs resolve definitions against "the current instance"; make it this one, whatever
        # a short-lived instance elsewhere in the process last set.
        with set_defs_state_storage(self.instance.defs_state_storage):
            return self._execute(request, job_name)

    def _execute(self, request: RunRequest, job_name: str | None) -> bool:
        tags = dict(request.tags or {})
        if job_name:
            job = self.defs.get_repository_def().get_job(job_name)
            result = job.execute_in_process(
                partition_key=request.partition_key, instance=self.instance, tags=tags,
                run_config=QUIET, raise_on_error=False,
            )  # fmt: skip
            keys = sorted(job.asset_layer.selected_asset_keys, key=AssetKey.to_user_string)
        else:
            keys = list(request.asset_selection or [])
            result = materialize(
                self._assets, selection=keys, partition_key=request.partition_key, tags=tags,
                instance=self.instance, resources=self.defs.resources, run_config=QUIET, raise_on_error=False,
            )  # fmt: skip
        self.runs.append((keys, _partitions(request, tags), result.success))
        return result.success


def _partitions(request: RunRequest, tags: dict[str, str]) -> list[str | None]:
    if RANGE_START in tags:
        return [tags[RANGE_START], tags[RANGE_END]]
    return [request.partition_key]


def materialized_since(instance: DagsterInstance, after: int | None) -> dict[AssetKey, list[str | None]]:
    """Every (asset, partition) materialized after storage id `after`."""
    from dagster import DagsterEventType, EventRecordsFilter

    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION, after_cursor=after)
    )
    found: dict[AssetKey, list[str | None]] = defaultdict(list)
    for record in records:
        found[record.asset_key].append(record.partition_key)
    return found


def latest_storage_id(instance: DagsterInstance) -> int | None:
    from dagster import DagsterEventType, EventRecordsFilter

    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION), limit=1, ascending=False
    )
    return records[0].storage_id if records else None
