"""Test-only fault injection into real processes (gunicorn, a Celery worker), never active with DEBUG off.

``BADGEPLATFORM_TEST_CRASH_AT=<point>:<marker file>`` makes the process ``os._exit`` (no cleanup, no
response, no rollback other than what the database does for a dead connection) the first time it reaches
``crash_point("<point>")``. The marker file is created at that moment, so the process that replaces it
(gunicorn restarts its worker) goes on past the same point. Only with ``DEBUG`` on: a production process
never dies of it.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

CRASH_AT_ENV = "BADGEPLATFORM_TEST_CRASH_AT"
CRASH_EXIT_CODE = 70


def crash_point(name: str) -> None:
    spec = os.environ.get(CRASH_AT_ENV)
    if not spec or not settings.DEBUG:
        return
    point, _, marker = spec.partition(":")
    if point != name or not marker:
        return
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:  # crashed here once already: this is the restarted process
        return
    os.close(fd)
    os._exit(CRASH_EXIT_CODE)


DATABASE_DOWN_ENV = "BADGEPLATFORM_TEST_DATABASE_DOWN"


def database_down_install() -> None:
    """``BADGEPLATFORM_TEST_DATABASE_DOWN=<file>``: while that file exists, every query this process makes
    fails with ``OperationalError``, as with the database server down; once it is removed they work again.
    Installed by the Celery app, so a test can take the database away from a real worker only."""
    path = os.environ.get(DATABASE_DOWN_ENV)
    if not path:
        return
    from django.db import OperationalError
    from django.db.backends.signals import connection_created

    def refuse(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        if settings.DEBUG and os.path.exists(path):
            raise OperationalError("could not connect to the database server (test fault: the database is down)")
        return execute(sql, params, many, context)

    def on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
        if refuse not in connection.execute_wrappers:
            connection.execute_wrappers.append(refuse)

    connection_created.connect(on_connect, weak=False)
