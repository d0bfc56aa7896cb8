"""API fixtures: a key for College A (alice's) and one for College B (charlie's), a badge class of
College A, and a small client that sends the key."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from issuers.scoping import tenant_scope
from issuers.services import api_key_create
from tests.support.api import Api


@pytest.fixture
def key_a(tenant_a, alice):
    with tenant_scope(tenant_a):
        return api_key_create(tenant=tenant_a, name="College A MIS", actor=alice)


@pytest.fixture
def key_b(tenant_b, charlie):
    with tenant_scope(tenant_b):
        return api_key_create(tenant=tenant_b, name="College B LMS", actor=charlie)


@pytest.fixture
def api_a(client, key_a) -> Api:
    return Api(client, key_a[1])


@pytest.fixture
def new_api_a(key_a) -> Callable[..., Api]:
    """A new client with College A's key at each call (one per thread, for concurrent requests); keyword
    arguments go to Django's ``Client``."""
    return lambda **client_kwargs: Api(Client(**client_kwargs), key_a[1])


@pytest.fixture
def api_b(key_b) -> Api:
    return Api(Client(), key_b[1])
