"""College A's endpoint, pointing at the shared ``receiver`` (tests/conftest.py), subscribed to every event."""

from __future__ import annotations

import pytest

from issuers.scoping import tenant_scope
from webhooks.models import EventType
from webhooks.services import endpoint_create


@pytest.fixture
def endpoint(tenant_a, alice, receiver):
    """College A's MIS: every event, signed with the secret the receiver checks with."""
    with tenant_scope(tenant_a):
        endpoint, secret = endpoint_create(tenant=tenant_a, url=receiver.url, events=EventType.values,
                                           description="Student records", actor=alice)
    receiver.secret = secret
    return endpoint
