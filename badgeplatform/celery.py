"""The Celery application. Workers bake images and send email; beat runs the periodic sweeps."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")

app = Celery("badgeplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
