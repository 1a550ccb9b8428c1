"""The benchmark's data: a deterministic day of order lines, 10 columns of everyday types."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa

DAY = date(2024, 1, 1)  # before any simulated day: scratch data never looks like demo data
CHANNELS = np.array(["organic", "paid_search", "social", "email", "referral"])
PAGES = np.array([f"/product/{n}" for n in range(500)])


def order_lines(rows: int, seed: int = 7) -> pa.Table:
    """`rows` order lines of one UTC day (`DAY`), ~10 columns as a warehouse fact table has."""
    rng = np.random.default_rng(seed)
    start = int(datetime.combine(DAY, datetime.min.time(), UTC).timestamp() * 1_000_000)
    micros = np.sort(rng.integers(start, start + 86_400_000_000, rows))
    user_ids = rng.integers(1, 1_000_000, rows)
    return pa.table({
        "line_id": pa.array(np.arange(1, rows + 1, dtype=np.int64)),
        "ts": pa.array(micros, pa.timestamp("us", "UTC")),
        "line_date": pa.array(np.full(rows, DAY), pa.date32()),
        "user_id": pa.array(user_ids, pa.int64()),
        "session_id": pa.array(np.char.add("s", (user_ids * 31 % 999_983).astype(str))),
        "channel": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), rows)]),
        "page": pa.array(PAGES[rng.integers(0, len(PAGES), rows)]),
        "quantity": pa.array(rng.integers(1, 5, rows, dtype=np.int32)),
        "amount_usd": pa.array(np.round(rng.gamma(2.0, 20.0, rows), 2)),
        "refunded": pa.array(rng.random(rows) < 0.03),
    })  # fmt: skip
