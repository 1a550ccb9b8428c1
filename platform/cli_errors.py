"""How `data-platform` reports errors: one line on stderr and a non-zero exit.

Expected errors (a bad value, a server not reachable, nothing to roll back) become
`data-platform <command>: error: <first line>`, with passwords redacted; `--debug` lets the
traceback through instead. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from data_platform.local.processes import StackError
from data_platform.resources.redaction import redact


class Parser(argparse.ArgumentParser):
    """Usage errors in one line too (argparse's default prints the whole usage first)."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message}\n")


def expected_errors() -> tuple[type[BaseException], ...]:
    """Errors of input or environment, told in one line: a bad value, a server not reachable."""
    import psycopg
    import redis
    import requests

    from data_platform.resources.redis.pointers import RollbackError

    return (StackError, ValueError, RollbackError, OSError,
            psycopg.Error, redis.RedisError, requests.RequestException)  # fmt: skip


def run_reporting_errors(command: Callable[[], int], name: str, debug: bool) -> int:
    """Run a command; an expected error becomes one line on stderr and exit code 2."""
    try:
        return command()
    except KeyboardInterrupt:
        return 130
    except expected_errors() as exc:
        if debug:
            raise
        message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"data-platform {name}: error: {redact(message)}", file=sys.stderr)
        return 2
