"""`data-platform simulate`: write the shop's app DB and clickstream for a range of days.

The data depend only on the seed, the scale and the day, so any day can be generated
alone, reruns give the same bytes, and replaying old days never undoes newer ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import psycopg

from data_platform.local.processes import StackError
from data_platform.resources.settings import PlatformSettings, load_env_file
from data_platform.simulator import appdb
from data_platform.simulator.accounts import NPS_COLUMNS, USER_COLUMNS, new_accounts, nps_rows
from data_platform.simulator.clickstream import ClickstreamWriter
from data_platform.simulator.delivery import DayDelivery, carry_of, deliver_day
from data_platform.simulator.orders import ORDER_COLUMNS, order_rows
from data_platform.simulator.summary import DaySummary, SimulationSummary


@dataclass(frozen=True)
class SimulationConfig:
    """Days `start` … `start + days - 1`; `scale` 1 is about 1k users and 20k events a day."""

    start: date
    days: int
    scale: float = 1.0
    seed: int = 7

    def __post_init__(self) -> None:
        if self.days < 1 or self.scale <= 0:
            raise ValueError(f"days must be >= 1 and scale > 0, not days={self.days} scale={self.scale}")

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def _claim(conn: psycopg.Connection, config: SimulationConfig) -> tuple[date, date | None]:
    """The database's first simulated day and latest one; refuse a different seed or scale."""
    with conn.transaction():
        appdb.lock(conn)
        state = appdb.read_state(conn)
        mine = {"seed": str(config.seed), "scale": repr(float(config.scale))}
        for name, value in mine.items():
            if state.get(name, value) != value:
                raise StackError(f"the app DB holds a simulation with {name} {state[name]}, not "
                                 f"{value}: use the same {name} or a fresh database")
        if "origin" not in state:
            appdb.write_state(conn, {**mine, "origin": config.start.isoformat()})
            state["origin"] = config.start.isoformat()
    through = state.get("through")
    return date.fromisoformat(state["origin"]), date.fromisoformat(through) if through else None


def _record_day(conn: psycopg.Connection, config: SimulationConfig, origin: date, day: date,
                delivered: DayDelivery) -> tuple[int, int, int, int]:
    """Write one day to the app DB in one transaction: new rows, then the changes now due."""
    orders, order_changes = order_rows(config.seed, config.scale, day, delivered.purchases)
    answers = nps_rows(config.seed, config.scale, delivered.plan)
    users = 0
    with conn.transaction():
        appdb.lock(conn)
        through = appdb.read_state(conn).get("through")
        reached = max(day, date.fromisoformat(through)) if through else day
        for rows, changes in new_accounts(config.seed, config.scale, day, origin):
            appdb.upsert(conn, "users", USER_COLUMNS, rows)
            appdb.add_changes(conn, changes)
            users += len(rows)
        appdb.upsert(conn, "orders", ORDER_COLUMNS, orders)
        appdb.upsert(conn, "nps_responses", NPS_COLUMNS, answers, versioned=False)
        appdb.add_changes(conn, order_changes)
        until = datetime.combine(reached + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        applied = appdb.apply_changes(conn, until)
        appdb.write_state(conn, {"through": reached.isoformat()})
    return users, len(orders), len(answers), applied


def simulate(config: SimulationConfig, app_db_url: str, lake_url: str,
             s3_endpoint_url: str | None = None) -> SimulationSummary:
    """Write every day of `config` to the app DB and the lake's landing folder."""
    began = time.monotonic()
    summary = SimulationSummary(lake_url=lake_url, seed=config.seed, scale=config.scale)
    writer = ClickstreamWriter(lake_url, s3_endpoint_url)
    try:
        conn = psycopg.connect(app_db_url)
    except psycopg.OperationalError as exc:
        raise StackError(f"cannot reach the app DB: {str(exc).strip().splitlines()[0]}") from exc
    with conn:
        appdb.ensure_schema(conn)
        origin, _ = _claim(conn, config)
        arriving = carry_of(config.seed, config.scale, config.start - timedelta(days=1))
        for day in config.dates:
            delivered = deliver_day(writer, config.seed, config.scale, day, arriving)
            arriving = delivered.carry
            users, orders, answers, applied = _record_day(conn, config, origin, day, delivered)
            summary.days.append(DaySummary(
                day=day, users=users, orders=orders, nps_rows=answers, changes=applied,
                events=delivered.events, late=delivered.late, duplicates=delivered.duplicates,
                malformed=delivered.malformed, lines=delivered.lines, files=delivered.files,
                bytes=delivered.bytes))
    summary.seconds = time.monotonic() - began
    return summary


def simulate_from_env(config: SimulationConfig) -> SimulationSummary:
    """Simulate into the systems named by the PLATFORM_* variables (and the repo's `.env`)."""
    load_env_file()
    settings = PlatformSettings.from_env()
    if not settings.app_db_url:
        raise StackError("PLATFORM_APP_DB_URL is not set: run `data-platform services up` or export it")
    return simulate(config, settings.app_db_url, settings.lake_url, settings.s3_endpoint_url)
