"""The events of one file's sessions: page views, an add-to-cart, sometimes a purchase."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.randomness import DAY_MS, day_start_ms, hex_ids, rng_for
from data_platform.simulator.sessions import DayPlan

EXTRA_PAGE_VIEWS = 11.0
CART_RATE, BUY_RATE = 0.30, 0.25  # per session, for an organic visitor in both controls
MEAN_GAP_MS, MAX_GAP_MS = 35_000, 600_000


@dataclass(frozen=True)
class ChunkEvents:
    """One entry per event, sorted by time; `session` indexes the day plan's sessions."""

    session: np.ndarray
    ts_ms: np.ndarray
    event_type: np.ndarray
    page: np.ndarray
    event_id: list[str]

    def __len__(self) -> int:
        return len(self.session)


def _conversion_lift(plan: DayPlan, sessions: np.ndarray) -> np.ndarray:
    """Channel and experiment effects: treatment variants convert a little better."""
    code = plan.users.experiments[plan.user[sessions]]
    checkout, banner = np.divmod(code, 3)
    lift = catalog.CHANNEL_CONVERSION[plan.channel[sessions]]
    lift = lift * np.where(checkout == 1, catalog.CHECKOUT_LIFT, 1.0)
    return lift * np.where(banner == 2, catalog.BANNER_LIFT, 1.0)


def chunk_events(plan: DayPlan, seed: int, scale: float, chunk: int) -> ChunkEvents:
    """Draw the events of file `chunk` of the day; events after midnight are cut off."""
    rng = rng_for(seed, scale, "events", plan.day, chunk)
    sessions = plan.chunks[chunk]
    lift = np.sqrt(_conversion_lift(plan, sessions))
    views = 1 + rng.poisson(EXTRA_PAGE_VIEWS, len(sessions))
    cart = rng.random(len(sessions)) < CART_RATE * lift
    buy = cart & (rng.random(len(sessions)) < BUY_RATE * lift)
    length = views + cart + buy
    cart_at = 1 + (rng.random(len(sessions)) * views).astype(np.int64)  # after >= 1 view

    session = np.repeat(sessions, length)
    first = np.repeat(np.cumsum(length) - length, length)
    position = np.arange(len(session)) - first
    kind = np.full(len(session), catalog.PAGE_VIEW)
    kind[np.repeat(cart, length) & (position == np.repeat(cart_at, length))] = catalog.ADD_TO_CART
    kind[np.repeat(buy, length) & (position == np.repeat(length - 1, length))] = catalog.PURCHASE

    gaps = np.minimum(rng.exponential(MEAN_GAP_MS, len(session)), MAX_GAP_MS).astype(np.int64)
    gaps[position == 0] = 0
    elapsed = np.cumsum(gaps)
    ts = plan.start_ms[session] + elapsed - elapsed[first]  # time since the session began

    page = rng.choice(len(catalog.PAGES), len(session), p=catalog.PAGE_WEIGHTS)
    products = rng.integers(catalog.FIRST_PRODUCT, catalog.CHECKOUT_PAGE, len(session))
    page = np.where(kind == catalog.ADD_TO_CART, products, page)
    page = np.where(kind == catalog.PURCHASE, catalog.CHECKOUT_PAGE, page)
    event_id = hex_ids(rng, len(session), 16)

    keep = np.flatnonzero(ts < day_start_ms(plan.day) + DAY_MS)
    keep = keep[np.argsort(ts[keep], kind="stable")]
    return ChunkEvents(session[keep], ts[keep], kind[keep], page[keep], [event_id[i] for i in keep])
