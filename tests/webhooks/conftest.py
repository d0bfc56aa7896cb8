"""Fixtures of the webhook tests: a receiver (a real HTTP server that checks every delivery with the
``standardwebhooks`` library) and College A's endpoint pointing at it, subscribed to every event."""

from __future__ import annotations

import pytest

from issuers.scoping import tenant_scope
from tests.support.webhooks import Receiver
from webhooks.models import EventType
from webhooks.services import endpoint_create


@pytest.fixture
def receiver(settings):
    """Started; deliveries to loopback are allowed (WEBHOOK_ALLOW_PRIVATE_ADDRESSES), as tests need."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 3
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(tenant_a, alice, receiver):
    """College A's MIS: every event, signed with the secret the receiver checks with."""
    with tenant_scope(tenant_a):
        endpoint, secret = endpoint_create(tenant=tenant_a, url=receiver.url, events=EventType.values,
                                           description="Student records", actor=alice)
    receiver.secret = secret
    return endpoint
