"""`raw.exchange_rates`: one row per currency per day from the rates API (USD → 1)."""


from datetime import date
from decimal import Decimal

import pyarrow as pa
from dagster import AssetExecutionContext

from data_platform.assets.partitions import partition_days
from data_platform.assets.raw import shapes as c
from data_platform.assets.raw.schemas import EXCHANGE_RATES
from data_platform.resources.rates_api import RatesApiResource

SCALE = Decimal(1).scaleb(-EXCHANGE_RATES.field("usd_per_unit").type.scale)


def rates_table(rates_by_day: dict[date, dict[str, float]]) -> pa.Table:
    rows = [
        {"rate_date": day, "currency": code, "usd_per_unit": (1 / Decimal(str(per_usd))).quantize(SCALE)}
        for day, rates in sorted(rates_by_day.items())
        for code, per_usd in sorted(rates.items())
    ]
    return pa.Table.from_pylist(rows, schema=EXCHANGE_RATES)


@c.lake_asset(
    "exchange_rates",
    retry_policy=c.SOURCE_RETRY,
    metadata={"partition_expr": "rate_date", "source": "rates API"},
)
def lake_exchange_rates(context: AssetExecutionContext, rates_api: RatesApiResource) -> pa.Table:
    """Daily USD rates from the rates API, as Parquet in the lake.

    Every day of the run is fetched before anything is written, so a failure leaves
    nothing partial behind.
    """
    return rates_table({day: rates_api.get_rates(day) for day in partition_days(context)})


raw_exchange_rates = c.warehouse_loader(
    "exchange_rates",
    "USD per unit of each currency by day (`usd_per_unit`), the warehouse's rate table.",
    {"write_mode": "partition", "partition_expr": "rate_date", "primary_key": ["rate_date", "currency"],
     "not_null": ["rate_date", "currency", "usd_per_unit"]},
)
