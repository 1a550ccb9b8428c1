"""Benchmarks that run in a child Python process: a clean peak RSS and their own environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def run_child(module: str, env: dict[str, str], args: dict) -> dict:
    """Run `python -m module '<args json>'` with `env` added; return its last stdout line's JSON.

    Its logs (Dagster, Spark) go to a file that is shown only when the child fails.
    """
    with tempfile.NamedTemporaryFile("w+", prefix="bench-", suffix=".log", delete=False) as log:
        done = subprocess.run(
            [sys.executable, "-m", module, json.dumps(args)], env={**os.environ, **env},
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
    if done.returncode != 0:
        tail = Path(log.name).read_text(errors="replace")[-6000:]
        raise RuntimeError(f"{module} failed ({done.returncode}); log {log.name}:\n{tail}")
    os.unlink(log.name)
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_rss_mib() -> float:
    """This process's peak resident memory (children such as Spark's JVM are not counted)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
