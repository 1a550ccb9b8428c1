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
    AutomationConditionSensorDefinition,
    DagsterInstance,
    Definitions,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
    evaluate_automation_conditions,
    materialize,
)

from data_platform.sensors.corrections import RANGE_END, RANGE_START
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
        self._emit_backfills = all(
            s.emit_backfills for s in defs.sensors or [] if isinstance(s, AutomationConditionSensorDefinition)
        )
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
        """One evaluation of every automation condition; its requests run wave by wave (parents
        first) and grouped as the daemon groups them: with more than one partition of an asset,
        a backfill (assets sharing partitions in one run per range of days, a dbt run of several
        models), else one run per partition key."""
        result = evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.automation_cursor
        )
        self.automation_cursor = result.cursor
        graph = self.defs.resolve_asset_graph()
        requested = {k: set(result.get_requested_partitions(k)) for k in graph.materializable_asset_keys}
        requested = {key: partitions for key, partitions in requested.items() if partitions}
        backfill = self._emit_backfills and any(len(partitions) > 1 for partitions in requested.values())
        count = 0
        for wave in waves(graph, requested):
            for request in run_requests(graph, {k: requested[k] for k in wave}, backfill, self.instance):
                count += 1
                if not self.execute(request):
                    return count  # as in a backfill: nothing downstream of a failed run
        return count

    def start_automation(self) -> None:
        """The automation sensor's first tick, before any run this ticker starts (the daemon
        evaluates it from the moment it starts). Dagster's `newly_updated` is empty on a
        condition's first evaluation, so an upstream update made before it is never seen."""
        if self.automation_cursor is None:
            self.automation()

    def settle(self, max_rounds: int = 10) -> None:
        """Tick the corrections sensor and the automation until neither asks for anything."""
        for _ in range(max_rounds):
            if not (self.sensor(CORRECTIONS) + self.automation()):
                return
        raise RuntimeError(f"automation still requesting runs after {max_rounds} rounds")

    def execute(self, request: RunRequest, job_name: str | None = None) -> bool:
        """Run one request here, as the daemon would launch it."""
        from dagster._core.storage.defs_state.base import set_defs_state_storage

        self.start_automation()
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


def waves(graph, requested: dict[AssetKey, set[str | None]]) -> list[list[AssetKey]]:
    """Requested assets in dependency order: a wave holds those none of whose ancestors waits."""
    remaining, result = set(requested), []
    while remaining:
        ready = {k for k in remaining if not graph.get_ancestor_asset_keys(k) & (remaining - {k})}
        if not ready:
            raise RuntimeError(f"automation requested a cycle: {sorted(map(str, remaining))}")
        result.append(sorted(ready, key=AssetKey.to_user_string))
        remaining -= ready
    return result


def run_requests(graph, wave: dict[AssetKey, set[str | None]], backfill: bool, instance) -> list[RunRequest]:
    """The daemon's runs for one wave: Dagster's own backfill grouping (by backfill policy, one
    run per range), or one run per partition key with every asset requested for it."""
    from dagster._core.definitions.automation_tick_evaluation_context import (
        build_run_requests_with_backfill_policies,
    )
    from dagster._core.definitions.events import AssetKeyPartitionKey

    if backfill:
        partitions = [AssetKeyPartitionKey(key, p) for key, parts in wave.items() for p in sorted(parts, key=str)]
        return list(build_run_requests_with_backfill_policies(partitions, graph, instance))
    by_partition: dict[str | None, list[AssetKey]] = defaultdict(list)
    for key, parts in sorted(wave.items(), key=lambda item: item[0].to_user_string()):
        for partition in parts:
            by_partition[partition].append(key)
    return [RunRequest(asset_selection=keys, partition_key=p) for p, keys in sorted(by_partition.items(), key=lambda i: i[0] or "")]


def _partitions(request: RunRequest, tags: dict[str, str]) -> list[str | None]:
    if RANGE_START in tags:
        return [tags[RANGE_START]] if tags[RANGE_START] == tags[RANGE_END] else [tags[RANGE_START], tags[RANGE_END]]
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
