"""`data-platform health`: one JSON report of everything the platform needs, fast.

`runner` runs named checks in parallel under one deadline and builds the report; each
module of checks contributes a `checks(ctx)` mapping of name → function: `servers`
(are the systems reachable) and `data` (is what readers use there and whole). A new kind
of check is a module with its own `checks(ctx)`, listed in `runner.check_modules()`.
"""

from data_platform.health.runner import Check, HealthContext, report, run_checks

__all__ = ["Check", "HealthContext", "report", "run_checks"]
