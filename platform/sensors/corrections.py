"""Corrections reach the day they belong to, whatever fails on the way.

A raw load says which *data days* its changes belong to: the `data_days` metadata of its
materialization (a refund made on the 9th of an order created on the 2nd says `2026-01-02`),
or, without it, the partition it wrote (a reloaded events day is that day). This sensor
reads new raw materializations and requests the summary and production partitions that
read those days, through each dependency's own partition mapping (so `channel_summary`'s
look-ahead rebuilds the day before too), whatever their age. A partition whose upstream
partitions are not all there yet waits in the cursor until they are.

Crashes lose nothing:
- a merge announces its days in an observation before it writes; once that run has ended
  without a materialization (killed after COMMIT, say), the announcement stands in for it,
  dated by the run's last event, so no follower built before the end counts as rebuilt;
- a requested partition stays in the cursor until a materialization newer than its change
  exists: when the sensor's runs are all over and it is still missing (the run failed for
  good, or was never launched), it is requested again, with a growing pause, a few times.

Unpartitioned followers (and summary → production edges) are left to the automation
condition, which ignores raw updates for partitioned assets: one path per edge, no double runs.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from data_platform.assets.raw.source_changes import ANNOUNCED, DATA_DAYS
from data_platform.sensors.automation import FOLLOWER_GROUPS, FOLLOWERS

SENSOR_NAME = "corrections_sensor"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
SOURCE_GROUP = "raw"
PAGE = 1_000
TRIGGER = "platform/trigger"
MAX_ATTEMPTS = 5  # a partition requested this often and still stale is left to the drift check
RETRY_PAUSE_SECONDS = 60  # times the attempts made: a server that is down gets time to return
OVER = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
GOING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
         DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]  # fmt: skip


def changed_days(record) -> list[str]:
    """The data days a raw materialization changed: its `data_days`, else its partition."""
    days = changed_days_of(record.asset_materialization)
    return days if days is not None else [record.partition_key] if record.partition_key else []


def changed_days_of(event) -> list[str] | None:
    """The `data_days` of a materialization or an announcing observation, if it says."""
    return list(event.metadata[DATA_DAYS].value) if DATA_DAYS in event.metadata else None


def follower_partitions(graph, source: AssetKey, days: set[str]) -> dict[AssetKey, set[str]]:
    """Partitions of the partitioned summary/production children of `source` reading `days`."""
    source_node = graph.get(source)
    valid = {d for d in days if source_node.partitions_def.has_partition_key(d)}
    wanted: dict[AssetKey, set[str]] = defaultdict(set)
    for child in graph.get_children(source_node):
        if child.group_name in FOLLOWER_GROUPS and child.is_partitioned:
            for day in valid:
                wanted[child.key].update(graph.get_child_partition_keys_of_parent(day, source, child.key))
    return wanted


class Readiness:
    """What the instance knows: materialized partitions and each one's latest storage id."""

    def __init__(self, graph, instance) -> None:
        self.graph, self.instance = graph, instance
        self._done: dict[AssetKey, set[str]] = {}
        self._latest: dict[AssetKey, Mapping[str, int]] = {}

    def done(self, key: AssetKey) -> set[str]:
        if key not in self._done:
            self._done[key] = self.instance.get_materialized_partitions(key)
        return self._done[key]

    def due(self, key: AssetKey, partition: str, changed_at: int) -> bool:
        """Not rebuilt since the change (so a first tick over old history requests nothing twice)."""
        if key not in self._latest:
            self._latest[key] = self.instance.get_latest_storage_id_by_partition(
                key, DagsterEventType.ASSET_MATERIALIZATION
            )
        return self._latest[key].get(partition, -1) < changed_at

    def ready(self, key: AssetKey, partition: str) -> bool:
        """Every upstream partition of `key`'s `partition` has been materialized."""
        parents = self.graph.get_parents_partitions(key, partition).parent_partitions
        return all(p.partition_key is None or p.partition_key in self.done(p.asset_key) for p in parents)


