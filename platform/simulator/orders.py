"""Orders: one per purchase event, with its later refund or removal drawn when it is placed."""

from __future__ import annotations

import json
from datetime import date

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.accounts import Change
from data_platform.simulator.delivery import Purchases
from data_platform.simulator.population import ID_BLOCK
from data_platform.simulator.randomness import DAY_MS, day_code, iso_ms, rng_for
from data_platform.simulator.rates import krw_per_usd

ORDER_COLUMNS = ("order_id", "user_id", "session_id", "amount", "currency", "status",
                 "created_at", "modified_at", "deleted_at")
REFUND_SHARE, REFUND_WITHIN_DAYS = 0.06, (0.05, 14.0)
REMOVAL_SHARE, REMOVAL_WITHIN_DAYS = 0.01, (1.0, 20.0)  # test and fraud orders, soft-deleted


def _amounts(rng: np.random.Generator, korean: np.ndarray, krw_rate: float) -> list[str]:
    """Basket values around $45; Korean customers pay in won, rounded to 100 won."""
    usd = np.round(np.exp(rng.normal(3.8, 0.6, len(korean))), 2)
    krw = np.round(usd * krw_rate / 100.0) * 100.0
    return [f"{value:.2f}" for value in np.where(korean, krw, usd).tolist()]


def _later(rng: np.random.Generator, created: np.ndarray, share: float,
           within: tuple[float, float]) -> np.ndarray:
    happens = rng.random(len(created)) < share
    return np.where(happens, created + (rng.uniform(*within, len(created)) * DAY_MS).astype(np.int64), -1)


def order_rows(seed: int, scale: float, day: date, bought: Purchases) -> tuple[list[tuple], list[Change]]:
    """Orders placed on `day` (at their purchase event's time) and their pending changes."""
    rng = rng_for(seed, scale, "orders", day)
    order = np.argsort(bought.ts_ms, kind="stable")
    ts = bought.ts_ms[order]
    ids = (day_code(day) * ID_BLOCK + np.arange(1, len(order) + 1)).tolist()
    korean = bought.country[order] == catalog.KOREA
    created = iso_ms(ts)
    rows = list(zip(ids, bought.user_id[order].tolist(), [bought.session_id[i] for i in order],
                    _amounts(rng, korean, krw_per_usd(day, seed)),
                    ["KRW" if k else "USD" for k in korean.tolist()], ["paid"] * len(ids),
                    created, created, [None] * len(ids), strict=True))
    changes: list[Change] = []
    refunded = _later(rng, ts, REFUND_SHARE, REFUND_WITHIN_DAYS)
    removed = _later(rng, ts, REMOVAL_SHARE, REMOVAL_WITHIN_DAYS)
    for i in np.flatnonzero(refunded >= 0):
        changes.append(("orders", ids[i], iso_ms(refunded[i : i + 1])[0], json.dumps({"status": "refunded"})))
    for i in np.flatnonzero(removed >= 0):
        due = iso_ms(removed[i : i + 1])[0]
        changes.append(("orders", ids[i], due, json.dumps({"deleted_at": due})))
    return rows, changes
