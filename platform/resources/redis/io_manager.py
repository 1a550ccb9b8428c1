"""Redis as an IO manager: an asset returns a table, each partition becomes a published version.

A thin shell around `VersionedHashStore`, which keeps its guarantees: each day is written
completely, read back, sealed, and only then made current by a compare-and-set that never
moves readers backwards; the previous version stays for rollback.

The asset's definition metadata names the layout:

    redis_namespace   e.g. `user_features` → keys `user_features:<D>:<id>`
    redis_id_column   the column whose value ends each key (one hash per row)
    partition_column  the column holding each row's day D (one version per partition)

Every other column is a hash field, in table order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from data_platform.resources.redis.pointers import read_version
from data_platform.resources.redis.store import RedisResource, VersionWrite


def layout(context: dg.OutputContext | dg.InputContext) -> tuple[str, str, str]:
    """(namespace, id column, partition column) from the asset's definition metadata."""
    meta = (
        context.definition_metadata
        if isinstance(context, dg.OutputContext)
        else context.upstream_output.definition_metadata
    )
    missing = [k for k in ("redis_namespace", "redis_id_column", "partition_column") if k not in meta]
    if missing:
        raise ValueError(f"{context.asset_key.to_user_string()} needs metadata {missing} for Redis")
    return meta["redis_namespace"], meta["redis_id_column"], meta["partition_column"]


def day_rows(table: pa.Table, day_column: str, day: str, columns: Sequence[str]) -> Iterator[tuple]:
    """Rows `(id, *fields)` of one day, as Python values; a null becomes an empty string
    (a hash field has no null)."""
    days = pc.cast(table[day_column], pa.string())
    chosen = table.filter(pc.equal(days, day)).select(list(columns))
    values = (chosen.column(name).to_pylist() for name in columns)
    return (tuple("" if v is None else v for v in row) for row in zip(*values, strict=True))


def write_metadata(writes: list[VersionWrite]) -> dict[str, object]:
    last = writes[-1]
    return {
        "version": last.version,
        "current_version": last.current or "",
        "keys_written": dg.MetadataValue.int(sum(w.keys for w in writes)),
        "bytes_written": dg.MetadataValue.int(sum(w.bytes for w in writes)),
        "seconds": dg.MetadataValue.float(round(sum(w.seconds for w in writes), 3)),
        "versions_written": ", ".join(w.version for w in writes),
        "write_mode": ", ".join(sorted({w.mode for w in writes})),
        "cleaned_partial_versions": ", ".join(v for w in writes for v in w.cleaned) or "none",
    }


class RedisVersionedIOManager(dg.ConfigurableIOManager):
    """Each partition of a table output becomes version D of its Redis namespace, published
    by moving `<namespace>:current` once complete; inputs read the versions back."""

    redis: RedisResource

    def handle_output(self, context: dg.OutputContext, obj: pa.Table) -> None:
        namespace, id_column, day_column = layout(context)
        fields = [name for name in obj.column_names if name not in (id_column, day_column)]
        store = self.redis.versioned_store(namespace, fields)
        columns = [id_column, *fields]
        writes = []
        for day in sorted(context.asset_partition_keys):  # in order: the newest becomes current
            written = store.write_version(day, day_rows(obj, day_column, day, columns))
            context.log.info(f"{namespace} {written.version}: {written.keys} keys in {written.seconds}s")
            writes.append(written)
        context.add_output_metadata(write_metadata(writes))

    def load_input(self, context: dg.InputContext) -> pa.Table:
        """The stored versions of the partitions asked for, as text (Redis keeps strings)."""
        namespace, id_column, day_column = layout(context)
        client = self.redis.get_client()
        rows = [
            {day_column: day, id_column: ident, **fields}
            for day in context.asset_partition_keys
            for ident, fields in read_version(client, namespace, day).items()
        ]
        return pa.Table.from_pylist(rows)