def contiguous(keys: list[str], partitions_def) -> list[list[str]]:
    """Sorted partition keys split into runs of neighbours."""
    order = {k: i for i, k in enumerate(partitions_def.get_partition_keys())}
    groups: list[list[str]] = []
    for k in sorted(keys, key=order.__getitem__):
        if groups and order[k] == order[groups[-1][-1]] + 1:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def requests_for(graph, wanted: dict[AssetKey, set[str]], trigger: str = SENSOR_NAME) -> list[RunRequest]:
    """One run per range of neighbouring days, for every asset wanted over exactly that range
    (single-run backfills do ranges). No asset of a tick feeds another (`_left_to_automation`),
    so they build side by side: the summary models among them in one dbt invocation."""
    by_range: dict[tuple, list[AssetKey]] = defaultdict(list)
    for key, partitions in sorted(wanted.items(), key=lambda item: item[0].to_user_string()):
        partitions_def = graph.get(key).partitions_def
        for days in contiguous(list(partitions), partitions_def):
            by_range[(partitions_def, days[0], days[-1])].append(key)
    requests = []
    for (_, first, last), keys in sorted(by_range.items(), key=lambda item: item[0][1:]):
        tags = {TRIGGER: trigger}
        if first == last:
            requests.append(RunRequest(asset_selection=keys, partition_key=first, tags=tags))
        else:
            tags.update({RANGE_START: first, RANGE_END: last})
            requests.append(RunRequest(asset_selection=keys, tags=tags))
    return requests


def _left_to_automation(graph, ready: dict[AssetKey, set[str]]) -> dict[AssetKey, set[str]]:
    """Drop partitions an upstream follower partition requested in the same tick feeds: the
    automation condition rebuilds them once that upstream has run, so nothing runs twice."""
    kept: dict[AssetKey, set[str]] = {}
    for key, partitions in ready.items():
        fed = {
            p for p in partitions
            if any(parent.partition_key in ready.get(parent.asset_key, ())
                   for parent in graph.get_parents_partitions(key, p).parent_partitions)
        }  # fmt: skip
        if partitions - fed:
            kept[key] = partitions - fed
    return kept


def _records_after(fetch: Callable, key: AssetKey, after: int | None) -> list:
    """Events of `key` after storage id `after` (`fetch`: materializations or observations), oldest first."""
    records, cursor = [], None
    while True:
        page = fetch(AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=PAGE, cursor=cursor, ascending=True)
        records.extend(page.records)
        if not page.has_more:
            return records
        cursor = page.cursor


def _note_announcement(announced: dict[str, dict], source: AssetKey, record) -> None:
    """Keep an announcing observation's days under its run, until the run is over."""
    observation = record.event_log_entry.asset_observation
    if ANNOUNCED not in observation.metadata:
        return
    entry = announced.setdefault(record.run_id, {"at": record.storage_id, "days": {}})
    days = entry["days"].setdefault(source.to_user_string(), [])
    days[:] = sorted({*days, *changed_days_of(observation)})


def unconfirmed(instance, announced: dict[str, dict]) -> tuple[list[tuple[AssetKey, list[str], int]], dict]:
    """Announcements whose run ended without materializing the asset, as (source, days, changed
    at: the run's last event); and those whose run is still going (kept for the next tick)."""
    stale, waiting = [], {}
    for run_id, entry in announced.items():
        run = instance.get_run_by_id(run_id)
        if run is not None and run.status not in OVER:
            waiting[run_id] = entry
            continue
        events = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        confirmed = {record.asset_key for record in events}
        last = instance.get_records_for_run(run_id, limit=1, ascending=False).records
        changed_at = max([entry["at"], *(r.storage_id for r in last)])
        for source, days in entry["days"].items():
            if AssetKey.from_user_string(source) not in confirmed:
                stale.append((AssetKey.from_user_string(source), days, changed_at))
    return stale, waiting


