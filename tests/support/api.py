"""A REST API client for tests: Django's test client that sends an API key."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


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
