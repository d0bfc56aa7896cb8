"""The Celery application. Workers bake images and send email; beat runs the periodic sweeps."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

from badgeplatform.faults import database_down_install

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")

app = Celery("badgeplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# One log line and one count per task (badgeplatform.observability, imported once Django is set up).
@signals.task_prerun.connect
def _task_started(**kwargs: Any) -> None:
    from badgeplatform.observability import task_started

    task_started(**kwargs)


@signals.task_postrun.connect
def _task_finished(**kwargs: Any) -> None:
    from badgeplatform.observability import task_finished

    task_finished(**kwargs)


database_down_install()  # a test's fault, only when its variable is set (badgeplatform.faults)
