"""Seeded randomness and time arithmetic: every draw is keyed so any day can be made alone."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import numpy as np

EPOCH = date(2000, 1, 1)
EPOCH_MS = 946_684_800_000  # 2000-01-01T00:00:00Z in Unix milliseconds
DAY_MS = 86_400_000
NEVER = np.iinfo(np.int64).max  # "this change never happens"


def rng_for(seed: int, scale: float, *parts: object) -> np.random.Generator:
    """A generator keyed by the seed, the scale and what is being drawn (e.g. a day)."""
    key = repr((seed, float(scale), *(p.isoformat() if isinstance(p, date) else p for p in parts)))
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def day_code(day: date) -> int:
    """Days since 2000-01-01: the prefix of the ids of entities created that day."""
    return (day - EPOCH).days


def day_start_ms(day: date) -> int:
    return EPOCH_MS + day_code(day) * DAY_MS


def ms_day(ms: int) -> date:
    return EPOCH + timedelta(days=(int(ms) - EPOCH_MS) // DAY_MS)


def iso_ms(ms: np.ndarray) -> list[str]:
    """ISO-8601 UTC timestamps with milliseconds and a `Z`, for a whole array at once."""
    text = np.datetime_as_string(np.asarray(ms, dtype="int64").astype("datetime64[ms]"), unit="ms")
    return [f"{value}Z" for value in text.tolist()]


def stable_uniform(values: np.ndarray, seed: int, salt: int) -> np.ndarray:
    """A uniform [0, 1) number per value (splitmix64), the same wherever the value appears."""
    x = values.astype(np.uint64) ^ np.uint64((seed * 0x9E3779B1 + salt) & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def hex_ids(rng: np.random.Generator, count: int, nbytes: int, prefix: str = "") -> list[str]:
    """`count` random hexadecimal identifiers of `nbytes` bytes each."""
    text = rng.bytes(count * nbytes).hex()
    width = 2 * nbytes
    return [prefix + text[i : i + width] for i in range(0, count * width, width)]
