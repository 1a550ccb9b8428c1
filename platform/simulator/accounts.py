"""Rows of the app DB's `users` and `nps_responses`, and the later changes to each account."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np

from data_platform.simulator import catalog
from data_platform.simulator.population import ID_BLOCK, RETURN_WINDOW, Users, cohort
from data_platform.simulator.randomness import NEVER, day_code, day_start_ms, iso_ms, rng_for
from data_platform.simulator.sessions import DayPlan

USER_COLUMNS = ("user_id", "email", "channel", "country", "signup_at", "created_at",
                "modified_at", "deleted_at")
NPS_COLUMNS = ("response_id", "user_id", "score", "created_at")
NPS_SHARE = 0.03  # of the day's returning visitors
NPS_SCORES = np.array([1, 1, 1, 1, 2, 3, 4, 8, 14, 16, 12], dtype=float)
Change = tuple[str, int, str, str]  # (table, key, due ISO time, JSON of the new values)


def _emails(codes: np.ndarray) -> list[str]:
    return [f"{catalog.FIRST_NAMES[n]}{k}@{catalog.EMAIL_DOMAINS[d]}" for n, k, d in codes.tolist()]


def user_rows(users: Users, created_ms: np.ndarray) -> tuple[list[tuple], list[Change]]:
    """Each user as the row created at `created_ms`; changes due later become pending changes."""
    emailed = users.email_change_ms <= created_ms
    moved = users.country_change_ms <= created_ms
    gone = users.deleted_ms <= created_ms
    email = np.where(emailed[:, None], users.new_email, users.email)
    country = np.where(moved, users.new_country, users.country)
    created = iso_ms(created_ms)
    deleted = [t if g else None for t, g in zip(iso_ms(np.where(gone, users.deleted_ms, 0)), gone, strict=True)]
    ids = users.user_id.tolist()
    rows = list(zip(ids, _emails(email), [catalog.CHANNELS[c] for c in users.channel],
                    [catalog.COUNTRIES[c] for c in country], iso_ms(users.signup_ms), created, created,
                    deleted, strict=True))
    changes: list[Change] = []
    new_emails = _emails(users.new_email)
    for i in np.flatnonzero(~emailed & (users.email_change_ms != NEVER)):
        changes.append(("users", ids[i], iso_ms(users.email_change_ms[i : i + 1])[0],
                        json.dumps({"email": new_emails[i]})))
    for i in np.flatnonzero(~moved & (users.country_change_ms != NEVER)):
        changes.append(("users", ids[i], iso_ms(users.country_change_ms[i : i + 1])[0],
                        json.dumps({"country": catalog.COUNTRIES[users.new_country[i]]})))
    for i in np.flatnonzero(~gone & (users.deleted_ms != NEVER)):
        due = iso_ms(users.deleted_ms[i : i + 1])[0]
        changes.append(("users", ids[i], due, json.dumps({"deleted_at": due})))
    return rows, changes


def new_accounts(seed: int, scale: float, day: date, origin: date) -> Iterator[tuple[list[tuple], list[Change]]]:
    """The user rows created on `day`, a cohort at a time: its signups and, on the first day,
    the earlier customers.

    The app DB begins on `origin`: customers who signed up before it (and may still visit)
    are migrated in at its first instant, so their `created_at` is that instant.
    """
    if day == origin:
        for age in range(RETURN_WINDOW - 1, 0, -1):
            migrated = cohort(seed, scale, day - timedelta(days=age))
            yield user_rows(migrated, np.full(len(migrated), day_start_ms(day)))
    signups = cohort(seed, scale, day)
    yield user_rows(signups, signups.signup_ms)


def nps_rows(seed: int, scale: float, plan: DayPlan) -> list[tuple]:
    """Survey answers from some of the day's returning visitors, shortly after their first visit."""
    rng = rng_for(seed, scale, "nps", plan.day)
    visitors, first = np.unique(plan.user, return_index=True)
    returning = plan.users.signup_ms[visitors] < day_start_ms(plan.day)
    chosen = np.flatnonzero(returning & (rng.random(len(visitors)) < NPS_SHARE))
    answered = plan.start_ms[first[chosen]] + rng.integers(60_000, 900_000, len(chosen))
    answered = np.minimum(answered, day_start_ms(plan.day) + 86_399_999)
    scores = rng.choice(11, len(chosen), p=NPS_SCORES / NPS_SCORES.sum())
    ids = day_code(plan.day) * ID_BLOCK + np.arange(1, len(chosen) + 1)
    return list(zip(ids.tolist(), plan.users.user_id[visitors[chosen]].tolist(), scores.tolist(),
                    iso_ms(answered), strict=True))

