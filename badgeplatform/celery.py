"""The Celery application. Workers bake images and send email; beat runs the periodic sweeps."""

from __future__ import annotations

import os

from celery import Celery

from badgeplatform.faults import database_down_install

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")

app = Celery("badgeplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
database_down_install()  # a test's fault, only when its variable is set (badgeplatform.faults)
