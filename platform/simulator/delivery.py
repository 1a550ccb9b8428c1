"""One day of the clickstream, file by file: generate, ship, write, and keep what arrives later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.clickstream import ClickstreamWriter
from data_platform.simulator.events import chunk_events
from data_platform.simulator.sessions import DayPlan, plan_day
from data_platform.simulator.shipper import ship_chunk


@dataclass(frozen=True)
class Purchases:
    """The day's purchase events: each becomes an order."""

    user_id: np.ndarray
    country: np.ndarray
    session_id: list[str]
    ts_ms: np.ndarray


@dataclass
class DayDelivery:
    """What one day's run wrote to its folder and leaves for the next day's folder."""

    files: int = 0
    lines: int = 0
    bytes: int = 0
    events: int = 0
    late: int = 0
    duplicates: int = 0
    malformed: int = 0
    carry: list[list[str]] = field(default_factory=list)
    purchases: Purchases | None = None
    plan: DayPlan | None = None


def _purchases(plan: DayPlan, parts: list[tuple[np.ndarray, np.ndarray]]) -> Purchases:
    session = np.concatenate([p[0] for p in parts])
    ts = np.concatenate([p[1] for p in parts])
    users = plan.users.take(plan.user[session])
    return Purchases(users.user_id, users.country_at(ts), [plan.session_id[s] for s in session], ts)


def carry_of(seed: int, scale: float, day: date) -> list[list[str]]:
    """Regenerate `day` only to learn what it delivers into the next day's folder."""
    plan = plan_day(seed, scale, day)
    return [ship_chunk(plan, chunk_events(plan, seed, scale, j), seed, scale, j).carry
            for j in range(len(plan.chunks))]


def deliver_day(writer: ClickstreamWriter, seed: int, scale: float, day: date,
                arriving: list[list[str]]) -> DayDelivery:
    """Write folder `day`: yesterday's stragglers first, then today's files, one at a time."""
    plan = plan_day(seed, scale, day)
    result, purchases = DayDelivery(), []
    head: list[str] = []
    for j in range(len(plan.chunks)):
        events = chunk_events(plan, seed, scale, j)
        shipped = ship_chunk(plan, events, seed, scale, j)
        lines = (arriving[j] if j < len(arriving) else []) + head + shipped.lines
        result.bytes += writer.write(day, j, lines)
        result.files, result.lines = result.files + 1, result.lines + len(lines)
        result.events += shipped.events
        result.late += shipped.late
        result.duplicates += shipped.duplicates
        result.malformed += shipped.malformed
        result.carry.append(shipped.carry)
        head = shipped.next_file
        bought = events.event_type == catalog.PURCHASE
        purchases.append((events.session[bought], events.ts_ms[bought]))
    writer.remove_others(day, len(plan.chunks))
    result.purchases, result.plan = _purchases(plan, purchases), plan
    return result
