"""Test-only fault injection: make a real process die at a named point, as a SIGKILL or a power cut would.

``BADGEPLATFORM_TEST_CRASH_AT=<point>:<marker file>`` makes the process ``os._exit`` (no cleanup, no
response, no rollback other than what the database does for a dead connection) the first time it reaches
``crash_point("<point>")``. The marker file is created at that moment, so the process that replaces it
(gunicorn restarts its worker) goes on past the same point. Only with ``DEBUG`` on: a production process
never dies of it.
"""

from __future__ import annotations

import os

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
