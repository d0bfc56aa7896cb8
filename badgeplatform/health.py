"""Pages for the load balancer, Compose and Prometheus, not for people.

* ``/healthz``: the process is up and answering. It touches nothing else (no database), so a database
  outage does not make every web process look dead and get restarted.
* ``/readyz``: the database answers, every migration is applied, the broker and the cache answer. 200 when
  all do; 503 naming the checks that failed. The reasons stay in the log: this page is public.
* ``/metrics``: Prometheus, only with ``METRICS_TOKEN`` as a bearer token or from ``METRICS_ALLOWED_NETWORKS``
  (403 otherwise; 404 when neither is set).
"""

from __future__ import annotations

import glob
import hmac
import ipaddress
import logging
import os
import uuid
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from accounts.network import client_address
from badgeplatform.observability import QueueDepthCollector

logger = logging.getLogger(__name__)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


_migrated = False  # once every migration is applied, this process need not load the graph again


def _migrations() -> None:
    global _migrated
    if _migrated:
        return
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migrations not applied, first {pending[0][0]}")
    _migrated = True


def _broker() -> None:
    from badgeplatform.celery import app

    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)


def _cache() -> None:
    token = uuid.uuid4().hex
    cache.set("readyz-probe", token, 10)
    if cache.get("readyz-probe") != token:
        raise RuntimeError("the cache did not keep a value")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database, "migrations": _migrations, "broker": _broker, "cache": _cache}


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results["database"] != "ok":
            results[name] = "not checked: no database"
            continue
        try:
            check()
        except Exception as exc:  # noqa: BLE001 -- any failure of what is checked is "not ready", and says which
            logger.warning("readiness check %s failed: %s", name, exc, exc_info=True)
            results[name] = f"failed ({type(exc).__name__})"
            if name == "database":
                connection.close()  # a broken connection must not be reused by the next request
        else:
            results[name] = "ok"
    failed = [name for name, result in results.items() if result != "ok"]
    return JsonResponse({"ready": not failed, "failed": failed, "checks": results}, status=503 if failed else 200)


# --- /metrics -----------------------------------------------------------------------------------------

class _EveryProcess(Collector):
    """The counts of every process that wrote under ``METRICS_ROOT``: gunicorn's workers and Celery's pool
    processes, each container in a directory of its own (Compose: ``$PROMETHEUS_MULTIPROC_DIR`` is
    ``/app/var/metrics/<container>``), so that process ids repeated across containers never share a file."""

    def collect(self) -> Iterator[Metric]:
        files = glob.glob(os.path.join(settings.METRICS_ROOT, "**", "*.db"), recursive=True)
        yield from multiprocess.MultiProcessCollector.merge(files, accumulate=True)


class _ThisProcess(Collector):
    """This process's metrics, when each process keeps its own (no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if settings.METRICS_ALLOWED_NETWORKS:
        try:
            address = ipaddress.ip_address(client_address(request))
        except ValueError:
            return False
        return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)
    return False


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        raise Http404("Metrics are not enabled.")
    if not _allowed(request):
        return HttpResponse("Metrics need the metrics token or an allowed address.\n", status=403,
                            content_type="text/plain")
    registry = CollectorRegistry()
    if settings.METRICS_ROOT:
        registry.register(_EveryProcess())
    else:
        registry.register(_ThisProcess())
    registry.register(QueueDepthCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
