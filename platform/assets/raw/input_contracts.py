"""Input contracts at the raw boundary: app-DB rows the platform cannot count correctly.

An order in a currency without a rate would vanish from USD sums; a status other than
`paid`/`refunded` would count as revenue; a row without its key cannot be merged; an NPS
score outside 0..10 would skew every average. Each extracted day (the NPS snapshot whole)
is checked in the lake, before `raw.<table>` is written: the check is blocking, so nothing
downstream of the bad data is written, and its metadata names the offending keys.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    DailyPartitionsDefinition,
    MetadataValue,
    asset_check,
)

from data_platform.resources.lake.io_manager import LakeParquetEngine
from data_platform.resources.lake.resource import LakeResource

CURRENCIES = ("USD", "KRW")
ORDER_STATUSES = ("paid", "refunded")
MAX_KEYS_SHOWN = 50


NPS_SCORES = (0, 10)


@dataclass(frozen=True)
class Contract:
    """What an extracted app table must hold: keys present, coded columns within their codes,
    numeric columns within their bounds; `daily` tables are checked a day at a time."""

    table: str
    key: str
    not_null: tuple[str, ...]
    codes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    bounds: tuple[tuple[str, tuple[int, int]], ...] = ()
    daily: bool = True


CONTRACTS = (
    Contract("users", "user_id", ("user_id",)),
    Contract("orders", "order_id", ("order_id", "user_id"), (("currency", CURRENCIES), ("status", ORDER_STATUSES))),
    Contract("nps_responses", "response_id", ("response_id", "user_id", "created_at"),
             bounds=(("score", NPS_SCORES),), daily=False),
)  # fmt: skip


def violations(table: pa.Table, contract: Contract) -> dict[str, list]:
    """Broken rule → the keys of the rows that break it (None for a row without its key)."""
    found: dict[str, list] = {}
    keys = table.column(contract.key)
    for column in contract.not_null:
        bad = pc.is_null(table.column(column))
        found[f"{column} is null"] = keys.filter(bad).to_pylist()
    for column, allowed in contract.codes:
        values = table.column(column)
        bad = pc.invert(pc.is_in(values, value_set=pa.array(allowed))).fill_null(True)
        _name(found, keys, column, values, bad, f"allowed: {', '.join(allowed)}")
    for column, (low, high) in contract.bounds:
        values = table.column(column)
        bad = pc.or_(pc.less(values, low), pc.greater(values, high)).fill_null(True)
        _name(found, keys, column, values, bad, f"allowed: {low}..{high}")
    return {rule: sorted(k, key=str) for rule, k in found.items() if k}


def _name(found: dict[str, list], keys: pa.ChunkedArray, column: str, values: pa.ChunkedArray, bad, allowed: str) -> None:
    """Each offending row's key under its rule, e.g. `status = 'cancelled' (allowed: paid, refunded)`."""
    for key, value in zip(keys.filter(bad).to_pylist(), values.filter(bad).to_pylist(), strict=True):
        found.setdefault(f"{column} = {value!r} ({allowed})", []).append(key)


def extracted_days(lake: LakeResource, table: str, days: Sequence[str | None]) -> pa.Table | None:
    """The lake's extract of `table` for `days` (days never written are skipped; None: the
    unpartitioned snapshot)."""
    engine = LakeParquetEngine(lake)
    files = [engine.partition_file(AssetKey(["lake", table]), day) for day in days]
    tables = [lake.read_parquet(f) for f in files if lake.exists(f)]
    return pa.concat_tables(tables, promote_options="permissive") if tables else None


def summary(found: dict[str, list]) -> str:
    lines = [f"- {rule}: {len(keys)} rows, keys {keys[:MAX_KEYS_SHOWN]}" for rule, keys in found.items()]
    return "\n".join(lines) or "every row meets the contract"


def _check(contract: Contract, partitions: DailyPartitionsDefinition) -> AssetChecksDefinition:
    @asset_check(
        asset=["lake", contract.table],
        name="input_contract",
        description=(
            f"Blocking: every extracted `{contract.table}` row has {', '.join(contract.not_null)}"
            + "".join(f"; `{col}` in {', '.join(codes)}" for col, codes in contract.codes)
            + "".join(f"; `{col}` within {low}..{high}" for col, (low, high) in contract.bounds)
            + ". Failures name the offending keys."
        ),
        blocking=True,
        partitions_def=partitions if contract.daily else None,
    )
    def input_contract(context: AssetCheckExecutionContext, lake: LakeResource) -> AssetCheckResult:
        days = list(context.partition_keys) if contract.daily else [None]
        data = extracted_days(lake, contract.table, days)
        found = violations(data, contract) if data is not None else {}
        offending = sorted({k for keys in found.values() for k in keys}, key=str)
        return AssetCheckResult(
            passed=not found,
            severity=AssetCheckSeverity.ERROR,
            description=summary(found),
            metadata={
                "partition": (days[0] or "whole table") if len(days) == 1 else f"{days[0]}...{days[-1]}",
                "rows_checked": data.num_rows if data is not None else 0,
                "offending_rows": len(offending),
                f"offending_{contract.key}s": MetadataValue.json(offending[:MAX_KEYS_SHOWN]),
                "violations": MetadataValue.json({rule: keys[:MAX_KEYS_SHOWN] for rule, keys in found.items()}),
            },
        )

    return input_contract


def build_input_contract_checks(partitions: DailyPartitionsDefinition) -> list[AssetChecksDefinition]:
    return [_check(contract, partitions) for contract in CONTRACTS]
