"""WSGI entry for the benchmark: the real application (the lean path in front of Django, the real
settings) with bench/urls.py as the URL conf, and ``/bench/wsgi-minimal``: a constant answer from a bare
WSGI function in front of everything, the floor that gunicorn itself allows."""

import os
from collections.abc import Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "badgeplatform.settings")

from django.conf import settings  # noqa: E402

settings.ROOT_URLCONF = "bench.urls"

from badgeplatform.wsgi import application as platform  # noqa: E402

MINIMAL = b'{"ok": true, "what": "a constant answer from a bare WSGI function"}'


def application(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/bench/wsgi-minimal":
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(MINIMAL)))])
        return [MINIMAL]
    return platform(environ, start_response)
