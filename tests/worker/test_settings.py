"""On Redis, a task counted down longer than the visibility timeout is delivered again and again: every
countdown, retry backoff and the "sending" limit must stay below it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from badgeplatform.celery import app
from tests.support.servers import ROOT


def _redis_settings() -> dict:
    """The settings a deployment with REDIS_URL gets, read by a fresh process (this one may be on SQLite)."""
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({'options': s.CELERY_BROKER_TRANSPORT_OPTIONS, 'broker': s.CELERY_BROKER_URL, "
            "'acks_late': s.CELERY_TASK_ACKS_LATE, 'reject': s.CELERY_TASK_REJECT_ON_WORKER_LOST, "
            "'max_countdown': s.TASK_MAX_COUNTDOWN}))")
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/0", "DJANGO_SETTINGS_MODULE": "badgeplatform.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_redis_visibility_timeout_outlasts_every_countdown_and_retry():
    redis = _redis_settings()
    assert redis["broker"] == "redis://127.0.0.1:6379/0"
    app.loader.import_default_modules()
    backoffs = {name: getattr(task, "retry_backoff_max", 600) for name, task in app.tasks.items()  # 600: Celery default
                if getattr(task, "retry_backoff", False)}
    assert backoffs, "no task with a retry backoff was found: the check below would prove nothing"
    longest = max([redis["max_countdown"], *backoffs.values()])
    assert redis["options"]["visibility_timeout"] > longest


def test_tasks_are_acknowledged_late_and_requeued_when_their_worker_dies():
    redis = _redis_settings()
    assert redis["acks_late"] is True
    assert redis["reject"] is True
    app.loader.import_default_modules()
    process = app.tasks["assertions.tasks.process_assertions"]
    assert process.acks_late is True
    assert process.reject_on_worker_lost is True


def test_an_event_count_is_acknowledged_on_receipt_so_a_redelivery_cannot_count_it_twice():
    app.loader.import_default_modules()
    count = app.tasks["insights.tasks.count_event"]
    assert count.acks_late is False
    assert count.reject_on_worker_lost is False
