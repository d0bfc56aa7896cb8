"""Every request the LTI tool makes (the platform's keys, its OpenID configuration and registration
endpoint, service tokens, the roster and results) goes through the verifier's safe fetching rules
(``verification.fetch``: checked addresses, a hard deadline, a size cap). pylti1p3 talks through a
``requests.Session``; this session's adapter hands each request to ``verification.fetch.exchange`` instead
of opening sockets itself."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from verification.fetch import FetchError, exchange


class _SafeAdapter(BaseAdapter):
    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        try:
            headers = {str(k): str(v) for k, v in request.headers.items()}
            answer = exchange(str(request.method), str(request.url), headers=headers,
                              body=body if isinstance(body, bytes) else None,
                              allow_private=settings.LTI_ALLOW_PRIVATE_ADDRESSES,
                              seconds=settings.LTI_TIMEOUT_SECONDS)
        except FetchError as exc:
            raise requests.ConnectionError(str(exc), request=request) from exc
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.body
        response.url = str(request.url)
        response.request = request
        response.encoding = "utf-8"
        response.reason = ""
        return response

    def close(self) -> None:
        pass


def safe_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "BadgePlatform-LTI/1.0"
    adapter = _SafeAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
