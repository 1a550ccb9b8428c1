"""Arrow schemas of the raw tables: the columns the platform reads from its sources."""

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
# Every app table tracks its rows' life: the incremental extract reads by `modified_at`, a
# soft delete sets `deleted_at`, and corrections are placed on the day of `created_at`.
LIFECYCLE = [("created_at", TS), ("modified_at", TS), ("deleted_at", TS)]

USERS = pa.schema(
    [
        ("user_id", pa.int64()),
        ("email", pa.string()),
        ("channel", pa.string()),
        ("country", pa.string()),
        ("signup_at", TS),
        *LIFECYCLE,
    ]
)

ORDERS = pa.schema(
    [
        ("order_id", pa.int64()),
        ("user_id", pa.int64()),
        ("session_id", pa.string()),
        ("amount", pa.decimal128(12, 2)),
        ("currency", pa.string()),
        ("status", pa.string()),
        *LIFECYCLE,
    ]
)

NPS_RESPONSES = pa.schema(
    [
        ("response_id", pa.int64()),
        ("user_id", pa.int64()),
        ("score", pa.int16()),
        ("created_at", TS),
    ]
)

EXCHANGE_RATES = pa.schema(
    [
        ("rate_date", pa.date32()),
        ("currency", pa.string()),
        ("usd_per_unit", pa.decimal128(18, 10)),
    ]
)
