"""`dagster-daemon` for the end-to-end tests, its backfill loop polling every 5 s instead of 30 s.

Dagster reads that interval from a module constant, not from the instance settings. A backfill
is then picked up and marked done within seconds of its runs, as a test waits for it; the
daemon is otherwise the installed one, unchanged.
"""

import sys

from dagster._daemon import controller
from dagster._daemon.cli import main

if __name__ == "__main__":
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = 5
    sys.argv[0] = "dagster-daemon"
    sys.exit(main())
