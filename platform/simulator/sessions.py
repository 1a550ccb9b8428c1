"""A day's visits: who comes, how often, when and through which channel, split into files."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.population import Users, active_users, population
from data_platform.simulator.randomness import DAY_MS, day_start_ms, hex_ids, rng_for

EXTRA_SESSIONS_PER_USER = 0.6
EVENTS_PER_DAY = 20_000  # at scale 1; a file holds about EVENTS_PER_FILE of them
EVENTS_PER_FILE = 25_000
MIN_FILES = 4
# Share of the day's sessions that start in each UTC hour: quiet nights, busy evenings.
HOURLY = np.array([2, 1.5, 1, 1, 1, 1.5, 2.5, 3.5, 4.5, 5, 5, 5, 5.5, 5, 5, 5, 5, 5.5, 6, 6.5,
                   6.5, 6, 4.5, 3])
HOURLY = HOURLY / HOURLY.sum()


def files_per_day(scale: float) -> int:
    """How many files the log shipper writes a day: several, more at larger scales."""
    return max(MIN_FILES, math.ceil(EVENTS_PER_DAY * scale / EVENTS_PER_FILE))


@dataclass(frozen=True)
class DayPlan:
    """The sessions of one day, sorted by start; `chunks[j]` are the sessions of file j."""

    day: date
    users: Users  # the population the sessions index into
    user: np.ndarray  # index into `users`, per session
    start_ms: np.ndarray
    channel: np.ndarray
    session_id: list[str]
    chunks: list[np.ndarray]

    @property
    def sessions(self) -> int:
        return len(self.user)


def _start_times(rng: np.random.Generator, users: Users, user: np.ndarray, first: np.ndarray,
                 day_ms: int) -> np.ndarray:
    """Returning users follow the hourly rhythm; new users visit between signup and midnight."""
    hour = rng.choice(24, len(user), p=HOURLY)
    habitual = day_ms + hour * 3_600_000 + rng.integers(0, 3_600_000, len(user))
    signup = users.signup_ms[user]
    is_new = signup >= day_ms
    later = signup + (rng.random(len(user)) * (day_ms + DAY_MS - signup)).astype(np.int64)
    fresh = np.where(first, signup + rng.integers(5_000, 120_000, len(user)), later)
    return np.where(is_new, fresh, habitual)


def plan_day(seed: int, scale: float, day: date) -> DayPlan:
    """Draw the day's sessions from the seed, the scale and the day alone."""
    users = population(seed, scale, day)
    visitors = active_users(seed, scale, day, users)
    rng = rng_for(seed, scale, "sessions", day)
    per_user = 1 + rng.poisson(EXTRA_SESSIONS_PER_USER, len(visitors))
    user = np.repeat(visitors, per_user)
    first = np.ones(len(user), dtype=bool)
    first[1:] = user[1:] != user[:-1]
    start = _start_times(rng, users, user, first, day_start_ms(day))
    # Half of the visits come back through the signup channel, the rest from anywhere.
    anywhere = rng.choice(len(catalog.CHANNELS), len(user), p=catalog.CHANNEL_WEIGHTS)
    channel = np.where(rng.random(len(user)) < 0.5, users.channel[user], anywhere)
    session_id = hex_ids(rng, len(user), 12, prefix="s_")
    order = np.argsort(start, kind="stable")
    return DayPlan(
        day=day,
        users=users,
        user=user[order],
        start_ms=start[order],
        channel=channel[order],
        session_id=[session_id[i] for i in order],
        chunks=np.array_split(np.arange(len(user)), files_per_day(scale)),
    )
