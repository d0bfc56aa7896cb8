"""What operators see of the running platform: one log line per request and per task (formats in
``badgeplatform.logs``), request and task metrics, and the queues' depth. The pages that serve them
(``/healthz``, ``/readyz``, ``/metrics``) are in ``badgeplatform.health``.

Every request gets an id (the proxy's ``X-Request-ID`` when it sends a sane one, otherwise made here; sent
back in the response) that every log line written while serving it carries. A task queued while serving a
request carries that id in its message (``issuers.tasks.TenantTask``, beside the actor), so the worker's
lines name the request that caused them.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse
from kombu.exceptions import ChannelError
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from issuers.context import request_id_bound

request_logger = logging.getLogger("badgeplatform.requests")
task_logger = logging.getLogger("badgeplatform.tasks")

REQUESTS = Counter("badgeplatform_http_requests", "HTTP requests answered, by view, method and status.",
                   ["view", "method", "status"])
REQUEST_SECONDS = Histogram("badgeplatform_http_request_duration_seconds", "Time to answer a request, by view.",
                            ["view"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
TASKS = Counter("badgeplatform_celery_tasks", "Celery tasks finished, by task and outcome (SUCCESS, FAILURE, RETRY).",
                ["task", "outcome"])
TASK_SECONDS = Histogram("badgeplatform_celery_task_duration_seconds", "Time a task ran, by task.", ["task"],
                         buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))

# A proxy's request id is kept only when it cannot smuggle anything into a log line or a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_of(request: HttpRequest) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


class RequestObservationMiddleware:
    """First in the stack: times the whole answer, counts it by view and writes its one log line. The
    route pattern is logged, never the path or query, which can hold claim and invitation tokens."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        started = time.perf_counter()
        with request_id_bound(request_id):
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = (match.view_name or match._func_path) if match is not None else "unresolved"
            REQUESTS.labels(view=view, method=request.method or "", status=str(response.status_code)).inc()
            REQUEST_SECONDS.labels(view=view).observe(seconds)
            tenant = getattr(request, "tenant", None)
            request_logger.info(
                "%s %s %s %.0f ms", request.method, match.route if match is not None else "-",
                response.status_code, seconds * 1000,
                extra={"event": "request", "method": request.method, "route": match.route if match else "",
                       "view": view, "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
                       "tenant": tenant.slug if tenant is not None else ""})
        response["X-Request-ID"] = request_id
        return response


# --- Celery: one line and one count per task ----------------------------------------------------------

def task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task is not None:
        task.request.observed_start = time.perf_counter()


def task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    if task is None:
        return
    started = getattr(task.request, "observed_start", None)
    seconds = time.perf_counter() - started if started is not None else 0.0
    TASKS.labels(task=task.name, outcome=state or "UNKNOWN").inc()
    TASK_SECONDS.labels(task=task.name).observe(seconds)
    task_logger.info(
        "task %s %s %.0f ms", task.name, state, seconds * 1000,
        extra={"event": "task", "task": task.name, "task_id": task_id, "outcome": state,
               "duration_ms": round(seconds * 1000, 1), "retries": task.request.retries or 0,
               "tenant": getattr(task.request, "tenant_slug", "") or "",
               "request_id": getattr(task.request, "origin_request_id", "") or ""})


# --- the queues' depth, read from the broker at each scrape ---------------------------------------------

def _depth(channel: Any, name: str) -> int:
    try:
        return int(channel.queue_declare(queue=name, passive=True)[1])
    except ChannelError:  # not declared yet: no worker or sender has used it, so nothing waits on it
        return 0


class QueueDepthCollector(Collector):
    """Messages waiting on each Celery queue (Redis, or the filesystem broker under ``make run``), and
    whether the broker answered at all."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from badgeplatform.celery import app

        depth = GaugeMetricFamily("badgeplatform_celery_queue_depth", "Messages waiting on a Celery queue.",
                                  labels=["queue"])
        up = GaugeMetricFamily("badgeplatform_celery_broker_up", "1 when the broker answered this scrape.")
        try:
            with app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
                channel = conn.default_channel
                for queue in app.conf.task_queues:
                    depth.add_metric([queue.name], _depth(channel, queue.name))
        except Exception:  # noqa: BLE001 -- any broker failure: the scrape still answers, saying so
            request_logger.warning("the broker did not answer the metrics scrape", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield depth
