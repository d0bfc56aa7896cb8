"""The copies each web process keeps of ready public documents (verification.lean.TrackedCopies) stay
true: Redis's invalidations drop them, a lost connection (Redis restarted) drops them all, and a Redis
that refuses CLIENT TRACKING is simply read on every request. On private redis-servers, never the shared one."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.core.cache.backends.redis import RedisCache

from tests.support.servers import RedisServer
from verification import publication
from verification.lean import TrackedCopies

KEY = publication.json_key("8f0c5a1e-6a3b-4c1d-9e2f-0a1b2c3d4e5f")


@pytest.fixture
def private(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def cache_on(server: RedisServer) -> RedisCache:
    return RedisCache(server.url, {})


def pushed(copies: TrackedCopies) -> None:
    """Wait until Redis's invalidation has reached the tracking connection. Redis answers the writer before
    the push to the reader is on the socket, so a lookup at once can race it on loopback; in the
    application the hold marker is written before the change commits, long before anyone can ask."""
    deadline = time.monotonic() + 5
    while not copies._conn.can_read(0):  # noqa: SLF001 - the connection the copies read their pushes from
        assert time.monotonic() < deadline, "no invalidation arrived"
        time.sleep(0.001)


def test_a_copy_is_served_until_any_process_changes_the_entry(private):
    writer, copies = cache_on(private), TrackedCopies(cache_on(private))
    writer.set(KEY, publication.ready(b'{"v": 1}', "application/ld+json"), 60)
    assert copies.get(KEY).body == b'{"v": 1}'
    writer.delete(KEY)  # a copy kept but no longer true would still say v1
    pushed(copies)
    assert copies._copies  # noqa: SLF001 - the copy is only dropped once the invalidation is read...
    assert copies.get(KEY) is None  # ...which the next lookup does first
    writer.set(KEY, publication.ready(b'{"v": 2}', "application/ld+json"), 60)
    assert copies.get(KEY).body == b'{"v": 2}'
    writer.set(KEY, publication.HOLD, 15)
    pushed(copies)
    assert copies.get(KEY) is None


def test_a_lost_connection_drops_every_copy_and_the_next_connection_tracks_again(private):
    writer, copies = cache_on(private), TrackedCopies(cache_on(private))
    writer.set(KEY, publication.ready(b'{"v": 1}', "application/ld+json"), 60)
    assert copies.get(KEY) is not None
    private.stop()  # its invalidations, if any, would be lost with it
    assert copies.get(KEY) is None
    private.start()  # empty, as a restarted cache without persistence is
    assert copies.get(KEY) is None
    writer = cache_on(private)
    writer.set(KEY, publication.ready(b'{"v": 2}', "application/ld+json"), 60)
    assert copies.get(KEY).body == b'{"v": 2}'
    writer.set(KEY, publication.HOLD, 15)
    pushed(copies)
    assert copies.get(KEY) is None


def test_a_redis_without_client_tracking_is_read_on_every_request(tmp_path, caplog):
    server = RedisServer(tmp_path, options=("--rename-command", "CLIENT", "")).start()
    try:
        writer, copies = cache_on(server), TrackedCopies(cache_on(server))
        writer.set(KEY, publication.ready(b'{"v": 1}', "application/ld+json"), 60)
        assert copies.get(KEY) is None  # the first lookup learns it, and Django's path answers
        assert "refuses CLIENT TRACKING" in caplog.text
        assert copies.get(KEY).body == b'{"v": 1}'
        writer.set(KEY, publication.HOLD, 15)
        assert copies.get(KEY) is None
    finally:
        server.stop()
