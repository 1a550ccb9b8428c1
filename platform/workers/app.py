"""The celery app that `data-platform worker` runs (`celery -A data_platform.workers.app`).

dagster-celery's step task on the broker named by PLATFORM_CELERY_BROKER_URL, read when the
worker starts; the same settings as the executor, so both sides meet on the same queues.
"""

from __future__ import annotations

import os

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from data_platform.workers import BROKER_VARIABLE, app_args

app = make_app(app_args(os.environ[BROKER_VARIABLE]))
execute_plan = create_task(app)
