"""The log shipper: events become JSON lines, delivered at least once, sometimes late or broken."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.events import ChunkEvents
from data_platform.simulator.randomness import DAY_MS, day_start_ms, hex_ids, iso_ms, rng_for
from data_platform.simulator.sessions import DayPlan

LATE_AT_MIDNIGHT = 0.04  # lateness grows through the day: about 2% of a day's events
DUPLICATE_SHARE, MALFORMED_SHARE = 0.01, 0.005
SAME_FILE, NEXT_FILE, NEXT_FOLDER = 0, 1, 2
DUPLICATE_PLACES = np.array([0.5, 0.3, 0.2])
MALFORMED_KINDS = ("cut_json", "missing_field", "user_id_string", "user_id_boolean", "bad_ts",
                   "unknown_event_type", "experiments_not_object")
BAD_TIMESTAMPS = ("2026-13-45T25:61:00Z", "not-a-timestamp", "", "31/01/2026 10:00")


@dataclass(frozen=True)
class ShippedChunk:
    """What the shipper delivers for one file's events, and where."""

    lines: list[str]  # this file, in arrival order
    next_file: list[str]  # duplicates that arrive at the head of the day's next file
    carry: list[str]  # late events and duplicates that arrive in the next day's folder
    events: int
    late: int
    duplicates: int
    malformed: int


def format_lines(plan: DayPlan, events: ChunkEvents, index: np.ndarray) -> list[str]:
    """Serialise events as compact JSON with a fixed field order (so output is byte-stable)."""
    session = events.session[index]
    user = plan.user[session]
    rows = zip([events.event_id[i] for i in index], iso_ms(events.ts_ms[index]),
               plan.users.user_id[user].tolist(), [plan.session_id[s] for s in session],
               events.event_type[index].tolist(), events.page[index].tolist(),
               plan.channel[session].tolist(), plan.users.experiments[user].tolist(),
               plan.users.agent[user].tolist(), strict=True)
    return [
        f'{{"event_id":"{e}","ts":"{t}","user_id":{u},"session_id":"{s}",'
        f'"event_type":{catalog.EVENT_TYPES_JSON[k]},"page":{catalog.PAGES_JSON[p]},'
        f'"channel":{catalog.CHANNELS_JSON[c]},"experiments":{catalog.EXPERIMENTS_JSON[x]},'
        f'"user_agent":{catalog.USER_AGENTS_JSON[a]}}}'
        for e, t, u, s, k, p, c, x, a in rows
    ]


def _break(line: str, kind: str, rng: np.random.Generator) -> str:
    """A malformed version of a valid line, in one of the ways real shippers break them."""
    if kind == "cut_json":
        return line[: int(rng.integers(1, len(line) - 1))]
    event = json.loads(line)
    if kind == "missing_field":
        del event[list(event)[int(rng.integers(0, len(event)))]]
    elif kind == "user_id_string":
        event["user_id"] = str(event["user_id"])
    elif kind == "user_id_boolean":
        event["user_id"] = True
    elif kind == "bad_ts":
        event["ts"] = BAD_TIMESTAMPS[int(rng.integers(0, len(BAD_TIMESTAMPS)))]
    elif kind == "unknown_event_type":
        event["event_type"] = "click"
    else:
        event["experiments"] = "checkout_button=control"
    return json.dumps(event, separators=(",", ":"))


def ship_chunk(plan: DayPlan, events: ChunkEvents, seed: int, scale: float, chunk: int) -> ShippedChunk:
    """Decide each event's delivery; broken lines are extra copies with ids of their own."""
    rng = rng_for(seed, scale, "shipper", plan.day, chunk)
    n = len(events)
    lines = format_lines(plan, events, np.arange(n))
    day_fraction = (events.ts_ms - day_start_ms(plan.day)) / DAY_MS
    late = rng.random(n) < LATE_AT_MIDNIGHT * day_fraction
    duplicate = rng.random(n) < DUPLICATE_SHARE
    place = rng.choice(3, n, p=DUPLICATE_PLACES)
    place = np.where(late, NEXT_FOLDER, place)
    if chunk == len(plan.chunks) - 1:
        place = np.where(place == NEXT_FILE, SAME_FILE, place)
    delay = rng.integers(1, 300_000, n)

    here = np.flatnonzero(~late)
    same = np.flatnonzero(duplicate & (place == SAME_FILE))
    broken = np.sort(rng.choice(n, int(rng.binomial(n, MALFORMED_SHARE)), replace=False)) if n else []
    kinds = rng.choice(len(MALFORMED_KINDS), len(broken))
    new_ids = hex_ids(rng, len(broken), 16)
    bad = [_break(lines[i].replace(events.event_id[i], new_ids[k], 1), MALFORMED_KINDS[kinds[k]], rng)
           for k, i in enumerate(broken)]
    keys = np.concatenate([events.ts_ms[here], events.ts_ms[same] + delay[same],
                           events.ts_ms[broken] + 1 if len(broken) else np.empty(0, np.int64)])
    content = [lines[i] for i in here] + [lines[i] for i in same] + bad
    carried = np.flatnonzero(late | (duplicate & (place == NEXT_FOLDER)))
    return ShippedChunk(
        lines=[content[i] for i in np.argsort(keys, kind="stable")],
        next_file=[lines[i] for i in np.flatnonzero(duplicate & (place == NEXT_FILE))],
        carry=[lines[i] for i in carried] + [lines[i] for i in np.flatnonzero(late & duplicate)],
        events=n, late=int(late.sum()), duplicates=int(duplicate.sum()), malformed=len(bad),
    )
