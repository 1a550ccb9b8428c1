"""Corrections reach the day they belong to.

A raw load says which *data days* its changes belong to: the `data_days` metadata of its
materialization (a refund made on the 9th of an order created on the 2nd says `2026-01-02`),
or, without it, the partition it wrote (a reloaded events day is that day). This sensor
reads new raw materializations and requests the summary and production partitions that
read those days, through each dependency's own partition mapping (so `channel_summary`'s
look-ahead rebuilds the day before too), whatever their age. A partition whose upstream
partitions are not all there yet waits in the cursor until they are.

Unpartitioned followers (and summary → production edges) are left to the automation
condition, which ignores raw updates for partitioned assets: one path per edge, no double runs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterEventType,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from data_platform.assets.raw.source_changes import DATA_DAYS
from data_platform.sensors.automation import FOLLOWER_GROUPS, FOLLOWERS

SENSOR_NAME = "corrections_sensor"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
SOURCE_GROUP = "raw"
PAGE = 1_000


def changed_days(record) -> list[str]:
    """The data days a raw materialization changed: its `data_days`, else its partition."""
    metadata = record.asset_materialization.metadata
    if DATA_DAYS in metadata:
        return list(metadata[DATA_DAYS].value)
    return [record.partition_key] if record.partition_key else []


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


def requests_for(graph, wanted: dict[AssetKey, set[str]]) -> list[RunRequest]:
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
        tags = {"platform/trigger": SENSOR_NAME}
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


def _records_after(instance, key: AssetKey, after: int | None) -> list:
    """Materializations of `key` after storage id `after`, oldest first, page by page."""
    records, cursor = [], None
    while True:
        page = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=PAGE, cursor=cursor, ascending=True
        )
        records.extend(page.records)
        if not page.has_more:
            return records
        cursor = page.cursor


def evaluate(context: SensorEvaluationContext) -> SensorResult:
    graph = context.repository_def.asset_graph
    state = json.loads(context.cursor) if context.cursor else {"after": None, "pending": {}}
    # (asset, partition) → storage id of the newest raw change it must follow
    wanted: dict[AssetKey, dict[str, int]] = defaultdict(dict)
    for name, partitions in state["pending"].items():
        wanted[AssetKey.from_user_string(name)].update(partitions)
    newest = state["after"]
    for source in (n.key for n in graph.asset_nodes if n.group_name == SOURCE_GROUP and n.is_partitioned):
        records = _records_after(context.instance, source, state["after"])
        for record in records:
            for key, partitions in follower_partitions(graph, source, set(changed_days(record))).items():
                for partition in partitions:
                    wanted[key][partition] = max(wanted[key].get(partition, 0), record.storage_id)
            newest = max(newest or 0, record.storage_id)
    known = Readiness(graph, context.instance)
    due = {k: {p: s for p, s in ps.items() if known.due(k, p, s)} for k, ps in wanted.items()}
    ready = {k: {p for p in ps if known.ready(k, p)} for k, ps in due.items()}
    pending = {
        k.to_user_string(): {p: s for p, s in ps.items() if p not in ready[k]}
        for k, ps in due.items() if set(ps) - ready[k]
    }  # fmt: skip
    cursor = json.dumps({"after": newest, "pending": pending})
    requests = requests_for(graph, _left_to_automation(graph, ready))
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
