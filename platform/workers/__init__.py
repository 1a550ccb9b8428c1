"""Step workers: dagster-celery on the platform's Redis broker, as Airflow's CeleryExecutor workers.

With `PLATFORM_EXECUTOR=celery` every step of a run becomes a task on the broker
(`PLATFORM_CELERY_BROKER_URL`, which is also the result backend). Any machine with the code,
the `PLATFORM_*` variables and access to the broker, the instance database and the data
systems adds capacity by starting `data-platform worker`. Workers record step events in the
shared instance (`PLATFORM_DAGSTER_PG_URL`), which is why celery needs the Postgres instance.
"""

from __future__ import annotations

from dagster import (
    ExecutorDefinition,
    executor,
    in_process_executor,
    multiple_process_executor_requirements,
)
from dagster._core.execution.retries import RetryMode
from dagster_celery.defaults import broker_transport_options
from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor

from data_platform.workers.preflight import check_broker

BROKER_VARIABLE = "PLATFORM_CELERY_BROKER_URL"
DEFAULT_QUEUE = "dagster"  # dagster-celery's queue for steps without a `dagster-celery/queue` tag
# A step whose worker process dies goes back on the queue for another worker, as with
# Airflow's CeleryExecutor: acknowledged only once done, re-queued when its process is lost.
# A worker machine that vanishes returns its step after the visibility timeout, which must
# outlast the longest step (a step still running would otherwise be handed out twice).
VISIBILITY_TIMEOUT_S = 6 * 3600
CELERY_SETTINGS = {
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "broker_transport_options": {**broker_transport_options, "visibility_timeout": VISIBILITY_TIMEOUT_S},
}


class PlatformCeleryExecutor(CeleryExecutor):
    """dagster-celery's executor that first checks the broker, so a run fails with one clear
    line naming the broker instead of a connection error from deep inside kombu."""

    def execute(self, plan_context, execution_plan):
        check_broker(self.broker)
        return super().execute(plan_context, execution_plan)


@executor(name="celery", config_schema=CELERY_CONFIG, requirements=multiple_process_executor_requirements())
def platform_celery_executor(init_context) -> PlatformCeleryExecutor:
    """Steps run on celery workers listening on the platform's broker."""
    config = init_context.executor_config
    return PlatformCeleryExecutor(
        broker=config.get("broker"), backend=config.get("backend"), include=config.get("include"),
        config_source=config.get("config_source"), retries=RetryMode.from_config(config["retries"]),
    )  # fmt: skip


def celery_executor():
    """The executor with broker and backend read from the environment where it runs, so the
    URL (and its password) never appears in run config or the UI."""
    broker = {"env": BROKER_VARIABLE}
    config = {"broker": broker, "backend": broker, "config_source": CELERY_SETTINGS}
    return platform_celery_executor.configured(config, name="celery")


def app_args(broker_url: str) -> dict:
    """The celery app settings that the executor and every worker must share."""
    return CeleryExecutor.for_cli(broker=broker_url, backend=broker_url, config_source=CELERY_SETTINGS).app_args()


def executor_for(name: str) -> ExecutorDefinition | None:
    """The executor PLATFORM_EXECUTOR names (None: Dagster's default, a process per step)."""
    return {"in_process": in_process_executor, "celery": celery_executor()}.get(name)
