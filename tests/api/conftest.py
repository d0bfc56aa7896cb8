"""API fixtures: a key for College A (alice's) and one for College B (charlie's), a badge class of
College A, and a small client that sends the key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from badges.services import badge_class_create
from issuers.scoping import tenant_scope
from issuers.services import api_key_create, issuer_create
from tests.support import png_bytes


class Api:
    """Django's test client with ``Authorization: Bearer <key>`` on every request."""

    def __init__(self, client: Client, secret: str | None) -> None:
        self.client, self.secret = client, secret

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = dict(headers or {})
        if self.secret is not None:
            out.setdefault("Authorization", f"Bearer {self.secret}")
        return out

    def get(self, url: str, params: dict | None = None, headers: dict | None = None) -> Any:
        return self.client.get(url, params or {}, headers=self._headers(headers))

    def post(self, url: str, data: Any = None, headers: dict | None = None) -> Any:
        return self.client.post(url, json.dumps(data if data is not None else {}), content_type="application/json",
                                headers=self._headers(headers))

    def post_multipart(self, url: str, data: dict, headers: dict | None = None) -> Any:
        return self.client.post(url, data, headers=self._headers(headers))

    def patch(self, url: str, data: Any, headers: dict | None = None) -> Any:
        return self.client.patch(url, json.dumps(data), content_type="application/json",
                                 headers=self._headers(headers))

    def raw(self, method: str, url: str, body: bytes, content_type: str, headers: dict | None = None) -> Any:
        return getattr(self.client, method)(url, body, content_type=content_type, headers=self._headers(headers))


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


@pytest.fixture
def issuer_b(tenant_b, charlie):
    with tenant_scope(tenant_b):
        return issuer_create(tenant=tenant_b, name="College B Catering", url="https://b.example",
                             email="badges@b.example", actor=charlie)


@pytest.fixture
def badge_a(tenant_a, issuer_a, alice):
    with tenant_scope(tenant_a):
        return badge_class_create(issuer=issuer_a, name="Safe Scaffolding", description="Erects a tower safely.",
                                  image=png_bytes(), actor=alice, criteria_narrative="Builds a tower.",
                                  tags=["construction"])


@pytest.fixture
def badge_b(tenant_b, issuer_b, charlie):
    with tenant_scope(tenant_b):
        return badge_class_create(issuer=issuer_b, name="Knife Skills", description="Dices an onion.",
                                  image=png_bytes(colour=(200, 30, 30, 255)), actor=charlie,
                                  criteria_narrative="Dices an onion evenly.")