def retries_due(instance, known: Readiness, requested: dict[str, dict], now: float) -> tuple[dict, dict]:
    """Requested partitions still not rebuilt since their change: (asked again now, still waiting).

    Nothing is asked again while a run of this sensor is queued or going (an automatic run
    retry among them)."""
    going = bool(instance.get_run_records(RunsFilter(tags={TRIGGER: SENSOR_NAME}, statuses=GOING), limit=1))
    again: dict[AssetKey, dict[str, int]] = defaultdict(dict)
    waiting: dict[str, dict] = defaultdict(dict)
    for name, partitions in requested.items():
        key = AssetKey.from_user_string(name)
        for partition, (changed_at, attempts, asked_at) in partitions.items():
            if not known.due(key, partition, changed_at) or attempts >= MAX_ATTEMPTS:
                continue
            if going or now - asked_at < RETRY_PAUSE_SECONDS * attempts:
                waiting[name][partition] = [changed_at, attempts, asked_at]
            else:
                again[key][partition] = changed_at
    return again, waiting


def evaluate(context: SensorEvaluationContext) -> SensorResult:
    graph, instance, now = context.repository_def.asset_graph, context.instance, time.time()
    state = {"after": None, "pending": {}, "announced": {}, "requested": {}}
    state.update(json.loads(context.cursor) if context.cursor else {})
    known = Readiness(graph, instance)
    # (asset, partition) → storage id of the newest raw change it must follow
    wanted: dict[AssetKey, dict[str, int]] = defaultdict(dict)

    def want(source: AssetKey, days: list[str], changed_at: int) -> None:
        for key, partitions in follower_partitions(graph, source, set(days)).items():
            for partition in partitions:
                wanted[key][partition] = max(wanted[key].get(partition, 0), changed_at)

    for name, partitions in state["pending"].items():
        wanted[AssetKey.from_user_string(name)].update(partitions)
    again, asked = retries_due(instance, known, state["requested"], now)
    for key, partitions in again.items():
        wanted[key].update({p: max(s, wanted[key].get(p, 0)) for p, s in partitions.items()})
    newest, announced = state["after"], dict(state["announced"])
    for source in (n.key for n in graph.asset_nodes if n.group_name == SOURCE_GROUP and n.is_partitioned):
        for record in _records_after(instance.fetch_materializations, source, state["after"]):
            want(source, changed_days(record), record.storage_id)
            newest = max(newest or 0, record.storage_id)
        for record in _records_after(instance.fetch_observations, source, state["after"]):
            _note_announcement(announced, source, record)
            newest = max(newest or 0, record.storage_id)
    stale, announced = unconfirmed(instance, announced)
    for source, days, changed_at in stale:
        want(source, days, changed_at)
    due = {k: {p: s for p, s in ps.items() if known.due(k, p, s)} for k, ps in wanted.items()}
    ready = {k: {p for p in ps if known.ready(k, p)} for k, ps in due.items()}
    pending = {
        k.to_user_string(): {p: s for p, s in ps.items() if p not in ready[k]}
        for k, ps in due.items() if set(ps) - ready[k]
    }  # fmt: skip
    chosen = _left_to_automation(graph, ready)
    for key, partitions in chosen.items():
        for partition in partitions:
            earlier = state["requested"].get(key.to_user_string(), {}).get(partition, [0, 0, 0])
            asked[key.to_user_string()][partition] = [wanted[key][partition], earlier[1] + 1, now]
    cursor = json.dumps({"after": newest, "pending": pending, "announced": announced, "requested": asked})
    requests = requests_for(graph, chosen)
    if not requests:
        return SensorResult(skip_reason="no raw change waiting for its days", cursor=cursor)
    return SensorResult(run_requests=requests, cursor=cursor)


def build_corrections_sensor(interval_seconds: int = 30) -> SensorDefinition:
    @sensor(
        name=SENSOR_NAME,
        description="Rebuilds the summary and production partitions of the data days raw loads changed.",
        asset_selection=FOLLOWERS,
        minimum_interval_seconds=interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
    )
    def corrections_sensor(context: SensorEvaluationContext) -> SensorResult:
        return evaluate(context)

    return corrections_sensor
