"""`data-platform`: the local stack, the source simulator and the demo from one command."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from data_platform.cli_errors import Parser, run_reporting_errors
from data_platform.local.processes import StackError
from data_platform.local.stack import LocalStack, write_env_file
from data_platform.resources.settings import data_dir, env_file, load_env_file


def _stack() -> LocalStack:
    return LocalStack(data_dir())


def cmd_services(args: argparse.Namespace) -> int:
    stack = _stack()
    if args.action == "up":
        urls = stack.up()
        written = env_file()
        write_env_file(written, urls)
        for status in stack.status():
            print(f"{status.name:<9} running  pid {status.pid:<8} {status.url}")
        print(f"wrote {written}")
    elif args.action == "down":
        stopped = stack.down()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        if not stack.state_file.exists():
            print("the local stack has never been started here")
            return 3
        statuses = stack.status()
        for status in statuses:
            state = "running" if status.running else "stopped"
            print(f"{status.name:<9} {state:<8} pid {status.pid or '-':<8} {status.url}")
        return 0 if all(s.running for s in statuses) else 3
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from data_platform.simulator.run import SimulationConfig, simulate_from_env

    config = SimulationConfig(start=args.start, days=args.days, scale=args.scale, seed=args.seed)
    summary = simulate_from_env(config)
    print(summary)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data_platform.demo import run_demo

    return run_demo(days=args.days)


def cmd_health(args: argparse.Namespace) -> int:
    import json

    from data_platform.health import report, run_checks
    from data_platform.resources.settings import PlatformSettings, ensure_dagster_home

    load_env_file()
    ensure_dagster_home()
    result = report(run_checks(PlatformSettings.from_env(), args.ui_url))
    print(json.dumps(result, indent=2))
    return 0 if result["healthy"] else 1


def cmd_restore(args: argparse.Namespace) -> int:
    from data_platform.assets.maintenance.restore import restore_from_settings
    from data_platform.resources.settings import PlatformSettings

    load_env_file()
    report = restore_from_settings(PlatformSettings.from_env(), args.table, args.start, args.end)
    for day, rows in sorted(report.restored.items()):
        print(f"{args.table} {day}: {rows} rows restored")
    for day in report.missing:
        print(f"{args.table} {day}: not in the archive", file=sys.stderr)
    return 0 if report.restored else 1


def cmd_rollback(args: argparse.Namespace) -> int:
    from data_platform.assets.production import rollback_user_features
    from data_platform.resources.redis.store import RedisResource
    from data_platform.resources.settings import PlatformSettings

    load_env_file()
    url = PlatformSettings.from_env().redis_url
    if not url:
        raise StackError("PLATFORM_REDIS_URL is not set: run `data-platform services up`")
    version = rollback_user_features(RedisResource(url=url).get_client())
    print(f"user_features:current now names {version}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from data_platform.backfill import run_backfill
    from data_platform.resources.settings import PlatformSettings

    load_env_file()
    return run_backfill(PlatformSettings.from_env(), args.select, args.partition_range)


def cmd_sql(args: argparse.Namespace) -> int:
    from data_platform.resources.lake_sql.output import run_sql
    from data_platform.resources.settings import PlatformSettings

    load_env_file()
    return run_sql(PlatformSettings.from_env(), args.query, as_csv=args.csv)


def cmd_worker(args: argparse.Namespace) -> int:
    from data_platform.workers.launch import start_worker

    start_worker(args.queue, args.concurrency, args.name, args.loglevel)
    return 0  # not reached: the worker replaced this process


def cmd_spark_classes(args: argparse.Namespace) -> int:
    from data_platform.local.spark_classes import build_archive
    from data_platform.resources.spark_classes import archive_path

    written = build_archive(args.path or archive_path())
    print(f"wrote {written} ({written.stat().st_size >> 20} MiB)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="data-platform", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)

    services = sub.add_parser("services", help="start, stop or describe the local stack")
    services.add_argument("action", choices=["up", "down", "status"])
    services.set_defaults(func=cmd_services)

    simulate = sub.add_parser("simulate", help="write the shop's source data for a range of days")
    simulate.add_argument("--start", type=date.fromisoformat, required=True)
    simulate.add_argument("--days", type=int, required=True)
    simulate.add_argument("--scale", type=float, default=1.0)
    simulate.add_argument("--seed", type=int, default=7)
    simulate.set_defaults(func=cmd_simulate)

    demo = sub.add_parser("demo", help="simulate DAYS days and materialize every asset for them")
    demo.add_argument("--days", type=int, default=7)
    demo.set_defaults(func=cmd_demo)
    rollback = sub.add_parser("rollback", help="point user_features:current back to the previous version")
    rollback.set_defaults(func=cmd_rollback)

    health = sub.add_parser("health", help="check every dependency; JSON out, non-zero when unhealthy")
    health.add_argument("--ui-url", default="http://127.0.0.1:3000")
    health.set_defaults(func=cmd_health)
    restore = sub.add_parser("restore", help="load archived warehouse days back from the lake (inclusive range)")
    restore.add_argument("--table", required=True, help="schema.table, e.g. raw.events")
    restore.add_argument("--start", type=date.fromisoformat, required=True)
    restore.add_argument("--end", type=date.fromisoformat, required=True)
    restore.set_defaults(func=cmd_restore)
    query = sub.add_parser("sql", help="query the lake's tables (lake.<name>) read-only with DuckDB")
    query.add_argument("query", help='e.g. "SELECT date, count(*) FROM lake.events GROUP BY 1"')
    query.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    query.set_defaults(func=cmd_sql)
    backfill = sub.add_parser("backfill", help="materialize assets over a partition range in one run (range checked first)")
    backfill.add_argument("--select", required=True, help="asset keys, e.g. 'lake/exchange_rates,raw/exchange_rates'")
    backfill.add_argument("--partition-range", required=True, help="FIRST...LAST, inclusive, e.g. 2026-01-01...2026-01-07")
    backfill.set_defaults(func=cmd_backfill)
    worker = sub.add_parser("worker", help="run steps of PLATFORM_EXECUTOR=celery runs (a celery worker)")
    worker.add_argument("--queue", action="append", default=[], help="queue to consume (repeatable; default dagster)")
    worker.add_argument("--concurrency", type=int, default=1, help="steps this worker runs at once")
    worker.add_argument("--name", help="worker name (default worker-<pid>); @<host> is appended")
    worker.add_argument("--loglevel", default="INFO")
    worker.set_defaults(func=cmd_worker)
    classes = sub.add_parser("spark-classes", help="write the Spark driver's class-data archive (faster JVM starts)")
    classes.add_argument("--path", type=Path, help="where to write it (default: inside this Python environment)")
    classes.set_defaults(func=cmd_spark_classes)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_reporting_errors(lambda: args.func(args), args.command, args.debug)


if __name__ == "__main__":
    sys.exit(main())
