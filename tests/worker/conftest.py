"""Fixtures for tests that run the real pipeline: an SMTP sink, worker processes, a badge to award."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.files.base import ContentFile
from kombu import pools

from badgeplatform.celery import app
from badges.models import BadgeClass
from issuers.scoping import tenant_scope
from tests.support import png_bytes
from tests.support.servers import RedisServer, WebServer, Worker, broker_purge


@pytest.fixture
def start_worker(tmp_path) -> Iterator[Callable[..., Worker]]:
    """Start worker processes (stopped at the end of the test); the broker is purged before the first."""
    workers: list[Worker] = []

    def start(**kwargs) -> Worker:
        if not workers:
            broker_purge()
        worker = Worker(log_dir=tmp_path, **kwargs).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def start_web(tmp_path) -> Iterator[Callable[..., WebServer]]:
    """Start gunicorn (stopped at the end of the test)."""
    servers: list[WebServer] = []

    def start(**kwargs) -> WebServer:
        server = WebServer(log_dir=tmp_path, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def broker_is(private_redis):
    """Point this process's Celery app at the private Redis (the worker gets it through REDIS_URL).
    The connection and producer pools are dropped so that the next publish uses the new URL."""
    saved = app.conf.broker_url, app.conf.broker_transport_options

    def use(url: str, options: dict) -> None:
        app.conf.broker_url, app.conf.broker_transport_options = url, options
        pools.reset()  # kombu keeps connection pools in a process-wide registry: close and forget them all
        app._pool = None
        app.amqp._producer_pool = None

    use(private_redis.url, {"visibility_timeout": 3600})
    yield private_redis
    use(*saved)


@pytest.fixture
def badge(tenant_a, issuer_a) -> BadgeClass:
    with tenant_scope(tenant_a):
        badge = BadgeClass(tenant=tenant_a, issuer=issuer_a, name="Safe Scaffolding",
                           description="Erects a scaffold tower safely.")
        badge.image.save("scaffold.png", ContentFile(png_bytes()), save=False)
        badge.save()
    return badge
