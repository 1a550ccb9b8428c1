"""The shop's users: one cohort per signup day, each user's whole life drawn when it signs up."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.randomness import (
    DAY_MS,
    NEVER,
    day_code,
    day_start_ms,
    rng_for,
    stable_uniform,
)

NEW_USERS_PER_DAY = 170
RETURN_WINDOW = 60  # users come back for at most this many days after signing up
RETURN_RATE, RETURN_DECAY_DAYS = 0.22, 25.0
ID_BLOCK = 1_000_000  # user ids are day_code * ID_BLOCK + n


@dataclass(frozen=True)
class Users:
    """Parallel arrays, one entry per user; times are Unix milliseconds, NEVER when absent."""

    user_id: np.ndarray
    signup_ms: np.ndarray
    channel: np.ndarray
    country: np.ndarray
    agent: np.ndarray
    experiments: np.ndarray
    email: np.ndarray  # (name, number, domain) codes of the first address, shape (n, 3)
    email_change_ms: np.ndarray
    new_email: np.ndarray
    country_change_ms: np.ndarray
    new_country: np.ndarray
    deleted_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.user_id)

    def take(self, index: np.ndarray) -> Users:
        return Users(*(getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Users]) -> Users:
        return Users(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Users)))

    def country_at(self, ms: np.ndarray) -> np.ndarray:
        return np.where(ms >= self.country_change_ms, self.new_country, self.country)


def _later(rng: np.random.Generator, start: np.ndarray, share: float, low: float, high: float) -> np.ndarray:
    """For `share` of the users, a time `low`..`high` days after `start`; NEVER for the rest."""
    happens = rng.random(len(start)) < share
    offset = (rng.uniform(low, high, len(start)) * DAY_MS).astype(np.int64)
    return np.where(happens, start + offset, NEVER)


def _emails(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.stack([rng.integers(0, len(catalog.FIRST_NAMES), n), rng.integers(1, 10_000, n),
                     rng.integers(0, len(catalog.EMAIL_DOMAINS), n)], axis=1)


@lru_cache(maxsize=128)
def cohort(seed: int, scale: float, day: date) -> Users:
    """The users who sign up on `day`, with every later change of their account."""
    rng = rng_for(seed, scale, "cohort", day)
    n = int(rng.poisson(NEW_USERS_PER_DAY * scale))
    user_id = day_code(day) * ID_BLOCK + np.arange(1, n + 1, dtype=np.int64)
    # Signups follow the shop's daily rhythm; leave an hour for the first visit.
    signup_ms = day_start_ms(day) + (rng.beta(2.2, 1.6, n) * (DAY_MS - 3_600_000)).astype(np.int64)
    checkout = stable_uniform(user_id, seed, 1) < 0.5
    enrolled = stable_uniform(user_id, seed, 2) < catalog.BANNER_ENROLLMENT
    banner = np.where(enrolled, 1 + (stable_uniform(user_id, seed, 3) < 0.5), 0)
    return Users(
        user_id=user_id,
        signup_ms=signup_ms,
        channel=rng.choice(len(catalog.CHANNELS), n, p=catalog.CHANNEL_WEIGHTS),
        country=rng.choice(len(catalog.COUNTRIES), n, p=catalog.COUNTRY_WEIGHTS),
        agent=rng.integers(0, len(catalog.USER_AGENTS), n),
        experiments=checkout.astype(np.int64) * 3 + banner,
        email=_emails(rng, n),
        email_change_ms=_later(rng, signup_ms, 0.05, 1, 40),
        new_email=_emails(rng, n),
        country_change_ms=_later(rng, signup_ms, 0.02, 1, 40),
        new_country=rng.choice(len(catalog.COUNTRIES), n, p=catalog.COUNTRY_WEIGHTS),
        deleted_ms=_later(rng, signup_ms, 0.02, 5, 50),
    )


def population(seed: int, scale: float, day: date) -> Users:
    """Everyone who may visit on `day`: the cohorts of the last RETURN_WINDOW days."""
    days = [day - timedelta(days=age) for age in range(RETURN_WINDOW - 1, -1, -1)]
    return Users.concat([cohort(seed, scale, d) for d in days])


def active_users(seed: int, scale: float, day: date, users: Users) -> np.ndarray:
    """Indexes of the users who visit on `day`: every new user, and returning ones fading with age."""
    rng = rng_for(seed, scale, "active", day)
    start = day_start_ms(day)
    age = (start - (users.signup_ms - users.signup_ms % DAY_MS)) // DAY_MS
    returning = rng.random(len(users)) < RETURN_RATE * np.exp(-age / RETURN_DECAY_DAYS)
    alive = users.deleted_ms > start
    return np.flatnonzero(((age == 0) | returning) & alive)
