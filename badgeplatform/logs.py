"""Log formats: JSON lines in production (``LOG_FORMAT=json``, the default with ``DEBUG`` off), plain text
under ``make run``. Every line names its request (``request_id``) and college (``tenant``).

Imported by the settings, so nothing here imports a model at import time.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any


class ContextFilter(logging.Filter):
    """Every record names its request and college: those of the request or task being served, unless the
    line already says (the request and task lines say it themselves)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, tenant = _current()
        if not getattr(record, "request_id", ""):
            record.request_id = request_id
        if not getattr(record, "tenant", ""):
            record.tenant = tenant
        return True


def _current() -> tuple[str, str]:
    from django.apps import apps

    if not apps.ready:  # a line written while Django starts: no request or college yet
        return "", ""
    from issuers.context import current_context, current_request_id

    context = current_context()
    return current_request_id(), context.tenant.slug if context is not None else ""


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, tenant, and whatever the
    line adds in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(tenant)s] %(message)s"


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING for ``LOG_FORMAT`` (``json`` or ``plain``): everything to the console."""
    formatter: dict[str, Any] = ({"()": "badgeplatform.logs.JsonFormatter"} if log_format == "json"
                                 else {"format": PLAIN_FORMAT})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "badgeplatform.logs.ContextFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # The request line above replaces Django's own (and runserver's) for every answer.
            "django.server": {"level": "WARNING"},
        },
    }
