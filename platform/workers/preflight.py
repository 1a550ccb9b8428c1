"""Reach the broker and the instance database before relying on them, and say which one failed.

A dead broker or instance database otherwise surfaces as a bare connection error from deep
inside kombu or SQLAlchemy; here it is one line naming the system and its URL (password hidden).
"""

from __future__ import annotations

from data_platform.local.processes import StackError
from data_platform.resources.redaction import redact


class SystemUnavailableError(StackError):
    """A system the platform needs does not answer."""


def check_broker(url: str, timeout: float = 5.0) -> None:
    """Connect to the celery broker once, or raise naming it."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:
        raise SystemUnavailableError(
            f"the celery broker at {redact(url, url)} is unreachable: {redact(str(exc), url)}"
        ) from None


def check_instance_database(url: str, timeout: int = 5) -> None:
    """Connect to the Dagster instance's PostgreSQL database once, or raise naming it."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=timeout) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        raise SystemUnavailableError(
            f"the Dagster instance database at {redact(url, url)} is unreachable: {redact(str(exc), url)}"
        ) from None
